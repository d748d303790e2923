"""The rules of a task's values: text, due dates, tags, and the spellings frontends use for them.

Each rule is also written as the pattern the request schemas publish (schemathesis generates from them,
typed clients read them); tests/unit/test_models_patterns.py checks that each pattern says exactly what its rule
accepts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

# Tags: at most this many in one body (as sent), each at most this long once trimmed.
MAX_TAGS = 20
TAG_MAX_LENGTH = 50
# Due dates must fall in this window (UTC). The bounds keep every value representable once converted to
# any database time zone (pg8000 cannot read back year 10000 or pre-1970 local-mean-time offsets).
DUE_DATE_MIN = datetime(1970, 1, 1, tzinfo=UTC)
DUE_DATE_MAX = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
_DUE_DATE_RANGE = "Must be between 1970-01-01 and 9999-12-30 (UTC)."
# ISO 8601 extended format as browsers and RFC 3339 write it: a date, optionally a time (seconds and up to
# six fractional digits optional) and an offset (Z or ±HH:MM).
_ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?"
)

# The completion state as frontends spell it in `status`, compared case-insensitively.
STATUS_WORDS: dict[str, bool] = {"pending": False, "completed": True, "complete": True, "incomplete": False}


def clean_text(value: str) -> str:
    """Refuse text no column may hold (NUL, unpaired surrogates) and trim surrounding whitespace."""
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Must be valid Unicode text (no unpaired surrogates).") from None
    return value.strip()


def parse_due_date(value: Any) -> datetime | None:
    """An ISO 8601 string (or a datetime from code) as an aware UTC datetime.

    A date without a time means midnight UTC of that day; a date-time without an offset is taken as UTC.
    Numbers are refused (no Unix timestamps), as is anything outside ``DUE_DATE_MIN``…``DUE_DATE_MAX``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        if _ISO_DATE_TIME.fullmatch(value) is None:
            raise ValueError("Must be an ISO 8601 date (2026-12-01) or date-time (2026-12-01T17:00:00Z).")
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError("Must be a real calendar date and time of day.") from None
    else:
        raise ValueError("Must be an ISO 8601 date or date-time string.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(_DUE_DATE_RANGE) from None
    if not DUE_DATE_MIN <= moment <= DUE_DATE_MAX:
        raise ValueError(_DUE_DATE_RANGE)
    return moment


def tag_key(tag: str) -> str:
    """What makes two spellings one tag: lower case (the databases compare ``lower()`` of both sides)."""
    return tag.lower()


def normalize_tags(value: Any) -> list[str]:
    """A task's tags: a list of strings, or one string of comma-separated tags; null means none.

    Each is trimmed; empty ones are dropped; of the spellings of one tag (compared in lower case) the first is
    kept. At most ``MAX_TAGS`` as sent, each at most ``TAG_MAX_LENGTH`` characters once trimmed, no NUL.
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    elif not isinstance(value, list):
        raise ValueError("Must be a list of strings, or one string of comma-separated tags.")
    if len(value) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    kept: dict[str, str] = {}
    for raw in value:
        if not isinstance(raw, str):
            raise ValueError("Each tag must be a string.")
        tag = clean_text(raw)
        if len(tag) > TAG_MAX_LENGTH:
            raise ValueError(f"Each tag must be at most {TAG_MAX_LENGTH} characters.")
        if tag:
            kept.setdefault(tag_key(tag), tag)
    return list(kept.values())


def clean_optional_text(value: Any) -> Any:
    """An optional text (a description, the category): trimmed; empty or only whitespace means none."""
    if not isinstance(value, str):
        return value  # the schema's type check refuses it (or it is null)
    return clean_text(value) or None


# --- What the request schemas say, exactly as the rules above decide (checked by tests/unit/test_models_patterns.py
# and by schemathesis in tests/system/test_fuzz_schema.py) -------------------------------------------------

# Python's whitespace (str.isspace, what str.strip removes), spelled out: JSON Schema's \s is ECMAScript's, a
# different set (it has U+FEFF and lacks U+001C-U+001F and U+0085).
WHITESPACE_CLASS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A title: no NUL, and at least one character that trimming keeps.
TITLE_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE_CLASS}][^\x00]*$"
# Any text without NUL: a description, a tag, a category, a search.
DESCRIPTION_PATTERN = r"^[^\x00]*$"


def _due_date_pattern() -> str:
    """What ``parse_due_date`` accepts, as a regular expression: a real calendar date from 1970 to 9999, an
    optional time (23:59:59.999999 at most) and offset (under 24 hours). At the two ends of the range the
    pattern takes only what is inside it whatever the offset: 1970-01-01 without a positive offset, 9999-12-30
    without a negative one, never 9999-12-31."""
    day31 = "(?:0[1-9]|[12][0-9]|3[01])"
    day30 = "(?:0[1-9]|[12][0-9]|30)"
    feb = "02-(?:0[1-9]|1[0-9]|2[0-8])"
    jan_to_nov = f"(?:01-{day31}|{feb}|(?:0[3578]|10)-{day31}|(?:0[469]|11)-{day30})"
    any_day = f"(?:{jan_to_nov}|12-{day31})"
    years_between = "(?:197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
    leap_day = (
        "(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
        "-02-29"
    )
    dates = (
        f"(?:{years_between}-{any_day}|{leap_day}"
        f"|1970-(?:01-(?:0[2-9]|[12][0-9]|3[01])|{feb}|(?:0[3578]|1[02])-{day31}|(?:0[469]|11)-{day30})"
        f"|9999-(?:{jan_to_nov}|12-(?:0[1-9]|[12][0-9])))"
    )
    time = r"[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    offset = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
    return (
        f"^(?:{dates}(?:{time}(?:[Zz]|[+-]{offset})?)?"
        rf"|1970-01-01(?:{time}(?:[Zz]|-{offset}|\+00:00)?)?"
        rf"|9999-12-30(?:{time}(?:[Zz]|\+{offset}|-00:00)?)?)$"
    )


DUE_DATE_PATTERN = _due_date_pattern()
# In a request body an empty string is a due date too: none.
DUE_DATE_OR_EMPTY_PATTERN = f"^$|{DUE_DATE_PATTERN}"
