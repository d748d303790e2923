"""The README's black-box walk-through, for any running server: the plain local one and the Lambda gateway."""

from __future__ import annotations

import uuid

import httpx

FRONTEND = "http://localhost:3000"


def walk_through(base_url: str) -> None:
    """Sign up, log in, verify, create, list, complete (with If-Match), a stale write (412), delete, log out,
    from the frontend's origin; asserts each step, CORS included."""
    email = f"walk-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=base_url, headers={"Origin": FRONTEND}) as client:
        signup = client.post("/api/auth/signup", json={"email": email, "password": "password123"})
        assert signup.status_code == 201
        assert signup.headers["access-control-allow-origin"] == FRONTEND
        exposed = signup.headers["access-control-expose-headers"].lower()
        assert {"etag", "retry-after", "x-request-id"} <= {name.strip() for name in exposed.split(",")}
        login = client.post("/api/auth/login", json={"email": email, "password": "password123"})
        assert login.status_code == 200
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}
        assert client.get("/api/auth/verify", headers=bearer).json()["user"]["email"] == email
        created = client.post("/api/tasks", json={"title": "Walk through"}, headers=bearer)
        assert created.status_code == 201
        task_id = created.json()["id"]
        listed = client.get("/api/tasks", headers=bearer).json()
        assert [task["id"] for task in listed["tasks"]] == [task_id]
        etag = {"If-Match": created.headers["etag"]}
        done = client.patch(f"/api/tasks/{task_id}/complete", headers={**bearer, **etag})
        assert done.status_code == 200
        assert done.json()["completed"] is True
        stale = client.patch(f"/api/tasks/{task_id}", json={"title": "x"}, headers={**bearer, **etag})
        assert stale.status_code == 412
        assert client.delete(f"/api/tasks/{task_id}", headers=bearer).status_code == 204
        assert client.post("/api/auth/logout", headers=bearer).status_code == 200
        assert client.get("/api/auth/verify", headers=bearer).status_code == 401
