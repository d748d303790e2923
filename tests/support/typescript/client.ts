// A frontend's client for the whole API, written the way a Next.js app uses it: openapi-fetch over the types
// openapi-typescript generates from functions/docs/openapi.json (imported as "todo-api-types"). Every operation of
// the document is called here (tests/system/test_typescript_client.py checks that, type-checks this file with
// tsc under several openapi-typescript settings, and runs it against the local server).
//
// What it relies on, as a frontend does: create with a title only, or with tags, a category and `dueDate`, and
// an Idempotency-Key whose retry replays the first answer;
// response fields read as non-optional (`status`, `tags` and `category` included); the task as read sent back
// with one field changed (PUT, `status` too), a partial PUT, a partial PATCH; complete with no body, `{}` and a
// state; the ETag as If-Match; both path styles, the list a page object on /api/tasks and a bare array (paging in
// X-Total-Count) on /api/{user_id}/tasks; the tags list; bearer and cookie sign-in; sessions: refresh from the
// HttpOnly cookie (a browser: no body, the refresh token never in a body) or with the token in the body (a client
// that asked for it at login), the sessions list, ending one session, every session, and a password change.

import createClient, { type Client } from "openapi-fetch";
import type { Readable, Writable } from "openapi-typescript-helpers";
import type { components, paths } from "todo-api-types";

// What a response gives: Readable<> unwraps the read-only markers of `--read-write-markers` (and changes nothing
// without them). Frontends that use the component types directly write the same.
export type Task = Readable<components["schemas"]["TaskPublic"]>;
export type TaskPage = Readable<components["schemas"]["TasksPublic"]>;
export type User = Readable<components["schemas"]["UserPublic"]>;
export type Priority = components["schemas"]["Priority"];
export type TaskStatus = Task["status"];
export type SignedIn = Readable<components["schemas"]["AuthResponse"]>;
export type SignInSession = Readable<components["schemas"]["SessionPublic"]>;

// What a request takes: Writable<> drops read-only-marked fields (none in these bodies).
export type TaskDraft = Writable<components["schemas"]["TaskCreate"]>;
export type TaskChanges = Writable<components["schemas"]["TaskUpdate"]>;

export type Api = Client<paths>;

export function apiClient(baseUrl: string, token?: string): Api {
  const client = createClient<paths>({ baseUrl, credentials: "include" });
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`contract broken: ${what}`);
  }
}

function etagOf(response: Response): string {
  const etag = response.headers.get("ETag");
  check(etag !== null && /^"[0-9]+"$/.test(etag), `an ETag header, got ${String(etag)}`);
  return etag;
}

// Reading a task as a frontend renders it: every field present, none optional.
export function describeTask(task: Task): string {
  const id: number = task.id;
  const userId: string = task.user_id;
  const title: string = task.title;
  const description: string | null = task.description;
  const completed: boolean = task.completed;
  const priority: Priority = task.priority;
  const status: "pending" | "completed" = task.status;
  const tags: string[] = task.tags;
  const category: string | null = task.category;
  const due: string | null = task.due_date;
  const created: string = task.created_at;
  const updated: string = task.updated_at;
  const version: number = task.version;
  const dueText = due === null ? "no due date" : `due ${new Date(due).toISOString()}`;
  return [
    `#${id} of ${userId}: ${title.toUpperCase()} (${description?.length ?? 0} chars)`,
    `${completed ? "done" : "open"} (${status}), ${priority}, ${dueText}`,
    `tags ${tags.map((tag) => tag.toLowerCase()).join("|")}, category ${category ?? "none"}`,
    `created ${Date.parse(created)}, updated ${Date.parse(updated)}, version ${version + 0}`,
  ].join("; ");
}

export function describeUser(user: User): string {
  const id: string = user.id;
  // A frontend's user whose token carried no email has none here.
  const email: string | null = user.email;
  const name: string | null = user.name;
  const created: string = user.created_at;
  return `${id} ${email?.toLowerCase() ?? "(no email)"} ${name ?? "(no name)"} ${created}`;
}

export interface Session {
  token: string;
  user: User;
}

export async function health(api: Api): Promise<void> {
  const live = await api.GET("/health");
  check(live.data?.status === "ok", "GET /health answers ok");
  const ready = await api.GET("/health/ready");
  if (ready.data !== undefined) {
    const database: "ok" = ready.data.database;
    check(database === "ok" && ready.data.status === "ok", "GET /health/ready answers ok");
  } else {
    const code: string = ready.error.code;
    check(ready.response.status === 503, `readiness failed with ${code}`);
  }
}

