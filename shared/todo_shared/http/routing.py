"""Routes of a user's own collection, served under both path styles frontends use.

``/api/tasks…`` and ``/api/{user_id}/tasks…`` are the same endpoints; under the second a user id other than
the caller's is refused (403) before anything else about the request is looked at but the token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends

from todo_shared import errors
from todo_shared.http.deps import require_own_path
from todo_shared.http.openapi import error_responses

# "own": /api/<collection>…; "user": /api/{user_id}/<collection>… (the spec's).
PathStyle = Literal["own", "user"]


class OwnCollectionRoutes:
    """Registers each endpoint under ``/api/<collection>`` and ``/api/{user_id}/<collection>`` (or under one of
    them, for an endpoint whose answer differs by path style). Routes are matched in the order registered: a
    literal path (``/tags``) must come before a parameter in its place (``/{task_id}``)."""

    def __init__(self, router: APIRouter, collection: str) -> None:
        self.router = router
        self.collection = collection

    def route[E: Callable[..., Any]](
        self,
        method: str,
        suffix: str,
        *,
        summary: str,
        responses: dict[int | str, dict[str, Any]] | None = None,
        styles: tuple[PathStyle, ...] = ("own", "user"),
        **options: Any,
    ) -> Callable[[E], E]:
        own = {**error_responses(errors.AuthenticationFailed), **(responses or {})}

        def register(endpoint: E) -> E:
            if "own" in styles:
                self.router.add_api_route(
                    f"/api/{self.collection}{suffix}",
                    endpoint,
                    methods=[method],
                    summary=summary,
                    responses=own,
                    **options,
                )
            if "user" in styles:
                self.router.add_api_route(
                    f"/api/{{user_id}}/{self.collection}{suffix}",
                    endpoint,
                    methods=[method],
                    summary=f"{summary} (user-scoped path)",
                    responses={
                        **error_responses(errors.AuthenticationFailed, errors.OtherUsersPath),
                        **(responses or {}),
                    },
                    dependencies=[Depends(require_own_path)],
                    **options,
                )
            return endpoint

        return register
