# Two commands do all set-up on first use: `make run` (the API on local SQLite) and `make test`.
.DEFAULT_GOAL := help
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help run test lint format typecheck check migrate openapi venv clean

help:
	@echo "make run        serve the whole API on http://127.0.0.1:$${PORT:-8000} (SQLite; docs at /docs)"
	@echo "make test       run the tests (SQLite, PostgreSQL, PgBouncer; in-process and through the Lambda handlers)"
	@echo "make lint       ruff and mypy"
	@echo "make migrate    apply migrations to DATABASE_URL (use Neon's direct, non-pooler URL)"
	@echo "make openapi    regenerate functions/docs/openapi.json after changing routes or models"

venv:
	@scripts/bootstrap

run: venv
	$(PYTHON) -m devtools.serve

test: venv
	@scripts/ensure-postgres
	@scripts/ensure-pgbouncer
	.venv/bin/pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

format: venv
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

check: lint test

migrate: venv
	$(PYTHON) -m devtools.migrate $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)")

openapi: venv
	$(PYTHON) -m devtools.openapi

clean:
	rm -rf .venv .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis
