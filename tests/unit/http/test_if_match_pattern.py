"""The If-Match header's pattern in the document says exactly what ``parse_if_match`` accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from todo_shared.errors import InvalidField
from todo_shared.http.conditional import IF_MATCH_PATTERN, parse_if_match

PATTERN = re.compile(IF_MATCH_PATTERN)


def _accepted(value: str) -> bool:
    try:
        parse_if_match(value)
    except InvalidField:
        return False
    return True


@given(st.text(alphabet=st.sampled_from(' \t,*"W/3a\x7f\x80\xff'), max_size=14))
def test_the_pattern_matches_exactly_what_is_accepted(value: str) -> None:
    assert (PATTERN.fullmatch(value) is not None) == _accepted(value)


@pytest.mark.parametrize("value", ['"3"', "*", " * ", 'W/"3", "4"', ', "3",', '""'])
def test_etags_match(value: str) -> None:
    assert PATTERN.fullmatch(value)
    assert _accepted(value)


@pytest.mark.parametrize("value", ["3", "", " ", ",", '*, "3"', '"3', "W/3"])
def test_malformed_values_do_not_match(value: str) -> None:
    assert not PATTERN.fullmatch(value)
    assert not _accepted(value)
