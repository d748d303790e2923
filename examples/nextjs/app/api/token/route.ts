// TOKEN_MODE=hs256: the signed-in user's token for the API, signed here with the shared BETTER_AUTH_SECRET.
// 15 minutes, as the jwt plugin's: the page keeps it in memory and asks again shortly before it expires, and a
// copy of it that sign-out cannot revoke is good for that long only (the API accepts up to 7 days).
import { SignJWT } from "jose";
import { auth } from "@/lib/auth";
import { tokenMode } from "@/lib/token-mode";

export async function GET(request: Request) {
  if (tokenMode() !== "hs256") {
    return Response.json({ detail: "TOKEN_MODE is not hs256" }, { status: 404 });
  }
  const session = await auth.api.getSession({ headers: request.headers });
  if (!session) {
    return Response.json({ detail: "Not signed in" }, { status: 401 });
  }
  const { id, email, name } = session.user;
  const token = await new SignJWT({ sub: id, email, name })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("15m")
    .sign(new TextEncoder().encode(process.env.BETTER_AUTH_SECRET));
  return Response.json({ token }, { headers: { "Cache-Control": "no-store" } });
}
