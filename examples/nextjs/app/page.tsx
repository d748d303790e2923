import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { tokenMode } from "@/lib/token-mode";
import { TaskBoard } from "./task-board";

export default async function Home() {
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) redirect("/sign-in");
  return (
    <TaskBoard
      apiUrl={process.env.NEXT_PUBLIC_API_URL ?? "http://localhost:8000"}
      tokenMode={tokenMode()}
      user={{ id: session.user.id, name: session.user.name, email: session.user.email }}
    />
  );
}
