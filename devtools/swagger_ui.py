"""The Swagger UI files the docs function serves, vendored from the npm package ``swagger-ui-dist`` at an exact
version (docs/adr/0011-docs-function.md).

    python -m devtools.swagger_ui                    # re-vendor the recorded version, checked against its integrity
    python -m devtools.swagger_ui --version 5.36.0   # move to another version (its registry integrity is recorded)
    python -m devtools.swagger_ui --check            # offline: the committed files are the recorded ones

Only what the page loads is kept, gzip-compressed (the function serves the compressed copy as it is), beside the
package's licence files. The tarball is read, never installed: no install script runs.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx

from devtools.functions import DOCS_FUNCTION
from devtools.paths import FUNCTIONS_DIR

PACKAGE = "swagger-ui-dist"
REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = FUNCTIONS_DIR / DOCS_FUNCTION / "swagger-ui"
MANIFEST = VENDOR_DIR / "manifest.json"
# What the page loads (the standalone preset and the ES bundles are not needed).
SERVED = ("swagger-ui-bundle.js", "swagger-ui.css")
LICENCES = ("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt")


def read_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return manifest


def fingerprints(content: bytes) -> dict[str, str]:
    """sha256 to compare with the package, sha384 as the page's subresource integrity."""
    sri = base64.b64encode(hashlib.sha384(content).digest()).decode()
    return {"sha256": hashlib.sha256(content).hexdigest(), "integrity": f"sha384-{sri}"}


def _verified_tarball(url: str, integrity: str) -> bytes:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"unexpected integrity {integrity!r}: sha512 expected")
    tarball = httpx.get(url, follow_redirects=True, timeout=60).raise_for_status().content
    if base64.b64encode(hashlib.sha512(tarball).digest()).decode() != expected:
        raise SystemExit(f"{url} does not match its recorded integrity {integrity}")
    return tarball


def vendor(version: str | None) -> None:
    if version is None:
        recorded = read_manifest()
        version, tarball_url, integrity = recorded["version"], recorded["tarball"], recorded["integrity"]
    else:
        dist = httpx.get(f"{REGISTRY}/{PACKAGE}/{version}", timeout=30).raise_for_status().json()["dist"]
        tarball_url, integrity = dist["tarball"], dist["integrity"]
    tarball = _verified_tarball(tarball_url, integrity)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:

        def member(name: str) -> bytes:
            extracted = archive.extractfile(f"package/{name}")
            if extracted is None:
                raise SystemExit(f"{PACKAGE}@{version} has no {name}")
            return extracted.read()

        package_version = json.loads(member("package.json"))["version"]
        if package_version != version:
            raise SystemExit(f"the tarball is {PACKAGE}@{package_version}, not {version}")
        served = {name: member(name) for name in SERVED}
        licences = {name: member(name) for name in LICENCES}
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    for old in VENDOR_DIR.glob("*.gz"):
        old.unlink()
    for name, content in served.items():
        # mtime=0: the same content gives the same bytes, so a re-vendoring leaves git clean.
        (VENDOR_DIR / f"{name}.gz").write_bytes(gzip.compress(content, compresslevel=9, mtime=0))
    for name, content in licences.items():
        (VENDOR_DIR / name).write_bytes(content)
    manifest = {
        "package": PACKAGE,
        "version": version,
        "tarball": tarball_url,
        "integrity": integrity,
        "files": {name: fingerprints(content) for name, content in served.items()},
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{version} into {VENDOR_DIR}", file=sys.stderr)


def check(directory: Path = VENDOR_DIR) -> list[str]:
    """Differences between the committed files and the manifest; empty when they agree."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    if sorted(manifest["files"]) != sorted(SERVED):
        problems.append(f"manifest lists {sorted(manifest['files'])}, not {sorted(SERVED)}")
    for name, recorded in manifest["files"].items():
        compressed = directory / f"{name}.gz"
        if not compressed.is_file():
            problems.append(f"{compressed.name} is missing")
            continue
        if fingerprints(gzip.decompress(compressed.read_bytes())) != recorded:
            problems.append(f"{compressed.name} is not the {manifest['package']}@{manifest['version']} file")
    problems.extend(f"{name} is missing" for name in LICENCES if not (directory / name).is_file())
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", help=f"the {PACKAGE} version to vendor (default: the recorded one)")
    parser.add_argument("--check", action="store_true", help="only check the committed files, offline")
    arguments = parser.parse_args(argv)
    if not arguments.check:
        vendor(arguments.version)
    problems = check()
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
