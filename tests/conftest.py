"""Test set-up: isolated settings, the three databases, the two ways of calling the API, and the tiers.

Tiers, one folder and one marker each: ``unit`` (the layer's modules, mirroring its packages), ``api`` (the
API through its clients) and ``system`` (whole processes: servers, built artifacts, faults, fuzzing). Select
with ``-m``; ``reliability`` marks the fuzzing, fault, concurrency and hygiene tests (`make reliability`).

Every test that takes ``database`` runs against each database (SQLite; the real PostgreSQL; PostgreSQL
through a real PgBouncer in transaction mode), and ``api`` through each client (in-process ASGI over HTTP;
the Lambda handlers with HTTP API v2 events routed by template.yaml). ``TODO_TEST_BACKENDS`` and
``TODO_TEST_CLIENTS`` (comma-separated) narrow that matrix for the inner loop (`make test-fast`).

On a machine without PostgreSQL or PgBouncer those tests skip with the reason. With ``CI=true`` or
``TODO_REQUIRE_POSTGRES=1`` they fail instead, and with ``TODO_REQUIRE_POSTGRES=1`` the run fails unless
PostgreSQL- and PgBouncer-backed tests actually passed.

A leak guard (tests/support/leak_guard.py) watches the whole session: a test whose phase logs or prints a
secret the tests know of (the test secret, a password, a token, a database password) fails, naming the kind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.app_state import TEST_SECRET  # reads no settings at import

_STATE_DIR = Path(tempfile.mkdtemp(prefix="todo-tests-"))

# Before any application import: settings are read lazily, but be explicit about every one of them.
for _name in (
    "DATABASE_URL",
    "DATABASE_URL_REF",
    "BETTER_AUTH_SECRET_REF",
    "BETTER_AUTH_URL",
    "FRONTEND_URL",
):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "ENVIRONMENT": "local",
        "ENV_FILE": str(_STATE_DIR / "no.env"),
        "LOCAL_STATE_DIR": str(_STATE_DIR / "state"),
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "BCRYPT_ROUNDS": "4",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TodoApiTests",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
)

from devtools import postgres  # noqa: E402
from devtools.lambda_kit.transport import LambdaTransport  # noqa: E402
from devtools.migrate import migrate  # noqa: E402
from devtools.serve import build_local_app  # noqa: E402
from tests.support import leak_guard  # noqa: E402
from tests.support.addresses import SourceAddress, signups_from_fresh_addresses  # noqa: E402
from tests.support.app_state import Backend, reset_app_state, use_database  # noqa: E402
from tests.support.auth import clear_login_throttle  # noqa: E402
from tests.support.round_trips import RoundTrips, counting_round_trips  # noqa: E402
from todo_shared.config.settings import get_settings  # noqa: E402

leak_guard.register_secret(TEST_SECRET, "the test BETTER_AUTH_SECRET")
leak_guard.watch_settings()
leak_guard.GUARD.install()

REQUIRE_POSTGRES = os.environ.get("TODO_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"
ALL_BACKENDS = ("sqlite", "postgres", "pgbouncer")
ALL_CLIENTS = ("asgi", "lambda")
TIERS = ("unit", "api", "system")


def _selected(variable: str, every: tuple[str, ...]) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in os.environ.get(variable, "").split(",") if name.strip())
    unknown = sorted(set(chosen) - set(every))
    if unknown:
        raise pytest.UsageError(f"{variable}: unknown {', '.join(unknown)} (choose from {', '.join(every)})")
    return chosen or every


BACKENDS = _selected("TODO_TEST_BACKENDS", ALL_BACKENDS)
CLIENTS = _selected("TODO_TEST_CLIENTS", ALL_CLIENTS)
TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test gets its tier's marker from the folder it lives in. Tests that need Docker run in their own
    CI step (scripts/sam-local sets TODO_SAM_LOCAL=1); elsewhere they are deselected, not skipped."""
    if os.environ.get("TODO_SAM_LOCAL") != "1":
        docker = [item for item in items if item.get_closest_marker("docker")]
        if docker:
            config.hook.pytest_deselected(items=docker)
            items[:] = [item for item in items if not item.get_closest_marker("docker")]
    for item in items:
        tier = item.path.relative_to(TESTS_DIR).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: tests live under tests/{{{','.join(TIERS)}}}/")
        item.add_marker(tier)


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"required but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated, dropped at the end."""
    reason = postgres.postgres_unavailable_reason()
    if reason:
        _unavailable(reason)
    with postgres.fresh_database() as name:
        migrate(postgres.direct_url(name))
        yield name


@pytest.fixture(scope="session")
def pgbouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[postgres.PgBouncer]:
    if postgres.pgbouncer_binary() is None:
        _unavailable("pgbouncer is not installed (Debian package 'pgbouncer'; .ci/run installs it)")
    reason = postgres.postgres_unavailable_reason()
    if reason:
        _unavailable(reason)
    with postgres.running_pgbouncer(tmp_path_factory.mktemp("pgbouncer")) as bouncer:
        yield bouncer


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'todo.db'}"
        migrate(url)
        backend = Backend("sqlite", url, url)
    else:
        name = request.getfixturevalue("postgres_database")
        direct = postgres.direct_url(name)
        if request.param == "postgres":
            backend = Backend("postgres", direct, direct)
        else:
            bouncer: postgres.PgBouncer = request.getfixturevalue("pgbouncer")
            backend = Backend("pgbouncer", bouncer.url(name), direct)
    leak_guard.register_database_url(backend.url, f"the {backend.name} database URL")
    leak_guard.register_database_url(backend.direct_url, f"the {backend.name} direct database URL")
    use_database(backend.url)
    yield backend
    reset_app_state()


