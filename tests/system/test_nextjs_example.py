"""The reference frontend, for real: examples/nextjs built with `next build`, served by `next start`, and driven in
headless Chromium through sign-up, two tasks with tags, list (and the same tasks through the other kind of token for
that user: a frontend switching modes keeps its users' tasks), edit, toggle, filters by status and by tag, delete,
reload, a create that meets a busy database and sign-out, in both token modes (the Better Auth jwt plugin's token,
with Better Auth's tables in SQLite; the HS256 token its server signs with the shared secret, with them in
PostgreSQL), against the API behind the local gateway (API Gateway's CORS and events), whose FRONTEND_URL and
BETTER_AUTH_URL are the example's origin.

A screenshot of every step goes to .artifacts/nextjs/<mode>/ (or TODO_ARTIFACTS_DIR). A failing step says which
step, what the page showed (its alert: the API's ``detail``) and what the gateway logged.

``TODO_EXAMPLE_API_URL``: use that API instead of starting the gateway (``sam local start-api``, say); it must
name ``http://$TODO_EXAMPLE_FRONTEND_HOST:$TODO_EXAMPLE_FRONTEND_PORT`` (host ``localhost`` by default) in its
FRONTEND_URL and BETTER_AUTH_URL and share ``$TODO_EXAMPLE_SECRET`` as its BETTER_AUTH_SECRET. Lambda containers
reach this machine's ``localhost`` under another name (the Docker bridge's 172.17.0.1): there the host is that
address, which the example then listens on, so that the browser, the tokens' ``iss`` and the API's JWKS fetch
all name one origin (the API must be served there too: Chromium refuses a page on a non-loopback http origin
calls to a loopback address). tests/system/test_sam_local.py runs it so, without the busy-database step (its
database is not this test's to lock).

Without Chromium or Node.js these tests skip; in CI (CI=true, or TODO_REQUIRE_POSTGRES=1 as .ci/run sets for its
tests) they fail instead."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import jwt
import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from devtools.net import free_port, running_server, wait_for_http
from devtools.paths import ROOT
from devtools.postgres import direct_url, fresh_database, postgres_unavailable_reason
from tests.support import chromium

pytestmark = pytest.mark.browser

EXAMPLE = ROOT / "examples" / "nextjs"
REQUIRED = any(
    os.environ.get(name) == value
    for name, value in (("CI", "true"), ("TODO_REQUIRE_POSTGRES", "1"), ("TODO_REQUIRE_BROWSER", "1"))
)
STEP_SECONDS = 30.0
PASSWORD = "violet-kettle-42"


@dataclass(frozen=True)
class Api:
    base: str
    secret: str
    frontend_host: str  # the name the browser and the API use for the example (it listens there)
    frontend_port: int
    log: Path | None  # the gateway's output, when this test started it
    database: Path | None  # the gateway's SQLite file, when this test started it


@dataclass(frozen=True)
class Frontend:
    mode: str
    origin: str
    log: Path


def _required_or_skip(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"required but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API the example talks to: the local gateway started here, or ``TODO_EXAMPLE_API_URL``."""
    reason = chromium.missing() or (None if shutil.which("node") else "Node.js is not installed")
    if reason:
        _required_or_skip(reason)
    given = os.environ.get("TODO_EXAMPLE_API_URL")
    if given:
        host = os.environ.get("TODO_EXAMPLE_FRONTEND_HOST", "localhost")
        port = int(os.environ["TODO_EXAMPLE_FRONTEND_PORT"])
        yield Api(given, os.environ["TODO_EXAMPLE_SECRET"], host, port, None, None)
        return
    state = tmp_path_factory.mktemp("example-api")
    frontend_port = free_port()
    origin = f"http://localhost:{frontend_port}"
    secret = secrets.token_urlsafe(48)  # shared by the API and the example's server, as on Vercel and AWS
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update(
        {
            "LOCAL_STATE_DIR": str(state),
            "ENV_FILE": str(state / "none.env"),
            "FRONTEND_URL": origin,
            "BETTER_AUTH_URL": origin,
            "BETTER_AUTH_SECRET": secret,
        }
    )
    log = state / "gateway.log"
    with running_server("devtools.local_gateway", env, log=log) as base:
        # LOCAL_STATE_DIR's default database (the settings' local default).
        yield Api(
            base.replace("127.0.0.1", "localhost"), secret, "localhost", frontend_port, log, state / "todo.db"
        )


@pytest.fixture(scope="module")
def built(api: Api) -> Path:
    """The example, installed (npm ci, once per lock file) and built against this API."""
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-nextjs-example"), "--build"],
        env={**os.environ, "NEXT_PUBLIC_API_URL": api.base},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, f"installing or building the example failed:\n{result.stderr[-6000:]}"
    print(f"\n  example installed and built in {time.monotonic() - started:.0f} s")
    return Path(result.stdout.strip())


@contextmanager
def better_auth_database(kind: str, state: Path) -> Iterator[str]:
    """A fresh database for Better Auth's tables: a SQLite file, or a new PostgreSQL database (SQLite when the
    local PostgreSQL does not answer, unless TODO_REQUIRE_POSTGRES=1 or CI)."""
    reason = postgres_unavailable_reason() if kind == "postgres" else "SQLite asked for"
    if reason is None:
        with fresh_database() as name:
            yield direct_url(name)
        return
    if kind == "postgres" and (REQUIRED or os.environ.get("TODO_REQUIRE_POSTGRES") == "1"):
        pytest.fail(f"PostgreSQL required but unavailable: {reason}", pytrace=False)
    yield f"file:{state / 'auth.sqlite'}"


@contextmanager
def next_start(directory: Path, api: Api, mode: str, database_url: str, state: Path) -> Iterator[Frontend]:
    """`next start` of the built example in one token mode, on the Better Auth database given."""
    origin = f"http://{api.frontend_host}:{api.frontend_port}"
    listen = "127.0.0.1" if api.frontend_host == "localhost" else api.frontend_host
    log = state / f"next-{mode}.log"
    env = {
        **os.environ,
        "TOKEN_MODE": mode,
        "BETTER_AUTH_URL": origin,
        "BETTER_AUTH_SECRET": api.secret,
        "DATABASE_URL": database_url,
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    command = [str(directory / "node_modules" / ".bin" / "next"), "start", "-H", listen]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "-p", str(api.frontend_port)],
            cwd=directory,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_http(f"http://{listen}:{api.frontend_port}/sign-in", server, timeout=60)
            yield Frontend(mode, origin, log)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    return Path(os.environ.get("TODO_ARTIFACTS_DIR") or ROOT / ".artifacts") / "nextjs"


@dataclass
class Request:
    """A request the page sent (from Chromium's network events), and its answer's status once there is one."""

    method: str
    url: str
    token: str | None  # its bearer token
    idempotency_key: str | None
    status: int | None = None


