// What a page on a foreign origin can do with the API: nothing it can read, no write that counts.
"use strict";
const params = new URLSearchParams(location.search);
const API = params.get("api");
const FROM = params.get("from");
const stolen = location.hash.slice(1); // the bearer token, when the frontend's run has one
const framed = window.parent !== window;

document.getElementById("setting").textContent =
  `page ${location.origin} (${framed ? "framed by the frontend" : "on its own"}), API ${API}`;

async function run() {
  const want = "blocked: TypeError"; // CORS: the browser refuses the response (a timeout is a TimeoutError)
  const cookieRead = await outcome(`${API}/api/tasks`, { credentials: "include" });
  check("GET /api/tasks with the cookie", want, cookieRead, cookieRead === want);
  if (stolen) {
    const bearerRead = await outcome(`${API}/api/tasks`, { headers: { Authorization: `Bearer ${stolen}` } });
    check("GET /api/tasks with the bearer token (preflight refused)", want, bearerRead, bearerRead === want);
  }
  const jsonWrite = await outcome(`${API}/api/tasks`, {
    method: "POST", credentials: "include",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title: "forged" }),
  });
  check("POST /api/tasks as JSON with the cookie (preflight refused)", want, jsonWrite, jsonWrite === want);
  // A simple request is sent without a preflight, so the API itself must refuse it (the test reads the
  // gateway's log); even its opaque answer is withheld from the page (Cross-Origin-Resource-Policy: same-site).
  const simple = await outcome(`${API}/api/auth/logout?from=${FROM}`, {
    method: "POST", credentials: "include", mode: "no-cors",
  });
  check("POST /api/auth/logout with the cookie, no-cors (sent; answer withheld)", want, simple, simple === want);
}

run().then(() => finish(), finish).then(() => {
  if (framed) window.parent.postMessage({ steps: window.report.steps }, "*");
});
