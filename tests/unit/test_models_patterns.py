"""The request schemas' patterns say exactly what the validators accept (schemathesis generates from them, and
typed clients read them): the title's non-blank character, no NUL, and the due date's calendar and range."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from todo_shared.tasks.fields import (
    DESCRIPTION_PATTERN,
    DUE_DATE_MAX,
    DUE_DATE_MIN,
    DUE_DATE_PATTERN,
    TITLE_PATTERN,
    WHITESPACE_CLASS,
    parse_due_date,
)
from todo_shared.tasks.schemas import TaskCreate

DUE_DATE = re.compile(DUE_DATE_PATTERN)


def _accepted_due_date(value: str) -> bool:
    try:
        parse_due_date(value)
    except ValueError:
        return False
    return True


def _accepted_title(value: str) -> bool:
    try:
        TaskCreate.model_validate({"title": value})
    except ValidationError:
        return False
    return True


def test_the_whitespace_class_is_what_python_strips() -> None:
    spelled = re.compile(f"[{WHITESPACE_CLASS}]")
    differ = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if code < 0xD800 or code > 0xDFFF
        if bool(spelled.fullmatch(chr(code))) != chr(code).isspace()
    ]
    assert differ == []


TEXT = st.text(alphabet=st.sampled_from(" \t\n\x00\x1c\x85\u3000\ufeffab\u00e9"), max_size=12)


@given(TEXT)
def test_the_title_pattern_matches_exactly_the_titles_accepted(title: str) -> None:
    assert (re.search(TITLE_PATTERN, title) is not None) == _accepted_title(title)


@given(TEXT)
def test_the_description_pattern_matches_exactly_the_descriptions_accepted(description: str) -> None:
    try:
        TaskCreate.model_validate({"title": "x", "description": description})
        accepted = True
    except ValidationError:
        accepted = False
    assert (re.search(DESCRIPTION_PATTERN, description) is not None) == accepted


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(DUE_DATE, fullmatch=True))
def test_every_due_date_the_pattern_matches_is_accepted(value: str) -> None:
    assert _accepted_due_date(value), value


SPELLINGS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dt%H:%M:%S.%f")


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(SPELLINGS),
    st.one_of(st.none(), st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)),
)
def test_every_due_date_accepted_is_matched_except_at_the_two_ends(
    moment: datetime, spelling: str, offset_minutes: int | None
) -> None:
    """Only 1970-01-01 and 9999-12-30/31, where the offset decides, are accepted beyond the pattern."""
    value = moment.strftime(spelling)
    if offset_minutes is not None and spelling != "%Y-%m-%d":
        sign = "+" if offset_minutes >= 0 else "-"
        value += f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    if _accepted_due_date(value) and not DUE_DATE.fullmatch(value):
        assert value[:10] in ("1970-01-01", "9999-12-30", "9999-12-31"), value


@pytest.mark.parametrize(
    "value",
    [
        "1970-01-01",
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00-05:00",
        "1972-02-29",
        "2000-02-29",
        "2024-02-29T12:00:00+01:00",
        "2026-12-01t17:00z",
        "2026-12-01 17:00",
        "2026-12-01T17:00:00.123456",
        "9999-12-30T23:59:59.999999Z",
        "9999-12-30T10:00+05:00",
    ],
)
def test_accepted_due_dates_match(value: str) -> None:
    assert _accepted_due_date(value)
    assert DUE_DATE.fullmatch(value)


@pytest.mark.parametrize(
    "value",
    [
        "1969-12-31",
        "1970-01-01T00:30+01:00",
        "9999-12-31",
        "9999-12-30T23:00-05:00",
        "2026-02-29",
        "1900-02-29",
        "2100-02-29",
        "2026-04-31",
        "2026-13-01",
        "2026-12-01T24:00",
        "2026-12-01T17:00:60",
        "2026-12-01T17:00+24:00",
        "2026-12-01T17:00:00.1234567",
        "2026-12-01T17",
        "20261201",
        "2026-12-01\n",
        "1767225600",
    ],
)
def test_refused_due_dates_do_not_match(value: str) -> None:
    assert not _accepted_due_date(value)
    assert not DUE_DATE.fullmatch(value)


def test_the_range_ends_are_the_documented_ones() -> None:
    assert datetime(1970, 1, 1, tzinfo=UTC) == DUE_DATE_MIN
    assert DUE_DATE_MAX + timedelta(microseconds=1) == datetime(9999, 12, 31, tzinfo=UTC)
