# Two commands do all set-up on first use: `make run` (the API on local SQLite) and `make test`.
.DEFAULT_GOAL := help
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: venv-run help run dev example test test-fast lint format typecheck check migrate openapi reliability bench venv clean

help:
	@echo "make run        serve the whole API on http://localhost:$${PORT:-8000} (SQLite; docs at /docs)"
	@echo "make dev        the same, restarted whenever a file of the code changes (uvicorn --reload)"
	@echo "make example    the Next.js example (examples/nextjs) on http://localhost:$${EXAMPLE_PORT:-3000}, against make run's API"
	@echo "make test       run the tests (SQLite, PostgreSQL, PgBouncer; in-process and through the Lambda handlers)"
	@echo "make test-fast  the inner loop: unit and API tests on SQLite, in-process (about a minute)"
	@echo "make lint       ruff, mypy and the layer's import contracts"
	@echo "make migrate    apply migrations to DATABASE_URL (use Neon's direct, non-pooler URL)"
	@echo "make openapi    regenerate functions/docs/openapi.json after changing routes or models"
	@echo "make reliability  fuzzing, fault, concurrency, scale and hygiene tests, then the bounded load and scale benches (docs/reliability.md)"
	@echo "make bench      cold start, warm latency, round trips and sizes beside the baselines (writes docs/performance.md)"

venv:
	@scripts/bootstrap

venv-run:
	@scripts/bootstrap run

run: venv-run
	@$(PYTHON) -m devtools.serve

dev: venv-run
	@$(PYTHON) -m devtools.serve --reload

example:
	@scripts/run-nextjs-example

test: venv
	@scripts/ensure-postgres
	@scripts/ensure-pgbouncer
	@scripts/ensure-chromium
	.venv/bin/pytest $(PYTEST_ARGS)

# The inner loop: the unit and API tiers on SQLite through the in-process client (about a minute).
test-fast: venv
	TODO_TEST_BACKENDS=sqlite TODO_TEST_CLIENTS=asgi .venv/bin/pytest -q -m "not system" $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	PYTHONPATH=shared .venv/bin/lint-imports --no-cache

format: venv
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

check: lint test

migrate: venv-run
	@# DATABASE_URL reaches the command through the environment: echoing it would print the password.
	@$(PYTHON) -m devtools.migrate

openapi: venv
	$(PYTHON) -m devtools.openapi

reliability: venv
	@scripts/ensure-postgres
	@scripts/ensure-pgbouncer
	TODO_REQUIRE_POSTGRES=1 TODO_SCALE_CONTAINERS=16 .venv/bin/pytest -q -m reliability
	$(PYTHON) -m bench.load --users 40 --seconds 20
	$(PYTHON) -m bench.scale --containers 24 --seconds 20 --write-docs
	$(PYTHON) -m bench.scale --held --write-docs

bench: venv
	@scripts/ensure-postgres
	@scripts/ensure-pgbouncer
	scripts/sam-check --build-only
	$(PYTHON) -m bench.run

clean:
	rm -rf .venv .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis
