// Mints an HS256 token the way the spec's frontends do (a server route with jose's SignJWT), for
// tests/system/test_frontend_jose.py. Reads {"secret", "claims", "expirationTime"} as JSON on stdin (the secret
// never appears in a command line) and prints the token.
import { SignJWT } from "jose";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, claims, expirationTime } = JSON.parse(input);
const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256" })
  .setIssuedAt()
  .setExpirationTime(expirationTime)
  .sign(new TextEncoder().encode(secret));
process.stdout.write(token);
