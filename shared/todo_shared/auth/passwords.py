"""Password rules and bcrypt hashing (the ``bcrypt`` package directly; passlib is broken with bcrypt 5).

bcrypt only reads 72 bytes, and bcrypt 5 raises ``ValueError`` beyond that in both ``hashpw`` and
``checkpw``: the limit is checked here first, as a 400 at signup and as "invalid credentials" at login.
Only the auth function imports this module (the ``bcrypt`` module itself is loaded in every function anyway,
by ``cryptography``'s SSH key support when PyJWT loads; what the others skip is this module's dummy hash).
"""

from __future__ import annotations

import secrets
from functools import cache

import bcrypt

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used for a new account, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Password must be at least {MIN_PASSWORD_CHARS} characters long"
    encoded = _encode(password)
    if encoded is None:
        return "Password must be valid Unicode text"
    if b"\x00" in encoded:
        return "Password must not contain NUL characters"
    if len(encoded) > MAX_PASSWORD_BYTES:
        return f"Password must be at most {MAX_PASSWORD_BYTES} bytes long (UTF-8)"
    return None


def _encode(password: str) -> bytes | None:
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON can carry
        return None


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash of a password that passed ``password_problem``."""
    encoded = _encode(password)
    if encoded is None or password_problem(password) is not None:
        raise ValueError("password does not meet the rules")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds)).decode("ascii")


@cache
def _dummy_hash(rounds: int) -> bytes:
    """A hash of a random secret: checking against it costs what checking a real hash costs."""
    return bcrypt.hashpw(secrets.token_hex(16).encode("ascii"), bcrypt.gensalt(rounds))


def verify_password(password: str, password_hash: str | None, rounds: int) -> bool:
    """True when ``password`` matches ``password_hash``.

    Every call does exactly one bcrypt check, whatever the input: an unknown email (``password_hash`` None),
    an account without a password, a password bcrypt cannot take (over 72 bytes, NUL, not encodable) or a
    corrupt stored hash all cost about what a wrong password costs, and give False.
    """
    encoded = _encode(password)
    usable = encoded is not None and b"\x00" not in encoded and len(encoded) <= MAX_PASSWORD_BYTES
    stored: bytes | None = None
    if password_hash is not None:
        try:
            stored = password_hash.encode("ascii")
        except UnicodeEncodeError:
            stored = None
    if not usable or encoded is None or stored is None:
        bcrypt.checkpw(b"not-the-password", _dummy_hash(rounds))
        return False
    try:
        return bcrypt.checkpw(encoded, stored)
    except ValueError:  # not a bcrypt hash
        bcrypt.checkpw(b"not-the-password", _dummy_hash(rounds))
        return False
