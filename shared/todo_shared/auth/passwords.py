"""Password rules and bcrypt hashing (the ``bcrypt`` package directly; passlib is broken with bcrypt 5).

A password is used in its NFKC form (one spelling for composed and decomposed accents, fullwidth and other
compatibility characters), at signup and at login alike; the rules apply to that form. bcrypt only reads 72
bytes, and bcrypt 5 raises ``ValueError`` beyond that in both ``hashpw`` and ``checkpw``: the limit is checked
here first, as a 400 at signup and as "invalid credentials" at login. Common passwords are refused at signup
from a list shipped beside this module, read on the first signup of a container.
Only the auth function imports this module (the ``bcrypt`` module itself is loaded in every function anyway,
by ``cryptography``'s SSH key support when PyJWT loads; what the others skip is this module's dummy hash and
the list). The decisions are in docs/adr/0015-passwords.md.
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
# Header lines (source, licence), an empty line, then one normalised common password per line
# (devtools/common_passwords.py writes it).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")
_FILLER = b"not-the-password"  # checked when there is no usable candidate: costs a check, never matches


def normalize_password(password: str) -> str:
    """The form that is hashed and checked: NFKC."""
    return unicodedata.normalize("NFKC", password)


def blocklist_key(password: str) -> str:
    """How a password is compared with the common ones: NFKC, then case-folded."""
    return normalize_password(password).casefold()


def rule_problem(normalized: str) -> str | None:
    """Why an NFKC-normalised password breaks a rule other than "not common", or None."""
    if len(normalized) < MIN_PASSWORD_CHARS:
        return f"Password must be at least {MIN_PASSWORD_CHARS} characters long"
    encoded = _encode(normalized)
    if encoded is None:
        return "Password must be valid Unicode text"
    if b"\x00" in encoded:
        return "Password must not contain NUL characters"
    if len(encoded) > MAX_PASSWORD_BYTES:
        return f"Password must be at most {MAX_PASSWORD_BYTES} bytes long (UTF-8)"
    if all(_invisible(char) for char in normalized):
        return "Password must not be only spaces or other invisible characters"
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used for a new account, or None."""
    problem = rule_problem(normalize_password(password))
    if problem is None and blocklist_key(password) in common_passwords():
        return "Password is too common (it is on lists of leaked passwords): choose another"
    return problem


def _invisible(char: str) -> bool:
    """Whitespace of any kind, and format or control characters (zero-width spaces, BOMs, …)."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cf", "Cc")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per container (on the first signup: logins never need it)."""
    text = gzip.decompress(COMMON_PASSWORDS_FILE.read_bytes()).decode("utf-8")
    _header, _, entries = text.partition("\n\n")
    return frozenset(entries.splitlines())


def _encode(password: str) -> bytes | None:
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON can carry
        return None


def _bcrypt_input(password: str) -> bytes | None:
    """``password`` as bcrypt takes it, or None when bcrypt cannot (over 72 bytes, NUL, not encodable)."""
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
    """A new hash of a password that just matched its stored hash (the rules at signup may be newer than it).

    The NFKC form is hashed; only a password whose NFKC form bcrypt cannot take keeps its own spelling.
    """
    encoded = _bcrypt_input(normalize_password(password)) or _bcrypt_input(password)
    if encoded is None:
        raise ValueError("bcrypt cannot take this password")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds)).decode("ascii")


def hash_cost(password_hash: str) -> int | None:
    """The cost a bcrypt hash was made with (``$2b$12$…`` → 12), or None for anything else."""
    prefix, _, rest = password_hash.removeprefix("$").partition("$")
    cost = rest[:2]
    if prefix not in ("2a", "2b", "2y") or rest[2:3] != "$" or not cost.isdigit():
        return None
    return int(cost)


def needs_rehash(password_hash: str, rounds: int) -> bool:
    """True when a (matching) stored hash was made with another cost than the configured one."""
    cost = hash_cost(password_hash)
    return cost is not None and cost != rounds


@cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash of a random secret at the configured cost, for a login that has no stored hash to check."""
    return bcrypt.hashpw(secrets.token_hex(16).encode("ascii"), bcrypt.gensalt(rounds))


def _check_one(candidate: bytes | None, stored: bytes | None, rounds: int) -> bool:
    """Exactly one bcrypt check: ``candidate`` against ``stored``, or something that costs the same.

    Without a usable candidate the stored hash is still checked (with a filler that cannot match), so the
    cost is the stored hash's; only without a readable stored hash is the dummy at the configured cost used.
    """
    if stored is not None:
        try:
            matched = bcrypt.checkpw(_FILLER if candidate is None else candidate, stored)
        except ValueError:  # not a bcrypt hash: bcrypt refuses it before any work
            pass
        else:
            return matched and candidate is not None
    bcrypt.checkpw(_FILLER, _dummy_hash(rounds))
    return False


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    valid: bool
    rehash: bool  # valid, and the stored hash should be replaced (``rehash_password``) on this login


def check_password(password: str, password_hash: str | None, rounds: int) -> PasswordCheck:
    """Whether ``password`` matches ``password_hash``, and whether that hash should be made again.

    The NFKC form is checked first. A password typed in another spelling is also checked as typed, for hashes
    made before passwords were normalised; that is a second bcrypt check for every such password, whoever
    it is for, so the number of checks depends only on the password sent, never on the account. Every
    input that cannot match (no hash, a corrupt hash, a password bcrypt cannot take) still costs its checks.
    """
    stored: bytes | None = None
    if password_hash is not None and password_hash.isascii():
        stored = password_hash.encode("ascii")
    normalized = normalize_password(password)
    candidates = [normalized] if normalized == password else [normalized, password]
    for index, candidate in enumerate(candidates):
        if _check_one(_bcrypt_input(candidate), stored, rounds) and password_hash is not None:
            old_spelling = index > 0 and _bcrypt_input(normalized) is not None
            return PasswordCheck(valid=True, rehash=old_spelling or needs_rehash(password_hash, rounds))
    return PasswordCheck(valid=False, rehash=False)


def verify_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """True when ``password`` matches ``password_hash`` (``check_password`` without the rehash advice)."""
    return check_password(password, password_hash, rounds).valid
