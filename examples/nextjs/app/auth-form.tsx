"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { authClient } from "@/lib/auth-client";

/** Sign-up (with a name) or sign-in, through Better Auth; then on to the tasks. */
export function AuthForm({ mode }: { mode: "sign-up" | "sign-in" }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    const { error } =
      mode === "sign-up"
        ? await authClient.signUp.email({ email, password, name: String(form.get("name")) })
        : await authClient.signIn.email({ email, password });
    if (error) {
      setError(error.message ?? error.statusText);
      return;
    }
    router.push("/");
    router.refresh();
  }

  return (
    <>
      <h1>{mode === "sign-up" ? "Create an account" : "Sign in"}</h1>
      <form onSubmit={submit}>
        {mode === "sign-up" && <input name="name" placeholder="Name" required />}
        <input name="email" type="email" placeholder="Email" required />
        <input name="password" type="password" placeholder="Password" minLength={8} required />
        <button type="submit">{mode === "sign-up" ? "Sign up" : "Sign in"}</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {mode === "sign-up" ? (
        <p className="muted">Have an account? <Link href="/sign-in">Sign in</Link></p>
      ) : (
        <p className="muted">New here? <Link href="/sign-up">Create an account</Link></p>
      )}
    </>
  );
}
