"""The whole API's OpenAPI document, built from every API function's routes, and the committed copy the
docs function serves.

    python -m devtools.openapi           # rewrite functions/docs/openapi.json
    python -m devtools.openapi --check   # exit 1 when the committed copy is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from devtools.functions import DOCS_FUNCTION, combined_app
from devtools.paths import FUNCTIONS_DIR

COMMITTED_DOCUMENT = FUNCTIONS_DIR / DOCS_FUNCTION / "openapi.json"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def combined_document() -> str:
    return render(combined_app().openapi())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether the committed copy is stale"
    )
    arguments = parser.parse_args(argv)
    current = combined_document()
    committed = COMMITTED_DOCUMENT.read_text(encoding="utf-8") if COMMITTED_DOCUMENT.exists() else ""
    if arguments.check:
        if committed != current:
            print(f"{COMMITTED_DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    if committed != current:
        COMMITTED_DOCUMENT.write_text(current, encoding="utf-8")
        print(f"wrote {COMMITTED_DOCUMENT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
