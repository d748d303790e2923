import { jwtClient } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";

// Same origin as the page: sign-up, sign-in, sign-out and /api/auth/token go to this app's Better Auth.
export const authClient = createAuthClient({ plugins: [jwtClient()] });
