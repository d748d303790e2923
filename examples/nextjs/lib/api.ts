// The Todo API, typed from its OpenAPI document (`npm run generate` writes lib/api-schema.d.ts).
import createClient, { type Middleware } from "openapi-fetch";
import { authClient } from "./auth-client";
import type { TokenMode } from "./token-mode";
import type { components, paths } from "./api-schema";

export type Task = components["schemas"]["TaskPublic"];
export type TaskStatus = Task["status"];

/** The bearer token for the API, as the signed-in user's session gives it (null when signed out). */
export async function apiToken(mode: TokenMode): Promise<string | null> {
  if (mode === "hs256") {
    const answer = await fetch("/api/token", { cache: "no-store" });
    return answer.ok ? ((await answer.json()) as { token: string }).token : null;
  }
  const { data } = await authClient.token();
  return data?.token ?? null;
}

/** A client that sends `Authorization: Bearer <token>` with every request (a new token each time: they expire). */
export function apiClient(baseUrl: string, mode: TokenMode) {
  const bearer: Middleware = {
    async onRequest({ request }) {
      const token = await apiToken(mode);
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  const client = createClient<paths>({ baseUrl });
  client.use(bearer);
  return client;
}

/** What to show for a failed call: the API's `detail` (a sentence meant for people), else the status. */
export function problem(error: unknown, response: Response): string {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  return typeof detail === "string" ? detail : `The API answered ${response.status}.`;
}
