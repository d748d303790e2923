"""Every redirect status from the JWKS endpoint is a failed fetch; the redirect's target is never contacted."""

from __future__ import annotations

import pytest

from tests.support.jwks import make_key, running_jwks_server
from todo_shared.auth import better_auth


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_fetch(status: int) -> None:
    with running_jwks_server() as legit, running_jwks_server() as attacker:
        attacker.serve(make_key("EdDSA", "planted"))
        legit.redirect_to, legit.redirect_status = attacker.origin + better_auth.JWKS_PATH, status
        with pytest.raises(better_auth.JwksFetchError) as failed:
            better_auth.fetch_jwks(better_auth.jwks_url(legit.origin), timeout=2.0)
        assert str(failed.value) == f"HTTP {status} (redirects are not followed)"
        assert (legit.requests, attacker.requests) == (1, 0)
