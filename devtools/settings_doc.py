"""The README's Configuration table and `.env.example`, written from the settings model, their one source.

    python -m devtools.settings_doc           # rewrite both
    python -m devtools.settings_doc --check   # exit 1 when either differs from the model (a test runs this)

Each setting's name, meaning, values (a range or the choices, from its type) and local default come from
``todo_shared.config.settings.Settings``: a setting added there appears in both, one removed disappears.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from devtools.paths import ROOT
from todo_shared.config.settings import FIELDS, bounds

README = ROOT / "README.md"
ENV_EXAMPLE = ROOT / ".env.example"
TABLE_START = "<!-- settings table: written by `python -m devtools.settings_doc` from the settings model -->"
TABLE_END = "<!-- end of the settings table -->"
# Read before the file is: setting it inside the file would change nothing.
NOT_IN_ENV_FILE = frozenset({"ENV_FILE"})
ENV_HEADER = """\
# A local run's settings (`make run`, `make dev`, `make migrate`): copy this file to .env (git-ignored) and
# uncomment what you change. The environment wins over .env; an empty value counts as unset. None is needed.
# Written from the settings model by `python -m devtools.settings_doc`; README.md, "Configuration", has the table.
"""


def _choices(annotation: Any) -> tuple[str, ...]:
    """The values of a Literal (also inside ``X | None``)."""
    if get_origin(annotation) is Literal:
        return tuple(str(value) for value in get_args(annotation))
    return tuple(value for part in get_args(annotation) for value in _choices(part))


def values_text(field: FieldInfo) -> str:
    low, high = bounds(field)
    if low is not None and high is not None:
        return f"{low}–{high}"
    return ", ".join(f"`{value}`" for value in _choices(field.annotation))


def default_text(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    shown = extra.get("shown") if isinstance(extra, dict) else None
    if isinstance(shown, str):
        return shown
    return "unset" if field.default is None else f"`{field.default}`"


def readme_table() -> str:
    rows = [
        TABLE_START,
        "| name | meaning | values | local default |",
        "|---|---|---|---|",
        *(
            f"| `{name}` | {field.description} | {values_text(field)} | {default_text(field)} |"
            for name, field in FIELDS.items()
        ),
        TABLE_END,
    ]
    return "\n".join(rows)


def env_example() -> str:
    blocks = [ENV_HEADER]
    for name, field in FIELDS.items():
        if name in NOT_IN_ENV_FILE:
            continue
        meaning = str(field.description).replace("`", "")
        values = values_text(field).replace("`", "")
        if values:
            meaning += f" ({values})"
        comment = textwrap.fill(meaning, width=112, initial_indent="# ", subsequent_indent="# ")
        shown = "" if field.is_required() or field.default in (None, ()) else str(field.default)
        blocks.append(f"{comment}\n# {name}={shown}\n")
    return "\n".join(blocks)


def readme_with_table(readme: str) -> str:
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise SystemExit(f"README.md lacks the settings table's marks ({TABLE_START!r} … {TABLE_END!r})")
    return readme[:start] + readme_table() + readme[end + len(TABLE_END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a file differs from the model")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    wanted: dict[Path, str] = {README: readme_with_table(readme), ENV_EXAMPLE: env_example()}
    stale = [
        path.name
        for path, text in wanted.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        if stale:
            print(
                f"{', '.join(stale)} differ(s) from the settings model: run python -m devtools.settings_doc",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {', '.join(stale) or 'nothing (both current)'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