class Flow:
    """The steps a person takes, each waited for, screenshotted, and explained when it fails."""

    def __init__(self, driver: WebDriver, frontend: Frontend, api: Api, shots: Path) -> None:
        self.driver, self.frontend, self.api, self.shots = driver, frontend, api, shots
        self.step_number = 0
        self.step_name = ""
        self.step_shots = 0
        self.sent: dict[str, Request] = {}  # by DevTools' request id, in the order sent
        shots.mkdir(parents=True, exist_ok=True)
        for old in shots.glob("*.png"):
            old.unlink()

    def step(self, name: str) -> None:
        self.step_number += 1
        self.step_name = name
        self.step_shots = 0

    def shot(self, what: str = "") -> Path:
        """A screenshot named by the step and what it shows: 02b-create-two-tasks--both-tasks-listed.png."""
        self.step_shots += 1
        label = re.sub(r"[^a-z0-9]+", "-", f"{self.step_name}--{what}".lower()).strip("-")
        path = self.shots / f"{self.step_number:02d}{'abcdefghij'[self.step_shots - 1]}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def fail(self, why: str) -> NoReturn:
        path = self.shot("failed")
        alert = self._text("[role=alert]")
        body = self.driver.execute_script("return document.body ? document.body.innerText : ''")
        console = [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
        gateway = self.api.log.read_text().splitlines()[-12:] if self.api.log else []
        pytest.fail(
            f"{self.frontend.mode} mode, step {self.step_number} '{self.step_name}': {why}\n"
            f"  the page's alert: {alert!r}\n  the page: {str(body)[:600]!r}\n"
            f"  console errors: {console[-5:]}\n  gateway log (last lines): {gateway}\n  screenshot: {path}",
            pytrace=False,
        )

    def _text(self, selector: str) -> str | None:
        found = self.driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0].text if found else None

    def wait(self, what: str, condition: Callable[[], bool]) -> None:
        """Wait for ``condition``; fail the step at once if the page shows an error instead."""

        def holds() -> bool:
            try:
                return condition()
            except StaleElementReferenceException:  # React replaced the element while it was read
                return False

        try:
            WebDriverWait(self.driver, STEP_SECONDS, poll_frequency=0.1).until(
                lambda _: holds() or bool(self._text("[role=alert]")) or self._crashed()
            )
        except TimeoutException:
            self.fail(f"{what}: not within {STEP_SECONDS:.0f} s")
        if not holds():
            self.fail(what)
        self.shot(what)

    def completed(self, title: str) -> bool:
        row = self.rows().get(title)
        return row is not None and "completed" in (row.get_attribute("class") or "").split()

    def _crashed(self) -> bool:
        """Next.js's page for an uncaught exception in the browser (its wording differs between releases)."""
        text = str(self.driver.execute_script("return document.body ? document.body.innerText : ''"))
        return any(words in text for words in ("Application error", "This page couldn’t load"))

    def rows(self) -> dict[str, WebElement]:
        return {
            row.find_element(By.CSS_SELECTOR, ".title").text: row
            for row in self.driver.find_elements(By.CSS_SELECTOR, "ul[aria-label=Tasks] li")
            if row.find_elements(By.CSS_SELECTOR, ".title")
        }

    def titles(self) -> set[str]:
        return set(self.rows())

    def listed(self, titles: set[str]) -> Callable[[], bool]:
        def check() -> bool:
            loaded = self.driver.find_elements(By.CSS_SELECTOR, "ul[aria-label=Tasks][data-loaded=true]")
            return bool(loaded) and self.titles() == titles

        return check

    def fill(self, form: WebElement, values: dict[str, str]) -> None:
        for label, value in values.items():
            field = form.find_element(By.CSS_SELECTOR, f"input[aria-label='{label}'], input[name='{label}']")
            field.clear()
            field.send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def button(self, row: WebElement, text: str) -> WebElement:
        found = [button for button in row.find_elements(By.TAG_NAME, "button") if button.text == text]
        if not found:
            self.fail(f"no {text!r} button in {row.text!r}")
        return found[0]

    def requests(self) -> list[Request]:
        """Every request the page has sent so far (preflights aside), with the statuses answered."""
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            params = event.get("params", {})
            if (
                event.get("method") == "Network.requestWillBeSent"
                and params["request"]["method"] != "OPTIONS"
            ):
                headers = {name.lower(): value for name, value in params["request"]["headers"].items()}
                bearer = headers.get("authorization", "")
                token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else None
                self.sent[params["requestId"]] = Request(
                    params["request"]["method"],
                    params["request"]["url"],
                    token,
                    headers.get("idempotency-key"),
                )
            elif event.get("method") == "Network.responseReceived" and params["requestId"] in self.sent:
                self.sent[params["requestId"]].status = params["response"]["status"]
        return list(self.sent.values())

    def page_session(self, requests: list[Request]) -> tuple[int, set[str], int]:
        """Of ``requests``: how many went to the API, the tokens they carried, and how many tokens the page
        asked its server for (the HS256 route, or Better Auth's /api/auth/token)."""
        to_api = [request for request in requests if request.url.startswith(f"{self.api.base}/api/")]
        mint = f"{self.frontend.origin}{self._token_path()}"
        mints = sum(request.url == mint for request in requests)
        return len(to_api), {request.token for request in to_api if request.token}, mints

    def one_token(self, requests: list[Request], when: str) -> tuple[int, str]:
        """The page's one token for ``requests`` (a page session), reused, not asked for again."""
        calls, tokens, mints = self.page_session(requests)
        if len(tokens) != 1 or mints != 1:
            self.fail(f"{when}: {calls} API calls carried {len(tokens)} tokens; the page asked for {mints}")
        return calls, next(iter(tokens))

    def _token_path(self) -> str:
        return "/api/token" if self.frontend.mode == "hs256" else "/api/auth/token"

    def token(self, path: str | None = None) -> str | None:
        """A token for the API, fetched as the page fetches it (the session's cookie goes along), from ``path``
        (default: the route of this mode)."""
        path = path or self._token_path()
        answer: dict[str, Any] = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"fetch({json.dumps(path)}, {{cache: 'no-store'}})"
            ".then(async (r) => done({status: r.status, body: r.ok ? await r.json() : null}))"
            ".catch((e) => done({status: 0, body: String(e)}));"
        )
        return answer["body"]["token"] if answer["status"] == 200 else None


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# Better Auth's tables on SQLite (the default) in one mode and on PostgreSQL (by URL) in the other.
@pytest.mark.parametrize(("mode", "database"), [("jwt", "sqlite"), ("hs256", "postgres")])
def test_the_example_frontend_runs_the_whole_flow(
    mode: str,
    database: str,
    api: Api,
    built: Path,
    artifacts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    with ExitStack() as stack:
        database_url = stack.enter_context(better_auth_database(database, tmp_path))
        frontend = stack.enter_context(next_start(built, api, mode, database_url, tmp_path))
        driver = stack.enter_context(chromium.headless_chromium(tmp_path / "chromium", network_log=True))
        driver.set_script_timeout(STEP_SECONDS)
        flow = Flow(driver, frontend, api, artifacts / mode)
        outcome = _run(flow, f"{mode}-{time.time_ns()}@example.com")
    with capsys.disabled():
        on = database_url.split(":", 1)[0].replace("file", "SQLite").replace("postgresql", "PostgreSQL")
        took = time.monotonic() - started
        print(
            f"\n  example, {mode} mode, Better Auth on {on}: {flow.step_number} steps in {took:.0f} s; {flow.shots}"
        )
        print(f"  {outcome}")


def _the_other_token_kind_sees_the_same_tasks(flow: Flow) -> None:
    """The same user through the other kind of token sees the same tasks (a frontend that switches TOKEN_MODE
    keeps its users' tasks): in jwt mode an HS256 ``{sub}`` token signed with the shared secret for 7 days, as
    the guide's server route signs it; in hs256 mode the Better Auth jwt plugin's own token (/api/auth/token)."""
    page_tokens = {request.token for request in flow.requests() if request.token}
    user_id = _claims(next(iter(page_tokens)))["sub"]
    if flow.frontend.mode == "jwt":
        now = int(time.time())
        claims = {"sub": user_id, "iat": now, "exp": now + 7 * 24 * 3600}
        other: str | None = jwt.encode(claims, flow.api.secret, algorithm="HS256")
    else:
        other = flow.token("/api/auth/token")
    if other is None:
        flow.fail("no token of the other kind for the signed-in user")
    answer = httpx.get(
        f"{flow.api.base}/api/{user_id}/tasks",
        headers={"Origin": flow.frontend.origin, "Authorization": f"Bearer {other}"},
    )
    titles = {task["title"] for task in answer.json()} if answer.status_code == 200 else None
    if titles != flow.titles():
        flow.fail(
            f"the other token kind: {answer.status_code}, tasks {titles} (the page lists {flow.titles()})"
        )


def _create_while_busy(flow: Flow, database: Path) -> None:
    """A create that meets a database held by another writer (a 503 once SQLite's busy wait ends) is sent again
    with the same Idempotency-Key after the answer's Retry-After, the database free by then: one task, listed."""
    title = "Call the plumber"
    sent_before = len(flow.requests())

    def creates() -> list[Request]:
        return [r for r in flow.requests()[sent_before:] if r.method == "POST" and r.url.endswith("/tasks")]

    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the API's writes wait for it, then fail
        flow.fill(flow.driver.find_element(By.CSS_SELECTOR, "main > form"), {"New task": title})
        answered = time.monotonic() + STEP_SECONDS
        while not any(r.status is not None for r in creates()) and time.monotonic() < answered:
            time.sleep(0.1)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    flow.wait("the task listed, once", flow.listed({"Buy milk", title}))
    sent = [(r.status, r.idempotency_key) for r in creates()]
    if (
        [status for status, _ in sent] != [503, 201]
        or len({key for _, key in sent}) != 1
        or sent[0][1] is None
    ):
        flow.fail(f"the create and its retry (status, Idempotency-Key): {sent}")


def _run(flow: Flow, email: str) -> str:
    """The flow; what it saw of the page's tokens."""
    driver, origin = flow.driver, flow.frontend.origin

    flow.step("sign up")
    driver.get(f"{origin}/sign-up")
    flow.fill(driver.find_element(By.TAG_NAME, "form"), {"name": "Ada", "email": email, "password": PASSWORD})
    flow.wait("the empty task list after sign-up", flow.listed(set()))

    flow.step("create two tasks")
    new_task = driver.find_element(By.CSS_SELECTOR, "main > form")
    flow.fill(new_task, {"New task": "Buy milk", "Tags": "home, errands"})
    flow.wait("'Buy milk' listed", flow.listed({"Buy milk"}))
    flow.fill(new_task, {"New task": "Write report", "Tags": "work"})
    flow.wait("both tasks listed", flow.listed({"Buy milk", "Write report"}))
    creates = [r for r in flow.requests() if r.method == "POST" and r.url.endswith("/tasks")]
    keys = {r.idempotency_key for r in creates if r.idempotency_key}
    if len(creates) != 2 or len(keys) != 2:
        flow.fail(
            f"each create must carry its own Idempotency-Key: {[(r.url, r.idempotency_key) for r in creates]}"
        )

    flow.step("list")
    rows = flow.rows()
    tags = {
        title: [tag.text for tag in row.find_elements(By.CSS_SELECTOR, ".tag")] for title, row in rows.items()
    }
    if tags != {"Buy milk": ["#home", "#errands"], "Write report": ["#work"]}:
        flow.fail(f"the tags shown are {tags}")
    flow.shot("the tags shown")

    flow.step("the other token kind")
    _the_other_token_kind_sees_the_same_tasks(flow)

    flow.step("edit")
    flow.button(rows["Write report"], "Edit").click()
    flow.fill(driver.find_element(By.CSS_SELECTOR, "li form"), {"Title": "Write the report"})
    flow.wait("the new title listed", flow.listed({"Buy milk", "Write the report"}))

    flow.step("toggle")
    flow.rows()["Buy milk"].find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    flow.wait("'Buy milk' completed", lambda: flow.completed("Buy milk"))

    flow.step("filter by status")
    status = Select(driver.find_element(By.CSS_SELECTOR, "select[aria-label=Status]"))
    status.select_by_value("completed")
    flow.wait("only the completed task", flow.listed({"Buy milk"}))
    status.select_by_value("pending")
    flow.wait("only the pending task", flow.listed({"Write the report"}))
    status.select_by_value("all")
    flow.wait("both again", flow.listed({"Buy milk", "Write the report"}))

    flow.step("filter by tag")
    flow.button(flow.rows()["Write the report"], "#work").click()
    flow.wait("only the task tagged work", flow.listed({"Write the report"}))
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Clear tag filter']").click()
    flow.wait("both again", flow.listed({"Buy milk", "Write the report"}))

    flow.step("delete")
    flow.button(flow.rows()["Write the report"], "Delete").click()
    flow.wait("only 'Buy milk' left", flow.listed({"Buy milk"}))

    flow.step("reload")
    first_session = flow.requests()
    first_calls, _ = flow.one_token(first_session, "before the reload")
    driver.refresh()
    flow.wait("'Buy milk' still there, completed", flow.listed({"Buy milk"}))
    if not flow.completed("Buy milk"):
        flow.fail("'Buy milk' is no longer completed after the reload")

    if flow.api.database is not None:
        flow.step("create while the database is busy")
        _create_while_busy(flow, flow.api.database)

    flow.step("sign out")
    second_session = flow.requests()[len(first_session) :]
    last_calls, last_token = flow.one_token(second_session, "after the reload")
    signing_out = len(first_session) + len(second_session)
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    flow.wait("the sign-in page", lambda: driver.current_url.endswith("/sign-in"))
    logout = f"{flow.api.base}/api/auth/logout"
    logouts = [
        (r.method, r.token == last_token, r.status) for r in flow.requests()[signing_out:] if r.url == logout
    ]
    if logouts != [("POST", True, 200)]:
        flow.fail(f"the page's logout calls (method, with its token, status): {logouts}")

    flow.step("401 afterwards")
    if flow.token() is not None:
        flow.fail("a token for the API is still handed out after sign-out")
    user_id = _claims(last_token)["sub"]
    tasks = f"{flow.api.base}/api/{user_id}/tasks"
    without = httpx.get(tasks, headers={"Origin": origin})
    if without.status_code != 401:
        flow.fail(
            f"the API answered {without.status_code} to the signed-out page's request (no token to send)"
        )
    # The page's own token, which the API's logout revoked (Better Auth's sign-out alone could not reach it).
    with_last = httpx.get(tasks, headers={"Origin": origin, "Authorization": f"Bearer {last_token}"})
    revoked = {"detail": "This token was revoked (logged out): log in again", "code": "invalid_token"}
    if (with_last.status_code, with_last.json()) != (401, revoked):
        flow.fail(f"the page's last token after sign-out: {with_last.status_code} {with_last.text}")
    claims = _claims(last_token)
    return (
        f"{first_calls} and {last_calls} API calls on one token per page session ({claims['exp'] - claims['iat']}"
        f" s lifetime); logout 200; that token afterwards: 401 {with_last.json()['detail']!r}"
    )