export async function signUp(api: Api, email: string, password: string, name?: string): Promise<Session> {
  const { data, error, response } = await api.POST("/api/auth/signup", {
    body: name === undefined ? { email, password } : { email, password, name },
  });
  if (error !== undefined) {
    throw new Error(`signup: ${response.status} ${error.code}: ${error.detail}`);
  }
  check(response.status === 201, "signup answers 201");
  const tokenType: "bearer" = data.token_type;
  const expires: string = data.expires_at;
  check(tokenType === "bearer" && !Number.isNaN(Date.parse(expires)), "signup's token type and expiry");
  return { token: data.token, user: data.user };
}

export async function logIn(api: Api, email: string, password: string): Promise<Session> {
  const { data, error, response } = await api.POST("/api/auth/login", { body: { email, password } });
  if (error !== undefined) {
    throw new Error(`login: ${response.status} ${error.code}: ${error.detail}`);
  }
  const message: string = data.message;
  check(message.length > 0, "login says something");
  // Most frontends read the OAuth 2 name: the same token.
  const accessToken: string = data.access_token;
  check(accessToken === data.token, "login's access_token is its token");
  return { token: accessToken, user: data.user };
}

export async function verify(api: Api): Promise<User | null> {
  const { data, error, response } = await api.GET("/api/auth/verify");
  if (error !== undefined) {
    check(response.status === 401, `verify refuses with 401, got ${response.status}`);
    const code: string = error.code;
    check(["not_authenticated", "invalid_token", "token_expired"].includes(code), `a 401 code: ${code}`);
    return null;
  }
  const expires: string = data.expires_at;
  check(Date.parse(expires) > Date.now(), "verify's expiry is in the future");
  return data.user;
}

// A client that is not a browser asks for the refresh token in the body (browsers get the HttpOnly cookie).
export interface Device {
  token: string;
  refreshToken: string;
}

export async function logInForRefreshToken(api: Api, email: string, password: string): Promise<Device> {
  const { data, error, response } = await api.POST("/api/auth/login", {
    body: { email, password, refresh_token_in_body: true },
  });
  if (error !== undefined) {
    throw new Error(`login: ${response.status} ${error.code}: ${error.detail}`);
  }
  const refreshToken: string | null = data.refresh_token;
  check(refreshToken !== null, "a login that asked for it answers the refresh token in the body");
  return { token: data.token, refreshToken };
}

// The answer of a refresh: a new access token, and the refresh token only when it came in the body.
function refreshed(answer: SignedIn): Device | null {
  const token: string = answer.token;
  const expires: string = answer.expires_at;
  check(Date.parse(expires) > Date.now(), "a refreshed token's expiry is in the future");
  return answer.refresh_token === null ? null : { token, refreshToken: answer.refresh_token };
}

// A browser refreshes with the cookie alone: no body. Null when there is nothing to refresh (no cookie, or its
// session ended): sign in again.
export async function refreshFromCookie(api: Api): Promise<string | null> {
  const { data, error, response } = await api.POST("/api/auth/refresh");
  if (error !== undefined) {
    check(response.status === 401, `refresh refuses with 401, got ${response.status}`);
    const code: string = error.code;
    check(["invalid_refresh_token", "refresh_token_reused"].includes(code), `a refresh 401 code: ${code}`);
    return null;
  }
  check(refreshed(data) === null, "a refresh from the cookie never answers the refresh token in a body");
  return data.token;
}

export async function refreshWithToken(api: Api, refreshToken: string): Promise<Device> {
  const { data, error, response } = await api.POST("/api/auth/refresh", {
    body: { refresh_token: refreshToken },
  });
  if (error !== undefined) {
    throw new Error(`refresh: ${response.status} ${error.code}: ${error.detail}`);
  }
  const next = refreshed(data);
  check(next !== null && next.refreshToken !== refreshToken, "a body refresh rotates the refresh token");
  return next;
}

// The "signed-in devices" page of a frontend.
export async function listSessions(api: Api): Promise<SignInSession[]> {
  const { data, error, response } = await api.GET("/api/auth/sessions");
  if (error !== undefined) {
    throw new Error(`sessions: ${response.status} ${error.code}: ${error.detail}`);
  }
  return data.sessions;
}

