"""Writes env.sam-local.json, the settings ``sam local invoke`` and ``sam local start-api`` give the functions.

    python -m devtools.sam_env DATABASE_URL='postgresql://…'          # the other values from the example
    python -m devtools.sam_env DATABASE_URL BETTER_AUTH_SECRET         # values taken from your environment

It starts from env.sam-local.example.json: ``NAME=value`` (or ``NAME``, for the environment's value) replaces
one of its entries, ``BETTER_AUTH_SECRET`` is generated when not given, and ``DATABASE_URL`` must be given
(the example's is a placeholder). The result must pass the functions' own settings checks, so a mistake is
one line here rather than a 503 from every request. The file is written readable by its owner only; nothing
it holds is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

from devtools.paths import ROOT
from todo_shared.config.settings import SettingsError, load_settings

EXAMPLE = ROOT / "env.sam-local.example.json"
OUTPUT = ROOT / "env.sam-local.json"
REQUIRED = ("DATABASE_URL",)


class EnvFileError(Exception):
    """One line saying what is wrong with the values asked for."""


def example_values() -> dict[str, str]:
    parameters = json.loads(EXAMPLE.read_text())["Parameters"]
    assert isinstance(parameters, dict)
    return {str(name): str(value) for name, value in parameters.items()}


def env_file_values(assignments: list[str], environ: dict[str, str]) -> dict[str, str]:
    """The example's values with ``assignments`` applied and a generated secret where none is given."""
    example = example_values()
    values = dict(example)
    given: set[str] = set()
    for assignment in assignments:
        name, has_value, value = assignment.partition("=")
        if name not in example:
            raise EnvFileError(
                f"{name} is not one of env.sam-local.example.json's settings ({', '.join(example)}); "
                "the template passes only those to the functions"
            )
        if not has_value:
            if name not in environ:
                raise EnvFileError(f"{name} is given without a value and is not set in the environment")
            value = environ[name]
        values[name] = value
        given.add(name)
    for name in REQUIRED:
        if name not in given:
            raise EnvFileError(f"{name} is required (the example's value is a placeholder)")
    if "BETTER_AUTH_SECRET" not in given:
        values["BETTER_AUTH_SECRET"] = secrets.token_urlsafe(48)
    try:
        load_settings(values)
    except SettingsError as error:
        raise EnvFileError(str(error)) from None
    return values


def write_env_file(values: dict[str, str], path: Path = OUTPUT) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"Parameters": values}, handle, indent=2)
        handle.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("assignments", nargs="*", metavar="NAME[=value]")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        values = env_file_values(args.assignments, dict(os.environ))
    except EnvFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_env_file(values, args.output)
    generated = "" if any(a.startswith("BETTER_AUTH_SECRET") for a in args.assignments) else ", a new secret"
    print(f"wrote {args.output} ({', '.join(values)}{generated})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
