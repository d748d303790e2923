// The frontend's walk through the API, once with the bearer token and once with the cookie alone (which also
// refreshes with the refresh cookie alone, as a Next.js frontend does).
"use strict";
const params = new URLSearchParams(location.search);
const API = params.get("api");
const AUTH = params.get("auth"); // "bearer": Authorization header; "cookie": credentials "include", no header
const FOREIGN = params.get("foreign");
let token = null;

document.getElementById("setting").textContent =
  `page ${location.origin}, API ${API}, authenticated by the ${AUTH === "cookie" ? "cookie alone" : "bearer token"}`;

// One API call as a frontend makes it: JSON in and out, the ETag read from the response headers.
async function call(method, path, { body, ifMatch } = {}) {
  const headers = {};
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (AUTH === "cookie") init.credentials = "include";
  else if (token) headers["Authorization"] = `Bearer ${token}`;
  const response = await timedFetch(API + path, init);
  const text = await response.text();
  return { status: response.status, etag: response.headers.get("ETag"), json: text ? JSON.parse(text) : null };
}

// The refresh as a Next.js frontend makes it: the cookie alone (credentials "include"), no body, no token of its
// own (the access token may be the one that expired). The refresh token itself never reaches the page.
async function refresh() {
  const response = await timedFetch(API + "/api/auth/refresh", { method: "POST", credentials: "include" });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

// The foreign page in a frame: it reports its checks back with postMessage.
function foreignFrame(from) {
  return new Promise((resolve) => {
    const frame = document.getElementById("foreign");
    const timer = setTimeout(() => resolve(null), 4 * DEADLINE_MS);
    window.addEventListener("message", function listener(event) {
      if (event.source !== frame.contentWindow) return;
      window.removeEventListener("message", listener);
      clearTimeout(timer);
      resolve(event.data);
    });
    frame.src = `${FOREIGN}?api=${encodeURIComponent(API)}&from=${from}#${token ?? ""}`;
  });
}

// The test opens the foreign page on its own in another tab meanwhile, then calls window.resume().
const resumed = new Promise((resolve) => { window.resume = resolve; });
// After logout (cookie run) the test puts back a copy of the refresh cookie taken before, then calls this.
const replayed = new Promise((resolve) => { window.resumeAfterLogout = resolve; });

async function run() {
  const email = `browser-${AUTH}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = "browser-password-7";
  const signup = await call("POST", "/api/auth/signup", { body: { email, password, name: "Browser" } });
  check("POST /api/auth/signup", 201, signup.status, signup.status === 201);
  const login = await call("POST", "/api/auth/login", { body: { email, password } });
  check("POST /api/auth/login", 200, login.status, login.status === 200 && typeof login.json.token === "string");
  if (AUTH === "bearer") token = login.json.token; // the cookie run never sends it
  const verify = await call("GET", "/api/auth/verify");
  check("GET /api/auth/verify: the signed-up user", `200 ${email}`, `${verify.status} ${verify.json?.user?.email}`,
    verify.status === 200 && verify.json.user.email === email);

  const created = await call("POST", "/api/tasks", { body: { title: "From the browser" } });
  check("POST /api/tasks (title only)", 201, created.status, created.status === 201);
  const id = created.json.id;
  check("ETag of the created task readable from JS", '"1"', created.etag, created.etag === '"1"');
  const listed = await call("GET", "/api/tasks");
  const ids = (listed.json?.tasks ?? []).map((task) => task.id);
  check("GET /api/tasks lists exactly the new task", `200 [${id}]`, `${listed.status} [${ids}]`,
    listed.status === 200 && ids.length === 1 && ids[0] === id);
  const read = await call("GET", `/api/tasks/${id}`);
  check("GET /api/tasks/{id}: ETag readable", '200 "1"', `${read.status} ${read.etag}`,
    read.status === 200 && read.etag === '"1"');

  const fresh = await call("PATCH", `/api/tasks/${id}`, { body: { title: "Renamed" }, ifMatch: read.etag });
  check("PATCH with a fresh If-Match", '200 "2" Renamed', `${fresh.status} ${fresh.etag} ${fresh.json?.title}`,
    fresh.status === 200 && fresh.etag === '"2"' && fresh.json.title === "Renamed");
  const stale = await call("PATCH", `/api/tasks/${id}`, { body: { title: "Lost update" }, ifMatch: read.etag });
  check("PATCH with a stale If-Match: 412, its code and the current ETag readable",
    '412 precondition_failed "2"', `${stale.status} ${stale.json?.code} ${stale.etag}`,
    stale.status === 412 && stale.json.code === "precondition_failed" && stale.etag === '"2"');
  const toggled = await call("PATCH", `/api/tasks/${id}/complete`, { ifMatch: fresh.etag });
  check("PATCH /api/tasks/{id}/complete toggles", '200 completed "3"',
    `${toggled.status} ${toggled.json?.completed ? "completed" : "pending"} ${toggled.etag}`,
    toggled.status === 200 && toggled.json.completed === true && toggled.etag === '"3"');

  if (AUTH === "cookie") await refreshFromThePage(login.json.token, id);
  else {
    // The bearer run never sent credentials, so the browser kept no cookie from the API: nothing to refresh.
    const none = await refresh();
    check("POST /api/auth/refresh without a refresh cookie", "401 invalid_refresh_token",
      `${none.status} ${none.json?.code}`, none.status === 401 && none.json.code === "invalid_refresh_token");
  }

  // A foreign origin, framed here (so it shares this page's cookie partition), cannot read or write.
  const framed = await foreignFrame(`foreign-frame-${AUTH}`);
  check("the framed foreign page reported", "its checks", framed ? `${framed.steps.length} checks` : "nothing", framed);
  for (const step of framed?.steps ?? []) check(`foreign frame: ${step.step}`, step.want, step.got, step.passed);
  document.body.dataset.state = "waiting"; // for the foreign page in its own tab
  await resumed;
  document.body.dataset.state = "running";
  const after = await call("GET", `/api/tasks/${id}`);
  check("after the foreign pages: session and task unchanged", '200 Renamed "3"',
    `${after.status} ${after.json?.title} ${after.etag}`,
    after.status === 200 && after.json.title === "Renamed" && after.etag === '"3"');

  const deleted = await call("DELETE", `/api/tasks/${id}`);
  check("DELETE /api/tasks/{id}", 204, deleted.status, deleted.status === 204);
  const logout = await call("POST", "/api/auth/logout");
  check("POST /api/auth/logout", 200, logout.status, logout.status === 200);
  const afterLogout = await call("GET", "/api/auth/verify");
  check("GET /api/auth/verify after logout", 401, afterLogout.status, afterLogout.status === 401);
  const tasksAfter = await call("GET", "/api/tasks");
  check("GET /api/tasks after logout", 401, tasksAfter.status, tasksAfter.status === 401);
  const refreshAfter = await refresh();
  check("POST /api/auth/refresh after logout (the cookie was cleared)", "401 invalid_refresh_token",
    `${refreshAfter.status} ${refreshAfter.json?.code}`,
    refreshAfter.status === 401 && refreshAfter.json.code === "invalid_refresh_token");
  if (AUTH === "cookie") {
    document.body.dataset.state = "logged-out"; // the test puts the refresh cookie of before the logout back
    await replayed;
    document.body.dataset.state = "running";
    const replay = await refresh();
    check("POST /api/auth/refresh with a copy of the refresh cookie from before logout", "401 invalid_refresh_token",
      `${replay.status} ${replay.json?.code}`, replay.status === 401 && replay.json.code === "invalid_refresh_token");
  }
}

// Cookie run: refresh with the cookie alone, use what it gave, and find the refresh token out of the page's reach.
async function refreshFromThePage(loginToken, id) {
  const refreshed = await refresh();
  const fresh = refreshed.json?.token;
  check("POST /api/auth/refresh with the cookie alone: a new access token", "200 a new token",
    `${refreshed.status} ${typeof fresh === "string" && fresh !== loginToken ? "a new token" : String(fresh)}`,
    refreshed.status === 200 && typeof fresh === "string" && fresh !== loginToken);
  check("the refresh answer's refresh_token is null (the cookie is never answered in a body)", "null",
    JSON.stringify(refreshed.json?.refresh_token), refreshed.json?.refresh_token === null);
  check("document.cookie holds neither todo_refresh nor todo_auth (HttpOnly)", "neither",
    document.cookie || "(empty)", !/(^|;\s*)todo_(refresh|auth)=/.test(document.cookie));
  const withCookie = await call("GET", "/api/tasks");
  check("GET /api/tasks with the refreshed access cookie", `200 [${id}]`,
    `${withCookie.status} [${(withCookie.json?.tasks ?? []).map((task) => task.id)}]`,
    withCookie.status === 200 && withCookie.json.tasks.length === 1 && withCookie.json.tasks[0].id === id);
  const withToken = await timedFetch(API + "/api/tasks", { headers: { Authorization: `Bearer ${fresh}` } });
  const listed = await withToken.json();
  check("GET /api/tasks with the refreshed token as bearer (no cookie)", `200 [${id}]`,
    `${withToken.status} [${(listed?.tasks ?? []).map((task) => task.id)}]`,
    withToken.status === 200 && listed.tasks.length === 1 && listed.tasks[0].id === id);
  const verified = await call("GET", "/api/auth/verify");
  check("GET /api/auth/verify with the cookie: the refreshed token's expiry", refreshed.json?.expires_at,
    verified.json?.expires_at, verified.status === 200 && verified.json.expires_at === refreshed.json?.expires_at);
}

run().then(() => finish(), finish);
