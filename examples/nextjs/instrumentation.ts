// Runs once when the Next.js server starts, before it serves: Better Auth's tables are made ready.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { migrate } = await import("./lib/auth");
    await migrate();
  }
}
