"""User fields: email addresses (one normal form, a syntax check, a mask for logs) and display names.

One spelling per mailbox (NFKC, lower case, IDNA domain: docs/adr/0031-email-normal-form.md), so the unique
index on ``lower(email)`` and every lookup agree. The check is deliberately plain: a dot-atom local part (ASCII
specials or non-ASCII letters), a domain of at least two labels; no quoted local parts, comments or IP
literals. Anything it accepts is safe to store in either database (no NUL, control or surrogate characters).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, minus the angle brackets
MAX_LOCAL_PART_LENGTH = 64

_LOCAL_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Mixes one writing system uses (UTS #39, highly restrictive); any other mix of scripts is refused.
_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA"}


def normalize_email(raw: str) -> str:
    """The stored form: NFKC, surrounding whitespace removed, lower-cased, the domain in ASCII (IDNA)."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).strip().lower())
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    return f"{local}@{_ascii_domain(domain) or domain}"


def _ascii_domain(domain: str) -> str | None:
    """``domain`` in its IDNA ASCII form (``bücher.de`` → ``xn--bcher-kva.de``), or None if it has none."""
    if domain.isascii() and "xn--" not in domain:
        return domain
    import idna  # only here: ~10 ms to import

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def _non_ascii_letters_only(text: str) -> bool:
    """Non-ASCII characters are allowed only when they are letters, marks or digits (internationalised)."""
    return (
        all(ord(char) < 128 or unicodedata.category(char)[0] in ("L", "M", "N") for char in text)
        and text.isprintable()
    )


def _ascii_form(text: str) -> str:
    """``text`` with each non-ASCII character replaced by a letter, for the ASCII patterns."""
    return "".join(char if ord(char) < 128 else "a" for char in text)


def is_valid_email(email: str) -> bool:
    """True for a normalised address this API accepts (see the module docstring)."""
    if not email or len(email) > MAX_EMAIL_LENGTH or email != normalize_email(email):
        return False
    if not _non_ascii_letters_only(email):
        return False
    local, at, domain = email.rpartition("@")
    if not at or not local or "@" in local or len(local) > MAX_LOCAL_PART_LENGTH:
        return False
    if any(not part or not _LOCAL_ATOM.match(_ascii_form(part)) for part in local.split(".")):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or any(not _DOMAIN_LABEL.match(label) for label in labels):
        return False
    if _ascii_domain(domain) != domain:  # an "xn--" label that is not valid IDNA
        return False
    return not labels[-1].isdigit()


def _script(char: str) -> str | None:
    """A letter's script, the first word of its name (``CYRILLIC SMALL LETTER ER``); None for the rest."""
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if unicodedata.category(char)[0] != "L":
        return None
    word = unicodedata.name(char, "").partition(" ")[0]
    return _SCRIPT_ALIASES.get(word, word)


def mixes_scripts(local_part: str) -> bool:
    """True for letters of different scripts together (``pаypal``, with a Cyrillic ``а``)."""
    scripts = {script for char in local_part if (script := _script(char)) is not None}
    return len(scripts) > 1 and not any(scripts <= mix for mix in _SCRIPT_MIXES)


def email_problem(email: str) -> str | None:
    """Why a normalised ``email`` cannot be a new account's, or None."""
    if not is_valid_email(email):
        return "Enter a valid email address"
    if mixes_scripts(email.rpartition("@")[0]):
        return "Email address must not mix letters of different scripts (such as Latin and Cyrillic) before the @"
    return None


def mask_email(email: str) -> str:
    """``a***@example.com``: enough to correlate in logs, not the address.

    Anything that is not a valid address (a password typed into the email field, say) is not shown at all.
    """
    if not is_valid_email(email):
        return "<invalid>"
    local, _, domain = email.rpartition("@")
    return f"{local[0]}***@{domain}"


def email_digest(email: str) -> str:
    """A stable, non-reversible key for an (already normalised) email, e.g. for throttling state."""
    return hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()


MAX_NAME_LENGTH = 255


def name_problem(name: str) -> str | None:
    """Why ``name`` (already trimmed) cannot be a display name, or None."""
    if len(name) > MAX_NAME_LENGTH:
        return f"Name must be at most {MAX_NAME_LENGTH} characters long"
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        return "Name must not contain control characters"
    return None


def clean_name(name: str | None) -> str | None:
    """A display name from someone else's data (a token's claims): trimmed, shortened, or dropped if unusable."""
    if name is None:
        return None
    trimmed = name.strip()[:MAX_NAME_LENGTH].strip()
    if not trimmed or name_problem(trimmed) is not None:
        return None
    return trimmed