export function describeSession(session: SignInSession): string {
  const id: string = session.id;
  const created: string = session.created_at;
  const lastUsed: string = session.last_used_at;
  const userAgent: string | null = session.user_agent;
  const current: boolean = session.current;
  return `${id.slice(0, 4)}… ${userAgent ?? "(unknown device)"}, since ${Date.parse(created)}, last used ${
    Date.parse(lastUsed)
  }${current ? " (this device)" : ""}`;
}

export async function endSession(api: Api, sessionId: string): Promise<boolean> {
  const { error, response } = await api.DELETE("/api/auth/sessions/{session_id}", {
    params: { path: { session_id: sessionId } },
  });
  if (error !== undefined) {
    const code: string = error.code;
    check(response.status === 404 && code === "session_not_found", `end session: ${response.status} ${code}`);
    return false;
  }
  check(response.status === 204, "ending a session answers 204");
  return true;
}

export async function logOutEverywhere(api: Api): Promise<void> {
  const { data, error } = await api.POST("/api/auth/logout-all");
  check(error === undefined && data.message.length > 0, "logout-all answers 200 with a message");
}

// True when changed; false when the current password was wrong (the form says so).
export async function changePassword(api: Api, currentPassword: string, newPassword: string): Promise<boolean> {
  const { data, error, response } = await api.PUT("/api/auth/password", {
    body: { current_password: currentPassword, new_password: newPassword },
  });
  if (error !== undefined) {
    const code: string = error.code;
    check(response.status === 401 && code === "invalid_credentials", `password: ${response.status} ${code}`);
    return false;
  }
  const message: string = data.message;
  return message.length > 0;
}

// Sessions: a phone-style client refreshes with its body token; the first device lists the sessions, ends the
// phone's, changes the password (ending the tablet's), then ends every session.
export async function sessionsFlow(baseUrl: string, api: Api, email: string, password: string): Promise<string[]> {
  const anonymous = apiClient(baseUrl);
  check((await refreshFromCookie(anonymous)) === null, "no refresh cookie (not a browser): nothing to refresh");
  const signedInPhone = await logInForRefreshToken(anonymous, email, password);
  const phone = await refreshWithToken(anonymous, signedInPhone.refreshToken);
  const tablet = await logInForRefreshToken(anonymous, email, password);
  const listed = await listSessions(api);
  check(listed.length === 3 && listed.filter((each) => each.current).length === 1, "3 sessions, one current");
  const phoneApi = apiClient(baseUrl, phone.token);
  const phoneSession = (await listSessions(phoneApi)).find((each) => each.current);
  check(phoneSession !== undefined, "the phone's own session is marked current for it");
  check(await endSession(api, phoneSession.id), "the phone's session ends");
  check(!(await endSession(api, phoneSession.id)), "an ended session is a 404");
  check((await verify(phoneApi)) === null, "the ended session's access token is refused");
  check(!(await changePassword(api, `${password}-wrong`, "typescript-client-2")), "a wrong current password");
  check(await changePassword(api, password, "typescript-client-2"), "the password changes");
  check((await verify(apiClient(baseUrl, tablet.token))) === null, "a password change ends the other sessions");
  const remaining = await listSessions(api);
  check(remaining.length === 1 && remaining[0]?.current === true, "only this session remains");
  await logOutEverywhere(api);
  check((await verify(api)) === null, "after logout-all this token is refused too");
  return [...listed, ...remaining].map(describeSession);
}

export async function logOut(api: Api): Promise<void> {
  const { data, error } = await api.POST("/api/auth/logout");
  check(error === undefined && data.message.length > 0, "logout answers 200 with a message");
}

// Typed wrappers as frontends write them (`updateTask(id, Partial<Task>)`). Their parameter types also refuse a
// typo'd field in an object literal, which openapi-fetch's generic options do not check (excess properties are
// not checked against a type parameter's constraint).
// Each create carries a new Idempotency-Key: retried with the same key (after a 503 or a dropped connection), it
// answers the first answer again and never makes a second task.
export async function createTask(api: Api, draft: TaskDraft, key: string = crypto.randomUUID()): Promise<Task> {
  const { data, error, response } = await api.POST("/api/tasks", {
    body: draft,
    params: { header: { "Idempotency-Key": key } },
  });
  if (error !== undefined) {
    throw new Error(`create: ${response.status} ${error.code}: ${error.detail}`);
  }
  return data;
}

