"""CORS as API Gateway answers it for template.yaml's CorsConfiguration, for both local servers.

The gateway (devtools.local_gateway) answers every preflight itself; `make run`'s server keeps Starlette's
middleware for the other answers but answers preflight the same way: 204 with the configured headers for an
allowed origin, and 204 with no CORS header at all otherwise. Starlette's own answer to a refused preflight, a
plain-text 400 that still carries CORS headers, is what no deployed frontend ever meets. Neither checks the method
or headers a preflight asks for (API Gateway leaves that to the browser).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from devtools import template


class CorsPolicy:
    """API Gateway's CORS behaviour for an HTTP API with a CorsConfiguration."""

    def __init__(self, config: template.Cors, origins: tuple[str, ...]) -> None:
        self.config = config
        self.origins = frozenset(origins)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    def preflight_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """The preflight answer's headers: none for an origin that is not allowed."""
        if origin is None or not self.allows(origin):
            return []
        return [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", ",".join(self.config.allow_methods)),
            (
                "access-control-allow-headers",
                ",".join(header.lower() for header in self.config.allow_headers),
            ),
            ("access-control-max-age", str(self.config.max_age)),
            *self._credentials(),
        ]

    def response_headers(self, origin: str) -> list[tuple[str, str]]:
        exposed = ",".join(header.lower() for header in self.config.expose_headers)
        expose = [("access-control-expose-headers", exposed)] if exposed else []
        return [("access-control-allow-origin", origin), *self._credentials(), *expose]

    def _credentials(self) -> list[tuple[str, str]]:
        return [("access-control-allow-credentials", "true")] if self.config.allow_credentials else []


class LocalCorsMiddleware(CORSMiddleware):
    """Starlette's CORS middleware configured from the policy, whose preflight answer is the gateway's."""

    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        config = policy.config
        super().__init__(
            app,
            allow_origins=sorted(policy.origins),
            allow_credentials=config.allow_credentials,
            allow_methods=list(config.allow_methods),
            allow_headers=list(config.allow_headers),
            max_age=config.max_age,
            expose_headers=list(config.expose_headers),
        )
        self.policy = policy

    def preflight_response(self, request_headers: Headers) -> Response:
        headers = self.policy.preflight_headers(request_headers.get("origin"))
        return Response(status_code=204, headers=dict(headers))
