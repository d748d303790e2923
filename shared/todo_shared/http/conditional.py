"""Conditional requests (RFC 9110 §13.1.1): strong entity tags of versions, and ``If-Match``.

A resource's entity tag is its version number in double quotes (``"3"``): versions only grow, so a tag names
one state. ``If-Match`` is ``*`` or a list of tags; weak tags never match a strong comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from todo_shared.errors import InvalidField

# "*" or a comma-separated list of entity tags, W/"…" (weak) or "…" (strong); empty list elements are
# allowed. The opaque tag's characters: 0x21, 0x23–0x7E and obs-text 0x80–0xFF.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
# Each run of blanks has exactly one quantifier that can take it, so a refusal never backtracks badly.
_ENTITY_TAG_LIST = re.compile(rf"[ \t]*(?:{_ENTITY_TAG}[ \t]*)?(?:,[ \t]*(?:{_ENTITY_TAG}[ \t]*)?)*")
_ENTITY_TAG_PARTS = re.compile(r'(W/)?"([^"]*)"')
# What parse_if_match accepts, for the document: "*", or a list as above with at least one tag.
IF_MATCH_PATTERN = (
    rf"^(?:[ \t]*\*[ \t]*|[ \t]*(?:,[ \t]*)*{_ENTITY_TAG}[ \t]*(?:,[ \t]*(?:{_ENTITY_TAG}[ \t]*)?)*)$"
)

# The ETag header as the OpenAPI document declares it.
ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The task\'s version in double quotes (e.g. "3"), for If-Match.',
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    }
}


def version_tag(version: int) -> str:
    """The strong entity tag of ``version``."""
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    """A parsed If-Match: ``*``, or the opaque values of its strong tags (weak tags can never match)."""

    any_version: bool
    strong_tags: frozenset[str]

    def accepts(self, version: int) -> bool:
        return self.any_version or str(version) in self.strong_tags


def parse_if_match(value: str) -> IfMatch:
    """Parse an If-Match value; a malformed one is ``InvalidField``."""
    if value.strip(" \t") == "*":
        return IfMatch(any_version=True, strong_tags=frozenset())
    if _ENTITY_TAG_LIST.fullmatch(value) is None or '"' not in value:
        message = 'Must be * or one or more quoted entity tags, such as "3" (the task\'s ETag).'
        raise InvalidField("If-Match", message)
    tags = frozenset(opaque for weak, opaque in _ENTITY_TAG_PARTS.findall(value) if not weak)
    return IfMatch(any_version=False, strong_tags=tags)


def if_match_header(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Only write if the task is still at this version: its ETag (e.g. "3"), several '
            "comma-separated, or * (any version). Otherwise 412 and nothing changes.",
            json_schema_extra={"pattern": IF_MATCH_PATTERN},
        ),
    ] = None,
) -> IfMatch | None:
    if if_match is None:
        return None
    # Repeated If-Match lines form one list (RFC 9110 §5.3); the parameter above holds only the first.
    return parse_if_match(", ".join(request.headers.getlist("if-match")))


IfMatchDep = Annotated[IfMatch | None, Depends(if_match_header)]


def version_check(if_match: IfMatchDep) -> Callable[[int], bool] | None:
    """What a write's ``If-Match`` accepts, as the domain's version check (None: no condition)."""
    return if_match.accepts if if_match is not None else None


VersionCheckDep = Annotated[Callable[[int], bool] | None, Depends(version_check)]
