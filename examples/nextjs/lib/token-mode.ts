/** Which token the browser sends to the API: Better Auth's jwt plugin token (the default), or an HS256 token
 * that this app's server signs with the BETTER_AUTH_SECRET it shares with the API. */
export type TokenMode = "jwt" | "hs256";

export function tokenMode(): TokenMode {
  const mode = process.env.TOKEN_MODE || "jwt";
  if (mode !== "jwt" && mode !== "hs256") {
    throw new Error(`TOKEN_MODE must be jwt or hs256, got ${mode}`);
  }
  return mode;
}