export async function updateTask(api: Api, id: number, changes: TaskChanges): Promise<Task> {
  const { data, error, response } = await api.PUT("/api/tasks/{task_id}", {
    params: { path: { task_id: id } },
    body: changes,
  });
  if (error !== undefined) {
    throw new Error(`update: ${response.status} ${error.code}: ${error.detail}`);
  }
  return data;
}

// The tasks of the signed-in user, through /api/tasks; the same calls through /api/{user_id}/tasks below.
export async function tasksFlow(api: Api): Promise<string[]> {
  const seen: string[] = [];

  // Create with a title only: every other field has a default.
  const created = await api.POST("/api/tasks", { body: { title: "Buy milk" } });
  if (created.error !== undefined) {
    throw new Error(`create: ${created.response.status} ${created.error.code}`);
  }
  let task: Task = created.data;
  check(task.completed === false && task.priority === "medium" && task.description === null, "defaults");
  check(created.response.status === 201 && etagOf(created.response) === `"${task.version}"`, "201 + ETag");
  seen.push(describeTask(task));

  // Create with every writable field.
  const full = await api.POST("/api/tasks", {
    body: {
      title: "File taxes",
      description: "Before the deadline",
      completed: false,
      priority: "high",
      due_date: "2026-12-01T17:00:00Z",
      tags: ["Money", "money", " home "],
      category: "Admin",
    },
  });
  check(full.data !== undefined && full.data.due_date !== null, "create with every field");
  check(full.data.tags.join() === "Money,home" && full.data.category === "Admin", "tags normalised, category");

  // Create as other frontends write it: the tags as one string, dueDate, status, priority in capitals.
  const spelledDraft: TaskDraft = {
    title: "Water plants",
    tags: "garden, home",
    dueDate: "2026-12-02",
    status: "completed",
    // The types name the canonical spelling; the API takes any case (a frontend in plain JavaScript sends this).
    priority: "LOW" as string as Priority,
  };
  const spelledKey = crypto.randomUUID();
  const spelled = await createTask(api, spelledDraft, spelledKey);
  check(spelled.completed && spelled.status === "completed" && spelled.priority === "low", "other spellings");
  // Its retry, as after a lost answer: the same task, marked as a replay, nothing more created.
  const retried = await api.POST("/api/tasks", {
    body: spelledDraft,
    params: { header: { "Idempotency-Key": spelledKey } },
  });
  check(retried.response.status === 201 && retried.data?.id === spelled.id, "a retry answers the first create");
  check(retried.response.headers.get("Idempotent-Replayed") === "true", "the retry is marked as a replay");
  check(spelled.due_date?.startsWith("2026-12-02T00:00:00") === true, "dueDate");

  // Read it back: the ETag of the read is what the next write sends.
  const read = await api.GET("/api/tasks/{task_id}", { params: { path: { task_id: task.id } } });
  if (read.error !== undefined) {
    throw new Error(`read: ${read.response.status} ${read.error.code}`);
  }
  task = read.data;
  let etag = etagOf(read.response);

  // PUT of the task as read, one field changed (the usual edit form): read-only fields are sent back, ignored.
  const edited = await api.PUT("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id }, header: { "If-Match": etag } },
    body: { ...task, title: "Buy oat milk" },
  });
  if (edited.error !== undefined) {
    throw new Error(`PUT as read: ${edited.response.status} ${edited.error.code}: ${edited.error.detail}`);
  }
  check(edited.data.title === "Buy oat milk" && edited.data.version === task.version + 1, "PUT as read");
  task = edited.data;
  etag = etagOf(edited.response);

  // A partial PUT, as `updateTask(userId, id, Partial<Task>)` sends it: the other fields stay.
  const partialPut = await api.PUT("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id } },
    body: { title: "Buy milk and bread", description: "Whole grain" },
  });
  check(partialPut.data?.priority === "medium" && partialPut.data.description === "Whole grain", "partial PUT");
  // Another task as read, sent to this one: its id in the body is ignored, the path decides.
  const spare = await createTask(api, { title: "Spare" });
  const wrapped = await updateTask(api, task.id, { ...spare, title: "x" });
  check(wrapped.title === "x" && wrapped.id === task.id && wrapped.priority === "medium", "a foreign id ignored");
  task = await updateTask(api, task.id, { title: "Buy milk and bread" });
  await api.DELETE("/api/tasks/{task_id}", { params: { path: { task_id: spare.id } } });

  // A partial PATCH with a stale If-Match: 412, with the current ETag in the answer.
  const stale = await api.PATCH("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id }, header: { "If-Match": etag } },
    body: { priority: "low" },
  });
  check(stale.response.status === 412 && stale.error?.code !== undefined, "a stale If-Match is a 412");
  etag = etagOf(stale.response);

  // PATCH: clear the description and the due date (null is allowed for these two), set a date-only due date.
  const patched = await api.PATCH("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id }, header: { "If-Match": etag } },
    body: { priority: "low", description: null, due_date: null },
  });
  check(patched.data?.priority === "low" && patched.data.description === null, "PATCH");
  const dated = await api.PATCH("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id } },
    body: { due_date: "2026-12-01" },
  });
  check(dated.data?.due_date?.startsWith("2026-12-01T00:00:00") === true, "a date-only due date");

  // The edit form of a frontend that reads status: the task as read (completed: false), its status changed.
  check(dated.data !== undefined, "the dated task");
  const done = await updateTask(api, task.id, { ...dated.data, status: "completed" });
  check(done.completed && done.status === "completed", "PUT with status");
  const reopened = await updateTask(api, task.id, { ...done, status: "pending" });
  check(!reopened.completed, "PUT with status, back");

  // Complete: no body or {} toggles, {completed} sets.
  const untoggled = await api.PATCH("/api/tasks/{task_id}/complete", { params: { path: { task_id: task.id } } });
  check(untoggled.data?.completed === true && untoggled.data.status === "completed", "no body toggles");
  const toggled = await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path: { task_id: task.id } },
    body: {},
  });
  check(toggled.data?.completed === false, "{} toggles");
  const set = await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path: { task_id: task.id }, header: { "If-Match": etagOf(toggled.response) } },
    body: { completed: true },
  });
  check(set.data?.completed === true, "complete with a body sets");

  // List with query parameters.
  const page = await api.GET("/api/tasks", {
    params: { query: { status: "completed", q: "milk", sort: "due_date", order: "asc", limit: 10, offset: 0 } },
  });
  if (page.error !== undefined) {
    throw new Error(`list: ${page.response.status} ${page.error.code}`);
  }
  const list: TaskPage = page.data;
  const total: number = list.total;
  check(total === 1 && list.limit === 10 && list.offset === 0, "the filtered list");
  check(page.response.headers.get("X-Total-Count") === "1", "the total in X-Total-Count too");
  seen.push(...list.tasks.map(describeTask));
  const everything = await api.GET("/api/tasks");
  check(everything.data?.total === 3, "the default list");
  const tagged = await api.GET("/api/tasks", { params: { query: { tag: ["HOME", "garden"], category: "" } } });
  check(tagged.data?.tasks.map((each) => each.title).join() === "Water plants", "the tag filter, ANDed");
  const tags = await api.GET("/api/tasks/tags");
  const names: string[] = tags.data ?? [];
  check(names.join() === "garden,home,Money", "the tags list, A to Z in any case");

  // Delete with If-Match, then it is gone.
  const removed = await api.DELETE("/api/tasks/{task_id}", {
    params: { path: { task_id: task.id }, header: { "If-Match": etagOf(set.response) } },
  });
  check(removed.response.status === 204 && removed.error === undefined, "delete answers 204");
  const gone = await api.GET("/api/tasks/{task_id}", { params: { path: { task_id: task.id } } });
  check(gone.response.status === 404 && gone.error?.code === "task_not_found", "a deleted task is a 404");
  await api.DELETE("/api/tasks/{task_id}", { params: { path: { task_id: full.data.id } } });
  await api.DELETE("/api/tasks/{task_id}", { params: { path: { task_id: spelled.id } } });
  return seen;
}

