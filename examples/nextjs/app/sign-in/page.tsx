import { AuthForm } from "../auth-form";

export default function SignIn() {
  return <AuthForm mode="sign-in" />;
}
