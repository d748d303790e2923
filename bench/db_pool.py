"""Connection strategy for Lambda behind PgBouncer: a connection per request vs one kept, pre-pinged one.

    .venv/bin/python -m bench.db_pool [--rounds 400]

Starts its own PgBouncer (transaction mode) in front of the local PostgreSQL, in a fresh database, and
times one "request" (open a session, one parameterised SELECT, commit, close) for each strategy, plain and
over TLS, in interleaved rounds. Prints a Markdown table (median and p99 by nearest rank, milliseconds).
"""

from __future__ import annotations

import argparse
import ssl
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench import stats
from devtools import postgres
from todo_shared.db import engine as database
from todo_shared.db.engine import build_engine


def _one_request(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM users WHERE id = :id"), {"id": "nobody"}).scalar_one()
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    from devtools.migrate import migrate

    with (
        postgres.fresh_database() as name,
        postgres.running_pgbouncer(Path(tempfile.mkdtemp(prefix="bench-pgb-"))) as bouncer,
    ):
        migrate(postgres.direct_url(name))
        context = ssl.create_default_context(cafile=str(bouncer.pki.ca_cert))
        database.tls_context = lambda: context  # type: ignore[assignment]  # trust the bench's throwaway CA
        plain = bouncer.url(name)
        tls = bouncer.url(name, host="localhost", query="sslmode=require")
        engines: dict[str, Engine] = {
            "per-request connection (NullPool)": build_engine(plain, keep_connections=False),
            "kept connection, pre-ping (pool_size=1)": build_engine(plain),
            "per-request connection (NullPool), TLS": build_engine(tls, keep_connections=False),
            "kept connection, pre-ping (pool_size=1), TLS": build_engine(tls),
        }
        samples: dict[str, list[float]] = {label: [] for label in engines}
        for engine in engines.values():  # warm-up: first connections, statement caches
            _one_request(engine)
        for _ in range(args.rounds):
            for label, engine in engines.items():
                started = time.perf_counter()
                _one_request(engine)
                samples[label].append((time.perf_counter() - started) * 1000)
        for engine in engines.values():
            engine.dispose()
    print(f"| strategy ({args.rounds} interleaved rounds) | median ms | p99 ms |")
    print("|---|---:|---:|")
    for label, values in samples.items():
        print(f"| {label} | {stats.median(values):.3f} | {stats.p99(values):.3f} |")


if __name__ == "__main__":
    main()