// The same operations under /api/{user_id}/tasks, for frontends written to that path style.
export async function userScopedFlow(api: Api, userId: string): Promise<string[]> {
  const mine = { user_id: userId };
  const created = await api.POST("/api/{user_id}/tasks", {
    params: { path: mine },
    body: { title: "Walk the dog", priority: "high", tags: ["dogs"] },
  });
  if (created.error !== undefined) {
    throw new Error(`create: ${created.response.status} ${created.error.code}`);
  }
  const path = { ...mine, task_id: created.data.id };
  const read = await api.GET("/api/{user_id}/tasks/{task_id}", { params: { path } });
  if (read.error !== undefined) {
    throw new Error(`read: ${read.response.status} ${read.error.code}`);
  }
  const task: Task = read.data;
  const put = await api.PUT("/api/{user_id}/tasks/{task_id}", {
    params: { path, header: { "If-Match": etagOf(read.response) } },
    body: { ...task, title: "Walk the dog twice" },
  });
  check(put.data?.title === "Walk the dog twice", "PUT as read (user-scoped)");
  const partialPut = await api.PUT("/api/{user_id}/tasks/{task_id}", {
    params: { path },
    body: { title: "Walk the dog", description: "Around the park" },
  });
  check(partialPut.data?.priority === "high", "partial PUT (user-scoped)");
  const patched = await api.PATCH("/api/{user_id}/tasks/{task_id}", { params: { path }, body: { completed: true } });
  check(patched.data?.completed === true, "PATCH (user-scoped)");
  const toggled = await api.PATCH("/api/{user_id}/tasks/{task_id}/complete", { params: { path } });
  check(toggled.data?.completed === false, "complete without a body (user-scoped)");
  const set = await api.PATCH("/api/{user_id}/tasks/{task_id}/complete", {
    params: { path },
    body: { completed: false },
  });
  check(set.data?.completed === false, "complete with a body (user-scoped)");
  // The spec's path answers a bare array, the paging in headers.
  const list = await api.GET("/api/{user_id}/tasks", {
    params: { path: mine, query: { status: "pending", sort: "priority", order: "desc", limit: 100 } },
  });
  const listed: Task[] = list.data ?? [];
  check(listed.some((each) => each.id === task.id), "list (user-scoped): an array");
  check(list.response.headers.get("X-Total-Count") === String(listed.length), "X-Total-Count (user-scoped)");
  check(list.response.headers.get("Link")?.includes('rel="first"') === true, "Link (user-scoped)");
  const tags = await api.GET("/api/{user_id}/tasks/tags", { params: { path: mine } });
  check(tags.data?.includes("dogs") === true, "the tags list (user-scoped)");
  const removed = await api.DELETE("/api/{user_id}/tasks/{task_id}", { params: { path } });
  check(removed.response.status === 204, "delete (user-scoped)");
  const other = await api.GET("/api/{user_id}/tasks", { params: { path: { user_id: `${userId}-other` } } });
  check(other.response.status === 403 && other.error?.code !== undefined, "another user's path is a 403");
  return [describeTask(task)];
}

