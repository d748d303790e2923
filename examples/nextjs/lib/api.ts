// The Todo API, typed from its OpenAPI document (`npm run generate` writes lib/api-schema.d.ts).
import { decodeJwt } from "jose";
import createClient, { type Middleware } from "openapi-fetch";
import { authClient } from "./auth-client";
import type { TokenMode } from "./token-mode";
import type { components, paths } from "./api-schema";

export type Task = components["schemas"]["TaskPublic"];
export type TaskStatus = Task["status"];
export type Api = ReturnType<typeof apiClient>;

/** A new bearer token for the API from this app's server, as the signed-in session gives it (null when
 * signed out): the HS256 token of /api/token, or the jwt plugin's from /api/auth/token. */
async function fetchToken(mode: TokenMode): Promise<string | null> {
  if (mode === "hs256") {
    const answer = await fetch("/api/token", { cache: "no-store" });
    return answer.ok ? ((await answer.json()) as { token: string }).token : null;
  }
  const { data } = await authClient.token();
  return data?.token ?? null;
}

// A new token this long before the one held expires, so that none expires on its way to the API.
const RENEW_BEFORE_MS = 60_000;

/** The page's token for the API, held in memory only (no storage a script could read it from later) and
 * reused until shortly before it expires: one token for a page's session rather than one per call, and the
 * one that sign-out revokes. Its lifetime (exp - iat) is counted on this browser's clock from when it came,
 * so a browser whose clock is off still renews in time. */
export class ApiToken {
  #token: string | null = null;
  #renewAt = 0;
  #pending: Promise<string | null> | null = null;

  constructor(private readonly mode: TokenMode) {}

  /** The token held, or a new one when none is held or it is about to expire; null when signed out. */
  get(): Promise<string | null> {
    if (this.#token !== null && Date.now() < this.#renewAt) return Promise.resolve(this.#token);
    // Calls made while a token is on its way wait for that one.
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Stops using ``token`` (the API refused it): the next call fetches a new one. */
  forget(token: string): void {
    if (this.#token === token) this.#token = null;
  }

  /** The token held (after any on its way), no longer to be used: for sign-out, which revokes it. */
  async take(): Promise<string | null> {
    await this.#pending?.catch(() => null);
    const token = this.#token;
    this.#token = null;
    return token;
  }

  async #fetch(): Promise<string | null> {
    const token = await fetchToken(this.mode);
    if (token !== null) {
      const { iat, exp } = decodeJwt(token);
      const lifetimeMs = iat !== undefined && exp !== undefined ? (exp - iat) * 1000 : 0;
      this.#renewAt = Date.now() + lifetimeMs - RENEW_BEFORE_MS;
    }
    this.#token = token;
    return token;
  }
}

/** A client that sends the page's token as `Authorization: Bearer <token>` (unless a call sets its own), and
 * forgets a token the API refuses (401), so that the next call gets a new one. */
export function apiClient(baseUrl: string, token: ApiToken) {
  const bearer: Middleware = {
    async onRequest({ request }) {
      if (!request.headers.has("Authorization")) {
        const value = await token.get();
        if (value) request.headers.set("Authorization", `Bearer ${value}`);
      }
      return request;
    },
    onResponse({ request, response }) {
      const sent = request.headers.get("Authorization")?.replace(/^Bearer /, "");
      if (response.status === 401 && sent) token.forget(sent);
      return response;
    },
  };
  const client = createClient<paths>({ baseUrl });
  client.use(bearer);
  return client;
}

export type NewTask = components["schemas"]["TaskCreate"];

// How long a create waits, at most, before its one retry after a 503 (the API's Retry-After, capped).
const RETRY_WAIT_LIMIT_S = 5;

/** A new Idempotency-Key: 128 random bits in hex (crypto.randomUUID needs a secure context; this does not). */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Creates a task under a new Idempotency-Key, retried once with that key when the answer was lost (a network
 * error: the task may exist) or the API was briefly unavailable (503): the retry answers the first create's
 * answer when there was one, so a retry never makes a second task. */
export async function createTask(api: Api, userId: string, body: NewTask) {
  const key = idempotencyKey();
  const params = { path: { user_id: userId }, header: { "Idempotency-Key": key } };
  const send = () => api.POST("/api/{user_id}/tasks", { params, body });
  try {
    const first = await send();
    if (first.response.status !== 503) return first;
    const retryAfter = Number(first.response.headers.get("Retry-After")) || 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, RETRY_WAIT_LIMIT_S) * 1000));
  } catch {
    // Fall through to the retry: the same key finds the create if it happened.
  }
  return send();
}

/** Sign-out, the API first: its logout revokes the token the page holds (on every Lambda container at once),
 * then Better Auth ends the session, after which this app hands out no new token. A copy of a token taken
 * earlier (another tab, a script) is not known here and stays valid until its exp: keep lifetimes short.
 * An API that cannot be reached does not keep anyone signed in. */
export async function signOutAndRevoke(api: Api, token: ApiToken): Promise<void> {
  const held = await token.take();
  if (held !== null) {
    await api
      .POST("/api/auth/logout", { headers: { Authorization: `Bearer ${held}` } })
      .catch(() => undefined);
  }
  await authClient.signOut();
}

/** What to show for a failed call: the API's `detail` (a sentence meant for people), else the status. */
export function problem(error: unknown, response: Response): string {
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  return typeof detail === "string" ? detail : `The API answered ${response.status}.`;
}
