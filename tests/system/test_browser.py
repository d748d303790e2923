"""A real browser: headless Chromium runs a frontend page on http://localhost:3000 against the local gateway,
over http and over https (the production cookie), with the bearer token and with the cookie alone; the cookie
run also refreshes as a Next.js frontend does (the HttpOnly refresh cookie alone, never readable by the page),
and a copy of that cookie taken before logout refreshes nothing after it; a page on a foreign origin reads
nothing and writes nothing. The pages are tests/support/browser/; a screenshot of each
result page is written to .artifacts/browser/ (or TODO_ARTIFACTS_DIR).

Without Chromium (scripts/ensure-chromium) these tests skip; in CI (CI=true) they fail instead."""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from devtools.net import running_server
from devtools.paths import ROOT
from devtools.swagger_ui import read_manifest
from tests.support import chromium
from tests.support.static_site import serving

pytestmark = pytest.mark.browser

PAGES = Path(__file__).resolve().parents[1] / "support" / "browser"
FRONTEND_PORT = 3000
FOREIGN_HOST = "127.0.0.2"  # loopback too, but another origin and another site than localhost
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("TODO_REQUIRE_BROWSER") == "1"
PAGE_SECONDS = 120.0
SWAGGER_UI_VERSION = read_manifest()["version"]


@dataclass(frozen=True)
class Sites:
    frontend: str
    foreign: str


@dataclass(frozen=True)
class Stack:
    mode: str
    api: str
    gateway_log: Path
    driver: WebDriver


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    reason = chromium.missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"required but unavailable: {reason}", pytrace=False)
        pytest.skip(reason)
    with ExitStack() as stack:
        try:
            port = stack.enter_context(serving(PAGES, "127.0.0.1", FRONTEND_PORT))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            port = stack.enter_context(serving(PAGES, "127.0.0.1", 0))  # 3000 is someone else's now
        foreign_port = stack.enter_context(serving(PAGES, FOREIGN_HOST, 0))
        yield Sites(f"http://localhost:{port}", f"http://{FOREIGN_HOST}:{foreign_port}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    directory = Path(os.environ.get("TODO_ARTIFACTS_DIR") or ROOT / ".artifacts" / "browser")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module", params=["http", "https"])
