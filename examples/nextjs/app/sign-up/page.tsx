import { AuthForm } from "../auth-form";

export default function SignUp() {
  return <AuthForm mode="sign-up" />;
}
