"""The README's black-box walk-through, for any running server: the plain local one, the Lambda gateway and
``sam local start-api``."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

FRONTEND = "http://localhost:3000"
EXPOSED = frozenset({"etag", "retry-after", "x-request-id", "x-total-count", "link", "idempotent-replayed"})


def walk_through(
    base_url: str, *, exposes_headers: bool = True, report: Callable[[str], None] | None = None
) -> None:
    """Sign up, log in, verify, create, list, complete (with If-Match), a stale write (412), delete, log out,
    from the frontend's origin; asserts each step, CORS included.

    ``exposes_headers=False``: the server is known to send no ``Access-Control-Expose-Headers`` (``sam local``
    does not implement the HTTP API's ExposeHeaders), and that is checked instead. ``report`` receives one
    line per check passed."""

    def check(label: str, passed: bool) -> None:
        assert passed, label
        if report is not None:
            report(f"ok   {label}")

    email = f"walk-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=base_url, headers={"Origin": FRONTEND}, timeout=60) as client:
        signup = client.post("/api/auth/signup", json={"email": email, "password": "violet-kettle-42"})
        check(f"POST /api/auth/signup {signup.status_code} (want 201)", signup.status_code == 201)
        allowed = signup.headers.get("access-control-allow-origin")
        check(f"Access-Control-Allow-Origin: {allowed} (want {FRONTEND})", allowed == FRONTEND)
        exposed = signup.headers.get("access-control-expose-headers")
        if exposes_headers:
            names = {name.strip() for name in (exposed or "").lower().split(",")}
            check(
                f"Access-Control-Expose-Headers: {exposed} (want {', '.join(sorted(EXPOSED))})",
                names >= EXPOSED,
            )
        else:
            check(
                f"Access-Control-Expose-Headers: {exposed} (want none, as this server sends)", exposed is None
            )
        login = client.post("/api/auth/login", json={"email": email, "password": "violet-kettle-42"})
        check(f"POST /api/auth/login {login.status_code} (want 200)", login.status_code == 200)
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        verified = client.get("/api/auth/verify", headers=bearer)
        check(
            f"GET /api/auth/verify {verified.status_code} for the user signed up (want 200)",
            verified.status_code == 200 and verified.json()["user"]["email"] == email,
        )
        created = client.post("/api/tasks", json={"title": "Walk through"}, headers=bearer)
        check(f"POST /api/tasks {created.status_code} (want 201)", created.status_code == 201)
        task_id = created.json()["id"]
        listed = client.get("/api/tasks", headers=bearer)
        check(
            f"GET /api/tasks {listed.status_code} lists exactly the new task",
            listed.status_code == 200 and [task["id"] for task in listed.json()["tasks"]] == [task_id],
        )
        etag = {"If-Match": created.headers["etag"]}
        done = client.patch(f"/api/tasks/{task_id}/complete", headers={**bearer, **etag})
        check(
            f"PATCH /api/tasks/{{id}}/complete with If-Match {done.status_code}, completed (want 200)",
            done.status_code == 200 and done.json()["completed"] is True,
        )
        stale = client.patch(f"/api/tasks/{task_id}", json={"title": "x"}, headers={**bearer, **etag})
        check(
            f"PATCH /api/tasks/{{id}} with a stale If-Match {stale.status_code} (want 412)",
            stale.status_code == 412,
        )
        deleted = client.delete(f"/api/tasks/{task_id}", headers=bearer)
        check(f"DELETE /api/tasks/{{id}} {deleted.status_code} (want 204)", deleted.status_code == 204)
        logout = client.post("/api/auth/logout", headers=bearer)
        check(f"POST /api/auth/logout {logout.status_code} (want 200)", logout.status_code == 200)
        after = client.get("/api/auth/verify", headers=bearer)
        check(f"GET /api/auth/verify after logout {after.status_code} (want 401)", after.status_code == 401)