def stack(
    request: pytest.FixtureRequest, sites: Sites, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The gateway in one mode (FRONTEND_URL: the frontend page's origin) and a new browser trusting its CA."""
    mode: str = request.param
    state = tmp_path_factory.mktemp(f"browser-{mode}")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update(
        {"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env"), "FRONTEND_URL": sites.frontend}
    )
    ca_file = state / "gateway-tls" / "ca.pem" if mode == "https" else None
    args = ["--https"] if mode == "https" else []
    log = state / "gateway.log"
    with running_server("devtools.local_gateway", env, args=args, ca_file=ca_file, log=log) as base:
        api = base.replace("127.0.0.1", "localhost")  # the frontend's site: cookies set for it are same-site
        with chromium.headless_chromium(state, trust=ca_file) as driver:
            yield Stack(mode, api, log, driver)


def _state(driver: WebDriver) -> str:
    return str(driver.execute_script("return document.body.dataset.state"))


def _wait(driver: WebDriver, states: set[str]) -> str:
    WebDriverWait(driver, PAGE_SECONDS, poll_frequency=0.1).until(lambda d: _state(d) in states)
    return _state(driver)


def _report(driver: WebDriver) -> dict[str, Any]:
    report = driver.execute_script("return window.report")
    assert isinstance(report, dict)
    return report


def _failures(report: dict[str, Any]) -> list[str]:
    return [f"{s['step']}: want {s['want']}, got {s['got']}" for s in report["steps"] if not s["passed"]]


def _foreign_on_its_own(stack: Stack, sites: Sites, label: str, screenshot: Path) -> dict[str, Any]:
    """The foreign page as a top-level page in a new tab (its own cookie partition); back to the first tab."""
    driver = stack.driver
    frontend_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    try:
        driver.get(f"{sites.foreign}/foreign.html?api={quote(stack.api)}&from={label}")
        _wait(driver, {"passed", "failed"})
        driver.save_screenshot(str(screenshot))
        return _report(driver)
    finally:
        driver.close()
        driver.switch_to.window(frontend_tab)


# What the browser stored (signed in, before logout): over https the production attributes, in the frontend's
# partition; over http SameSite=Lax; nothing when the page only ever sent the bearer token (without credentials
# "include" a cross-origin answer's cookies are dropped).
_EXPECTED_COOKIE: dict[tuple[str, str], dict[str, object] | None] = {
    ("http", "bearer"): None,
    ("http", "cookie"): {"httpOnly": True, "secure": False, "sameSite": "Lax", "partition": None},
    ("https", "bearer"): None,
    ("https", "cookie"): {
        "httpOnly": True,
        "secure": True,
        "sameSite": "None",
        "partition": "http://localhost",
    },
}
AUTH_COOKIE = "todo_auth"
REFRESH_COOKIE = "todo_refresh"  # the same attributes, sent to the auth routes only


def _expected(mode: str, auth: str, path: str) -> dict[str, object] | None:
    expected = _EXPECTED_COOKIE[(mode, auth)]
    return None if expected is None else {**expected, "path": path}


def _cookies(driver: WebDriver, name: str) -> list[dict[str, Any]]:
    """The browser's cookies called ``name``, as CDP gives them (values included)."""
    cookies = driver.execute_cdp_cmd("Storage.getCookies", {})["cookies"]
    return [cookie for cookie in cookies if cookie["name"] == name]


def _attributes(driver: WebDriver, name: str) -> dict[str, object] | None:
    """The attributes of the browser's ``name`` cookie (never its value), or None."""
    found = _cookies(driver, name)
    if not found:
        return None
    (cookie,) = found
    return {
        "httpOnly": cookie["httpOnly"],
        "secure": cookie["secure"],
        "sameSite": cookie.get("sameSite"),
        "partition": (cookie.get("partitionKey") or {}).get("topLevelSite"),
        "path": cookie["path"],
    }


def _put_back(driver: WebDriver, cookie: dict[str, Any]) -> None:
    """Store ``cookie`` (from ``_cookies``) again, as someone who copied it before it was cleared would."""
    fields = ("name", "value", "domain", "path", "secure", "httpOnly", "sameSite", "expires", "partitionKey")
    driver.execute_cdp_cmd("Storage.setCookies", {"cookies": [{k: cookie[k] for k in fields if k in cookie}]})


def _gateway_status(log: Path, method: str, path: str) -> list[str]:
    return re.findall(
        rf"^local-gateway {method} {re.escape(path)} (\d+)$", log.read_text(), flags=re.MULTILINE
    )


@pytest.mark.parametrize("auth", ["bearer", "cookie"])
def test_a_frontend_page_uses_the_api_and_a_foreign_origin_cannot(
    stack: Stack, sites: Sites, auth: str, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    driver = stack.driver
    query = f"api={quote(stack.api)}&auth={auth}&foreign={quote(sites.foreign + '/foreign.html')}"
    driver.get(f"{sites.frontend}/app.html?{query}")
    foreign: dict[str, Any] | None = None
    refresh_before_logout: list[dict[str, Any]] = []
    if _wait(driver, {"waiting", "passed", "failed"}) == "waiting":
        assert _attributes(driver, AUTH_COOKIE) == _expected(stack.mode, auth, "/")
        assert _attributes(driver, REFRESH_COOKIE) == _expected(stack.mode, auth, "/api/auth")
        refresh_before_logout = _cookies(driver, REFRESH_COOKIE)  # the one the page's refresh rotated to
        foreign = _foreign_on_its_own(
            stack, sites, f"foreign-top-{auth}", artifacts / f"{stack.mode}-{auth}-foreign.png"
        )
        driver.execute_script("window.resume()")
    if _wait(driver, {"logged-out", "passed", "failed"}) == "logged-out":
        # The page cannot keep a copy of an HttpOnly cookie; whoever copied it before the logout can replay it.
        assert _cookies(driver, AUTH_COOKIE) == _cookies(driver, REFRESH_COOKIE) == [], "logout clears both"
        (copied,) = refresh_before_logout
        _put_back(driver, copied)
        assert [cookie["value"] for cookie in _cookies(driver, REFRESH_COOKIE)] == [copied["value"]]
        assert _attributes(driver, REFRESH_COOKIE) == _expected(stack.mode, auth, "/api/auth")
        driver.execute_script("window.resumeAfterLogout()")
    _wait(driver, {"passed", "failed"})
    screenshot = artifacts / f"{stack.mode}-{auth}.png"
    driver.save_screenshot(str(screenshot))
    with capsys.disabled():
        print(f"\n  browser ({stack.mode}, {auth}): {screenshot}")
    report = _report(driver)

    assert report["passed"], "the frontend page failed:\n" + "\n".join(_failures(report))
    assert bool(refresh_before_logout) == (auth == "cookie"), "only the cookie run has a refresh cookie"
    assert foreign is not None, "the frontend page never waited for the foreign page"
    assert foreign["passed"], "the foreign page on its own failed:\n" + "\n".join(_failures(foreign))
    # The foreign pages' simple (preflight-free) logout reached the API; what it answered is in the gateway's
    # log. Framed by the frontend over https the cookie goes along (SameSite=None, the frontend's partition)
    # and the CSRF guard refuses it; otherwise the browser withheld the cookie (SameSite=Lax, or another
    # partition), so there was nothing to log out.
    framed = "403" if (stack.mode, auth) == ("https", "cookie") else "401"
    assert _gateway_status(stack.gateway_log, "POST", f"/api/auth/logout?from=foreign-frame-{auth}") == [
        framed
    ]
    assert _gateway_status(stack.gateway_log, "POST", f"/api/auth/logout?from=foreign-top-{auth}") == ["401"]


# Installed before the page's first script runs: what the page's Content-Security-Policy refused.
_RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI || "inline"}`);
});
"""
_HEALTH = "#operations-health-health_health_get"


def _documented_operations() -> int:
    document = json.loads((ROOT / "functions" / "docs" / "openapi.json").read_text(encoding="utf-8"))
    return sum(len(operations) for operations in document["paths"].values())


def _click_when_shown(driver: WebDriver, selector: str) -> None:
    find = f"return document.querySelector({json.dumps(selector)})"
    WebDriverWait(driver, PAGE_SECONDS, poll_frequency=0.1).until(lambda d: d.execute_script(find))
    driver.execute_script(f"{find}.click()".removeprefix("return "))


def test_swagger_ui_renders_and_tries_an_operation_out_under_its_policy_from_the_api_alone(
    stack: Stack, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    driver = stack.driver
    recorder = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_VIOLATIONS})
    try:
        driver.get_log("browser")  # what earlier tests logged is theirs
        driver.get(f"{stack.api}/docs")
        _click_when_shown(driver, f"{_HEALTH} .opblock-summary-control")
        _click_when_shown(driver, f"{_HEALTH} .try-out__btn")
        _click_when_shown(driver, f"{_HEALTH} .execute")
        status = f"{_HEALTH} .live-responses-table tr.response .response-col_status"
        WebDriverWait(driver, PAGE_SECONDS, poll_frequency=0.1).until(
            lambda d: d.execute_script(f"return document.querySelector({json.dumps(status)})")
        )
        screenshot = artifacts / f"{stack.mode}-docs.png"
        driver.save_screenshot(str(screenshot))
        answered = driver.execute_script(f"return document.querySelector({json.dumps(status)}).textContent")
        operations = driver.execute_script("return document.querySelectorAll('.opblock').length")
        loaded = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
        violations = driver.execute_script("return window.cspViolations")
        console = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": recorder["identifier"]}
        )
    with capsys.disabled():
        print(f"\n  browser ({stack.mode}, docs): {screenshot}")
    assert operations == _documented_operations()
    assert answered.strip() == "200"
    assert violations == []
    assert console == []
    # The page's files and the document, all from the API itself (the operation tried out is a fetch too).
    assert {name.removeprefix(stack.api) for name in loaded} == {
        f"/docs/swagger-ui/{SWAGGER_UI_VERSION}/swagger-ui.css",
        f"/docs/swagger-ui/{SWAGGER_UI_VERSION}/swagger-ui-bundle.js",
        "/openapi.json",
        "/health",
    }
