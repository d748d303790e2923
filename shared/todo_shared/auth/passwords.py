"""Password rules and bcrypt hashing (``bcrypt`` directly: passlib is broken with bcrypt 5).

Passwords are used in their NFKC form; bcrypt 5 raises beyond 72 bytes, so that limit is checked first.
The decisions (common-password list, one stored cost per login, old spellings) are in docs/adr/0015-passwords.md.
Only the auth function imports this module (``bcrypt`` itself is loaded everywhere, by cryptography).
"""

from __future__ import annotations

import gzip
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import bcrypt

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72
# Written by devtools/common_passwords.py (its docstring has the format).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")
_FILLER = b"not-the-password"  # checked when no candidate is usable: costs a check, never matches
# Characters that show nothing: Unicode's Default_Ignorable_Code_Point ranges (joiners, bidi controls,
# variation selectors, tags, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, ...) and the Braille blank
# U+2800. With White_Space and the control, format and separator categories, a password made only of them
# looks empty, or like spaces, wherever it is typed or shown.
_BLANK_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def blocklist_key(password: str) -> str:
    """How a password is compared with the common ones: NFKC, case-folded."""
    return normalize_password(password).casefold()


def rule_problem(normalized: str) -> str | None:
    """Why an NFKC password breaks a rule other than "not common", or None."""
    if len(normalized) < MIN_PASSWORD_CHARS:
        return f"Password must be at least {MIN_PASSWORD_CHARS} characters long"
    encoded = _encode(normalized)
    if encoded is None:
        return "Password must be valid Unicode text"
    if b"\x00" in encoded:
        return "Password must not contain NUL characters"
    if len(encoded) > MAX_PASSWORD_BYTES:
        return f"Password must be at most {MAX_PASSWORD_BYTES} bytes long (UTF-8)"
    if all(looks_blank(char) for char in normalized):
        return "Password must not be only spaces or other invisible characters"
    return None


def looks_blank(char: str) -> bool:
    """True for a character that shows nothing, or only space (see ``_BLANK_RANGES``)."""
    if char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cf", "Cc"):
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _BLANK_RANGES)


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used for a new account, or None."""
    problem = rule_problem(normalize_password(password))
    if problem is None and blocklist_key(password) in common_passwords():
        return "Password is too common (it is on lists of leaked passwords): choose another"
    return problem


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read on a container's first signup (logins never need it)."""
    lines = gzip.decompress(COMMON_PASSWORDS_FILE.read_bytes()).decode().partition("\n\n")[2]
    entries, previous = set(), ""
    for line in lines.splitlines():  # front-coded: length of the prefix shared with the previous entry, rest
        previous = previous[: int(line[0])] + line[1:]
        entries.add(previous)
    return frozenset(entries)


def _encode(password: str) -> bytes | None:
    try:
        return password.encode()
    except UnicodeEncodeError:  # lone surrogates, which JSON can carry
        return None


def _bcrypt_input(password: str) -> bytes | None:
    """``password`` as bcrypt takes it, or None (over 72 bytes, NUL, not encodable)."""
    encoded = _encode(password)
    if encoded is None or b"\x00" in encoded or len(encoded) > MAX_PASSWORD_BYTES:
        return None
    return encoded


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash of (the NFKC form of) a password that passed ``password_problem``."""
    if password_problem(password) is not None:
        raise ValueError("password does not meet the rules")
    return rehash_password(password, rounds)


def rehash_password(password: str, rounds: int) -> str:
    """A new hash of a password that just matched (its NFKC form, unless bcrypt cannot take that)."""
    encoded = _bcrypt_input(normalize_password(password)) or _bcrypt_input(password)
    if encoded is None:
        raise ValueError("bcrypt cannot take this password")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds)).decode("ascii")


def hash_cost(password_hash: str) -> int | None:
    """The cost of a bcrypt hash (``$2b$12$…`` → 12), or None."""
    prefix, _, rest = password_hash.removeprefix("$").partition("$")
    if prefix not in ("2a", "2b", "2y") or rest[2:3] != "$" or not rest[:2].isdigit():
        return None
    return int(rest[:2])


def needs_rehash(password_hash: str, rounds: int) -> bool:
    cost = hash_cost(password_hash)
    return cost is not None and cost != rounds


@cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_hex(16).encode("ascii"), bcrypt.gensalt(rounds))


def _check_one(candidate: bytes | None, stored: bytes | None, rounds: int) -> bool:
    """Exactly one bcrypt check, at the stored hash's cost if it is readable, else the dummy's."""
    if stored is not None:
        try:
            matched = bcrypt.checkpw(_FILLER if candidate is None else candidate, stored)
        except ValueError:  # not a bcrypt hash: refused before any work
            pass
        else:
            return matched and candidate is not None
    bcrypt.checkpw(_FILLER, _dummy_hash(rounds))
    return False


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    valid: bool
    rehash: bool  # valid, and the stored hash should be replaced by ``rehash_password``


def check_password(password: str, password_hash: str | None, rounds: int) -> PasswordCheck:
    """Check the NFKC form, then (if different) the password as typed, for hashes made before normalising.

    The number of checks depends only on the password sent, never on the hash or the account.
    """
    stored = password_hash.encode() if password_hash is not None and password_hash.isascii() else None
    normalized = normalize_password(password)
    candidates = [normalized] if normalized == password else [normalized, password]
    for index, candidate in enumerate(candidates):
        if _check_one(_bcrypt_input(candidate), stored, rounds) and password_hash is not None:
            old_spelling = index > 0 and _bcrypt_input(normalized) is not None
            return PasswordCheck(valid=True, rehash=old_spelling or needs_rehash(password_hash, rounds))
    return PasswordCheck(valid=False, rehash=False)


def verify_password(password: str, password_hash: str | None, rounds: int) -> bool:
    return check_password(password, password_hash, rounds).valid