@pytest.fixture
def fresh_login_throttle(database: Backend) -> Iterator[None]:
    """No login or signup attempt counted before the test, and none left after it."""
    clear_login_throttle()
    yield
    clear_login_throttle()


@pytest.fixture
def spec_path_lists_the_object(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``USER_PATH_TASK_LIST=object`` for the test: the spec's path lists the page object (before ``api``)."""
    monkeypatch.setenv("USER_PATH_TASK_LIST", "object")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("USER_PATH_TASK_LIST")
    get_settings.cache_clear()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    """Database round trips counted from here (tests/support/round_trips.py)."""
    with counting_round_trips(monkeypatch) as counter:
        yield counter


@pytest.fixture(params=CLIENTS)
def api(request: pytest.FixtureRequest, database: Backend) -> Iterator[httpx.Client]:
    """A client of the whole API: in-process ASGI, or through the Lambda handlers.

    A request can name its source address (tests/support/addresses.py); each signup that names none comes
    from an address of its own, as new users' do.
    """
    if request.param == "asgi":
        from starlette.testclient import TestClient

        app = SourceAddress(build_local_app(get_settings()))
        with TestClient(app, base_url="http://testserver") as client:
            client.event_hooks["request"].append(signups_from_fresh_addresses)
            leak_guard.GUARD.watch_client(client)
            yield client
    else:
        with httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as client:
            client.event_hooks["request"].append(signups_from_fresh_addresses)
            leak_guard.GUARD.watch_client(client)
            yield client


# --- Leak guard: no test may log or print a known secret --------------------------------------------------


def _check_for_leaks(item: pytest.Item | None, report: pytest.TestReport | None) -> None:
    """Fail the phase that logged or printed a secret, naming what kind (never the value)."""
    guard = leak_guard.GUARD
    when = report.when if report is not None else "session end"
    sections = [
        (title, text)
        for title, text in (report.sections if report is not None else [])
        if title.endswith(f" {when}")
    ]
    leaks = guard.check(sections)
    guard.install()  # before the next phase, in case a test removed the handler
    if not leaks:
        return
    nodeid = item.nodeid if item is not None else "the session"
    known_bug = report is not None and hasattr(report, "wasxfail")  # a test marked xfail for this bug
    guard.leaks.extend((nodeid, leak, known_bug) for leak in leaks)
    if report is None:
        return  # reported by pytest_terminal_summary; pytest_sessionfinish fails the run
    message = leak_guard.failure_message(nodeid, str(when), leaks)
    if report.failed or known_bug:
        report.sections.append(("leak guard", message))
    else:
        report.outcome = "failed"
        report.longrepr = message


# --- CI guard: PostgreSQL and PgBouncer tests must have run -------------------------------------------

_passed_by_backend: dict[str, int] = dict.fromkeys(ALL_BACKENDS, 0)


def _backends_of(item: pytest.Item) -> set[str]:
    used: set[str] = set()
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("database") in ALL_BACKENDS:
        used.add(callspec.params["database"])
    fixtures = set(getattr(item, "fixturenames", ()))
    if "pgbouncer" in fixtures:
        used.add("pgbouncer")
    if "postgres_database" in fixtures and "database" not in fixtures:
        used.add("postgres")
    return used


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _check_for_leaks(item, report)
    if report.when == "call" and report.passed:
        for backend in _backends_of(item):
            _passed_by_backend[backend] += 1
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = ", ".join(f"{name}: {count}" for name, count in _passed_by_backend.items())
    terminalreporter.write_line(f"database-backed tests passed by backend: {counts}")
    guard = leak_guard.GUARD
    plain, token_parts, addresses = guard.registry.counts
    unexpected = [entry for entry in guard.leaks if not entry[2]]
    terminalreporter.write_line(
        f"leak guard: {guard.collector.records} log records and {guard.outputs_scanned} outputs checked "
        f"against {plain} secrets, {token_parts} token parts and {addresses} email addresses; "
        f"{len(unexpected)} leaks"
        f" (and {len(guard.leaks) - len(unexpected)} in tests marked xfail)"
    )
    for nodeid, leak, known_bug in guard.leaks:
        prefix = "known leak (xfail)" if known_bug else "LEAK"
        terminalreporter.write_line(
            f"  {prefix} in {nodeid}: {leak.label}, in {leak.source}", red=not known_bug
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _check_for_leaks(None, None)  # whatever was logged after the last test's teardown
    if any(not known_bug for _, _, known_bug in leak_guard.GUARD.leaks) and session.exitstatus == 0:
        session.exitstatus = 1
    if os.environ.get("TODO_REQUIRE_POSTGRES") != "1" or exitstatus != 0:
        return
    missing = [name for name in ("postgres", "pgbouncer") if _passed_by_backend[name] == 0]
    if missing:
        print(f"\nerror: no {' or '.join(missing)} test passed, but TODO_REQUIRE_POSTGRES=1")
        session.exitstatus = 1
