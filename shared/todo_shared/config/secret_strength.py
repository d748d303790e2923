"""How hard a secret is to guess: an estimate in bits, after the patterns an attacker tries first.

The secret is split into the cheapest sequence of pieces, each costing what an attacker pays to guess it: a
random character costs its class (26 letters, 10 digits, 33 symbols; 16 when the whole secret is hexadecimal),
a word-like run of letters, an alphabet or digit sequence, a keyboard walk or a repeat of an earlier piece costs
a few bits, and a separator used before costs one. Random output (``openssl rand -base64 32``, ``-hex 16``) has
none of these patterns and keeps close to its full length in bits; placeholders, phrases, repeats, sequences
and walks fall far below. Standard library only: a maintained estimator (zxcvbn) ships megabytes of word lists,
which the layer has no room for (docs/adr/0040-settings-model.md).
"""

from __future__ import annotations

import math
import re
import string
from functools import cache

HEX = frozenset(string.hexdigits)
SYMBOL_BITS = math.log2(33)
# A word-like run of 4+ letters in one case: an attacker's dictionary (about 2^11 words). Words of the kind
# placeholders and home-made secrets are written with are in the first few dozen an attacker tries.
WORD_BITS = 11.0
MAX_WORD = 12
COMMON_WORD_BITS = 6.0
COMMON_WORDS = frozenset(
    [
        "a",
        "admin",
        "an",
        "and",
        "api",
        "app",
        "at",
        "auth",
        "base",
        "be",
        "best",
        "better",
        "change",
        "changeme",
        "characters",
        "chars",
        "code",
        "default",
        "demo",
        "dev",
        "development",
        "do",
        "dont",
        "example",
        "fill",
        "for",
        "generate",
        "goes",
        "here",
        "hex",
        "insert",
        "is",
        "it",
        "jwt",
        "key",
        "least",
        "long",
        "me",
        "min",
        "minimum",
        "my",
        "not",
        "of",
        "openssl",
        "output",
        "pass",
        "password",
        "passphrase",
        "placeholder",
        "please",
        "prod",
        "production",
        "put",
        "rand",
        "random",
        "real",
        "replace",
        "sample",
        "secret",
        "set",
        "share",
        "should",
        "some",
        "strong",
        "super",
        "test",
        "the",
        "this",
        "to",
        "todo",
        "token",
        "use",
        "value",
        "very",
        "with",
        "your",
    ]
)
# A piece of 3+ characters following a pattern: where it starts and how long it is (a few bits each).
SEQUENCE_BITS = 7.0
WALK_BITS = 8.0
REPEAT_BITS = 5.0
# Rows of a US keyboard, unshifted then shifted: neighbours on a row or diagonally below are one step.
_ROWS = ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./")
_SHIFTED = ("!@#$%^&*()_+", "QWERTYUIOP{}", 'ASDFGHJKL:"', "ZXCVBNM<>?")
# Only the first characters are scored: a longer secret's rest only adds to it.
MAX_SCORED = 128


@cache
def _neighbours() -> dict[str, frozenset[str]]:
    """Each key's neighbours on the keyboard: on its row, or one row up or down (diagonals included)."""
    grid: dict[tuple[int, int], list[str]] = {}
    for rows in (_ROWS, _SHIFTED):
        for row, keys in enumerate(rows):
            for column, key in enumerate(keys):
                grid.setdefault((row, column), []).append(key)
    return {
        key: frozenset(
            other
            for up in (-1, 0, 1)
            for across in (-1, 0, 1)
            for other in grid.get((row + up, column + across), ())
            if other != key
        )
        for (row, column), keys in grid.items()
        for key in keys
    }


def _char_bits(char: str, hexadecimal: bool) -> float:
    if hexadecimal:
        return 4.0
    if char.isdigit():
        return math.log2(10)
    if char.isalpha():
        return math.log2(26)
    return SYMBOL_BITS


def _same_kind(first: str, second: str) -> bool:
    return (first.isdigit() and second.isdigit()) or (
        first.isalpha() and second.isalpha() and first.islower() == second.islower()
    )


def _runs(secret: str, linked: object) -> list[int]:
    """For each position, where the longest run ending there starts (each step linked to the previous)."""
    assert callable(linked)
    starts = [0] * len(secret)
    for index in range(1, len(secret)):
        starts[index] = starts[index - 1] if linked(secret[index - 1], secret[index]) else index
    return starts


def _is_step(first: str, second: str) -> bool:
    return _same_kind(first, second) and abs(ord(second.lower()) - ord(first.lower())) == 1


def _is_walk(first: str, second: str) -> bool:
    return second in _neighbours().get(first, frozenset())


_WORD_RUN = re.compile(r"[a-z]+|[A-Z][a-z]+|[A-Z]+")


def estimate_bits(secret: str) -> float:
    """The estimated guessing cost of ``secret``, in bits (the cheapest split into pieces)."""
    text = secret[:MAX_SCORED]
    size = len(text)
    hexadecimal = size > 0 and all(char in HEX for char in text)
    sequences = _runs(text, _is_step)
    walks = _runs(text, _is_walk)
    words = list(range(size))  # where the word-like run through each position starts (itself: none)
    for match in _WORD_RUN.finditer(text):
        for index in range(match.start(), match.end()):
            words[index] = match.start()
    best = [0.0] + [math.inf] * size
    for end in range(1, size + 1):
        last = end - 1
        char = text[last]
        earlier_symbol = not char.isalnum() and char in text[:last]
        cost = best[last] + (1.0 if earlier_symbol else _char_bits(char, hexadecimal))
        for start in range(sequences[last], end - 2):
            cost = min(cost, best[start] + SEQUENCE_BITS)
        if not hexadecimal:  # random hexadecimal is made of runs of a-f and digit-row walks
            for start in range(walks[last], end - 3):
                cost = min(cost, best[start] + WALK_BITS)
            for start in range(max(words[last], end - MAX_WORD), end - 1):
                word = text[start:end]
                capital = 0.0 if word.islower() else 1.0
                if word.lower() in COMMON_WORDS:
                    cost = min(cost, best[start] + COMMON_WORD_BITS + capital)
                elif end - start >= 4:
                    cost = min(cost, best[start] + WORD_BITS + capital)
        for length in range(3, min(16, end // 2) + 1):
            if text.find(text[end - length : end], 0, end - length) >= 0:
                cost = min(cost, best[end - length] + REPEAT_BITS)
        best[end] = cost
    return best[size]


def normalized(secret: str) -> str:
    """The secret without case and separators: how a placeholder is recognised however it is spelled."""
    return "".join(char for char in secret.lower() if char.isalnum())