// The whole walk: signup, verify, both task flows with the bearer token, login, logout, then 401; sessions.
export async function main(baseUrl: string): Promise<string[]> {
  const anonymous = apiClient(baseUrl);
  await health(anonymous);
  const email = `ts-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = "typescript-client-1";
  const signed = await signUp(anonymous, email, password, "TS Client");
  const api = apiClient(baseUrl, signed.token);
  const me = await verify(api);
  check(me !== null && me.id === signed.user.id, "verify names the signed-up user");
  const seen = [describeUser(me), ...(await tasksFlow(api)), ...(await userScopedFlow(api, me.id))];
  const again = await logIn(anonymous, email.toUpperCase(), password);
  const second = apiClient(baseUrl, again.token);
  await logOut(second);
  check((await verify(second)) === null, "a logged-out token is refused");
  check((await verify(anonymous)) === null, "no token is refused");
  return [...seen, ...(await sessionsFlow(baseUrl, api, email, password))];
}

// Run by the test as `node client.js BASE_URL`; only type-checked otherwise.
declare const process: { argv: string[]; exitCode?: number } | undefined;
const argv = typeof process === "undefined" ? [] : process.argv;
if (argv[1]?.endsWith("client.js") === true && argv[2] !== undefined) {
  main(argv[2]).then(
    (lines) => console.log(JSON.stringify({ ok: true, lines })),
    (error: unknown) => {
      console.log(JSON.stringify({ ok: false, error: String(error) }));
      if (process !== undefined) {
        process.exitCode = 1;
      }
    },
  );
}
