"""Password rules and hashing, email and name rules, and what ``todo_shared.auth`` may import."""

from __future__ import annotations

import subprocess
import sys

import bcrypt
import pytest

from devtools.paths import LAYER_DIR, ROOT
from todo_shared.auth.passwords import MAX_PASSWORD_BYTES, hash_password, password_problem, verify_password
from todo_shared.auth.user_fields import clean_name, is_valid_email, mask_email, name_problem, normalize_email


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "Password must be at least 8 characters long"),
        ("1234567", "Password must be at least 8 characters long"),
        ("€" * 25, "Password must be at most 72 bytes long (UTF-8)"),  # 25 characters, 75 bytes
        ("a" * 73, "Password must be at most 72 bytes long (UTF-8)"),
        ("abcdefg\x00h", "Password must not contain NUL characters"),
        ("abcdefgh\ud800", "Password must be valid Unicode text"),
    ],
)
def test_password_rules(password: str, problem: str) -> None:
    assert password_problem(password) == problem
    with pytest.raises(ValueError, match="rules"):
        hash_password(password, 4)


BLANK = "Password must not be only spaces or other invisible characters"


@pytest.mark.parametrize(
    "blank",
    [
        pytest.param("\u2800", id="braille-blank"),
        pytest.param("\u115f", id="hangul-choseong-filler"),
        pytest.param("\u1160", id="hangul-jungseong-filler"),
        pytest.param("\u3164", id="hangul-filler"),
        pytest.param("\uffa0", id="halfwidth-hangul-filler"),
        pytest.param("\u200b", id="zero-width-space"),
        pytest.param("\u2060", id="word-joiner"),
        pytest.param("\u034f", id="combining-grapheme-joiner"),
        pytest.param("\ufe0f", id="variation-selector"),
        pytest.param("\U000e0100", id="variation-selector-supplement"),
        pytest.param("\U000e0020", id="tag-space"),
        pytest.param("\u180e", id="mongolian-vowel-separator"),
        pytest.param("\u00ad", id="soft-hyphen"),
        pytest.param("\u17b4", id="khmer-inherent-vowel"),
        pytest.param("\U0001d173", id="musical-begin-beam"),
        pytest.param("\u2028", id="line-separator"),
        pytest.param("\u0085", id="next-line"),
    ],
)
def test_a_password_of_blank_looking_characters_is_refused(blank: str) -> None:
    """Alone (eight of them) or mixed with spaces: nothing anyone could read back."""
    assert password_problem(blank * 8) == BLANK
    assert password_problem(f" {blank} {blank}  {blank} ") == BLANK
    assert password_problem("visible" + blank * 8) is None


@pytest.mark.parametrize("password", ["8-chars!", "a" * 72, "€" * 24, "correct horse battery staple"])
def test_acceptable_passwords_hash_and_verify(password: str) -> None:
    assert password_problem(password) is None
    hashed = hash_password(password, 4)
    assert hashed.startswith("$2b$04$")
    assert verify_password(password, hashed, 4)
    assert not verify_password(password + "x" if len(password.encode()) < 72 else "b" * 72, hashed, 4)


@pytest.mark.parametrize(
    ("password", "stored"),
    [
        pytest.param("a" * (MAX_PASSWORD_BYTES + 1), "real", id="too-long"),
        pytest.param("abc\x00defgh", "real", id="nul"),
        pytest.param("abcdefgh\udc80", "real", id="surrogate"),
        pytest.param("shelf-lamp-river", None, id="no-hash"),
        pytest.param("shelf-lamp-river", "not-a-bcrypt-hash", id="corrupt-hash"),
        pytest.param("shelf-lamp-river", "ünicode-hash", id="non-ascii-hash"),
    ],
)
def test_unusable_inputs_are_wrong_credentials_after_one_bcrypt_check(
    password: str, stored: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = hash_password("shelf-lamp-river", 4)
    calls: list[bytes] = []
    original = bcrypt.checkpw

    def counting(candidate: bytes, hashed: bytes) -> bool:
        result = original(candidate, hashed)  # a hash bcrypt rejects raises at once: not a check
        calls.append(hashed)
        return result

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    assert verify_password(password, real if stored == "real" else stored, 4) is False
    assert len(calls) == 1


def test_unknown_user_costs_a_wrong_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same work whatever the input: one bcrypt check, at the stored hash's cost (not a timing test, which
    would flake on a loaded machine: the cost is what the time follows)."""
    rounds = 8
    hashed = hash_password("shelf-lamp-river", rounds)
    costs: list[bytes] = []
    original = bcrypt.checkpw

    def recording(candidate: bytes, stored: bytes) -> bool:
        costs.append(stored[:7])  # "$2b$08$": the cost
        return original(candidate, stored)

    monkeypatch.setattr(bcrypt, "checkpw", recording)
    for stored in (hashed, None):
        for password in ("wrong-password", "x" * 100):
            costs.clear()
            assert verify_password(password, stored, rounds) is False
            assert costs == [b"$2b$08$"], (password, stored)


@pytest.mark.parametrize(
    "email",
    [
        "a@example.com",
        "first.last+tag@sub.example.co.uk",
        "o'hara@example.ie",
        "josé@xn--exmple-cua.com",
        "x@a-b.io",
    ],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@localhost",
        "a@@example.com",
        "a b@example.com",
        ".a@example.com",
        "a..b@example.com",
        "a.@example.com",
        "a@-example.com",
        "a@example..com",
        "a@example.123",
        "a\x00b@example.com",
        "a\ud800@example.com",
        "\u200ba@example.com",
        "Upper@example.com",  # not normalised
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        '"quoted"@example.com',
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not is_valid_email(email)


def test_email_normalisation_and_masking() -> None:
    assert normalize_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert mask_email("jane.doe@example.com") == "j***@example.com"
    assert mask_email("hunter2-password") == "<invalid>"


def test_name_rules() -> None:
    assert name_problem("Jane Doe") is None
    assert name_problem("x" * 256) == "Name must be at most 255 characters long"
    assert name_problem("a\x00b") == "Name must not contain control characters"
    assert clean_name("  Jane  ") == "Jane"
    assert clean_name("x" * 300) == "x" * 255
    assert clean_name("bad\x07name") is None
    assert clean_name("   ") is None
    assert clean_name(None) is None


def test_the_auth_dependency_does_not_import_password_hashing() -> None:
    """Every function imports ``todo_shared.http.deps``; only the auth function should load the password code.

    (``bcrypt`` itself is loaded anyway: ``cryptography``'s SSH key support imports it, and PyJWT imports
    that. What is kept out is our hashing module and its dummy-hash set-up.)
    """
    code = (
        "import sys, todo_shared.http.deps; "
        "print([name for name in ('todo_shared.auth.passwords', 'todo_shared.auth.sign_in') if name in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{LAYER_DIR}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
