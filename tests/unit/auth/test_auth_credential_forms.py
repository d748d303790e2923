"""Normal forms of credentials: emails (NFKC, lower case, IDNA domain, one script), passwords (NFKC, not
blank, not common), bcrypt checks that depend only on the password sent, and rehashing."""

from __future__ import annotations

import gzip
import subprocess
import sys
import unicodedata

import bcrypt
import pytest

from devtools.common_passwords import front_coded
from devtools.paths import LAYER_DIR, ROOT
from todo_shared.auth.passwords import (
    COMMON_PASSWORDS_FILE,
    blocklist_key,
    check_password,
    common_passwords,
    hash_cost,
    hash_password,
    needs_rehash,
    normalize_password,
    password_problem,
    rule_problem,
)
from todo_shared.auth.user_fields import email_problem, is_valid_email, mixes_scripts, normalize_email

MIXED = "Email address must not mix letters of different scripts (such as Latin and Cyrillic) before the @"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param(unicodedata.normalize("NFD", "josé@example.com"), "josé@example.com", id="nfd"),
        pytest.param("a@bücher.de", "a@xn--bcher-kva.de", id="idna"),
        pytest.param("a@XN--BCHER-KVA.DE", "a@xn--bcher-kva.de", id="a-label-upper"),
        pytest.param("a@faß.de", "a@xn--fa-hia.de", id="idna-2008-sharp-s"),
        pytest.param("ｊｏｓｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jose@example.com", id="fullwidth"),
        pytest.param(
            "\U0001d423\U0001d428\U0001d42c\U0001d41e@example.com", "jose@example.com", id="math-bold"
        ),
        pytest.param("  Jane.Doe@Example.COM ", "jane.doe@example.com", id="case-and-blanks"),
        pytest.param("a@example\u3002com", "a@example.com", id="ideographic-full-stop"),
    ],
)
def test_one_spelling_per_mailbox(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored
    assert normalize_email(stored) == stored
    assert is_valid_email(stored)


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("a@xn--zz.de", id="invalid-a-label"),
        pytest.param("a@xn--ls8h.la", id="a-label-of-a-disallowed-code-point"),
        pytest.param("a@\U0001f4a9.la", id="disallowed-code-point"),
        pytest.param("a@bücher.de", id="not-the-stored-form"),
    ],
)
def test_domains_without_a_valid_ascii_form_are_invalid(email: str) -> None:
    assert not is_valid_email(email)
    assert email_problem(normalize_email(email)) == (
        None if email == "a@bücher.de" else "Enter a valid email address"
    )


@pytest.mark.parametrize(
    ("local", "mixed"),
    [
        ("\u0440aypal", True),  # Cyrillic ER among Latin letters
        ("p\u0430ypal", True),  # Cyrillic A
        ("\u03b1lpha", True),  # Greek alpha
        ("иван", False),
        ("иван.2024", False),  # digits and ASCII punctuation belong to no script
        ("josé", False),
        (unicodedata.normalize("NFD", "josé"), False),  # a combining accent inherits its letter's script
        ("山田たろう", False),  # Han + Hiragana: Japanese
        ("yamada山田タロー", False),  # Latin + Han + Katakana (and the prolonged sound mark)
        ("김철수kim", False),  # Hangul + Latin
        ("山田иван", True),
    ],
)
def test_mixed_scripts(local: str, mixed: bool) -> None:
    assert mixes_scripts(local) is mixed


def test_a_mixed_script_local_part_is_refused_for_new_accounts_only() -> None:
    email = "\u0440aypal@example.com"
    assert is_valid_email(email)  # still a valid address: existing rows and Better Auth users keep working
    assert email_problem(email) == MIXED
    assert email_problem("paypal@example.com") is None


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        (" " * 8, "Password must not be only spaces or other invisible characters"),
        (
            "\u2003\u00a0\u200b\ufeff\t\n\u3000 ",
            "Password must not be only spaces or other invisible characters",
        ),
        ("password", "Password is too common (it is on lists of leaked passwords): choose another"),
        ("PASSWORD", "Password is too common (it is on lists of leaked passwords): choose another"),
        ("ｐａｓｓｗｏｒｄ", "Password is too common (it is on lists of leaked passwords): choose another"),
        ("e\u0301" * 7, "Password must be at least 8 characters long"),  # 14 code points, 7 once composed
        ("\ufdfa" * 8, "Password must be at most 72 bytes long (UTF-8)"),  # 24 bytes, 264 in NFKC
    ],
)
def test_password_rules_apply_to_the_nfkc_form(password: str, problem: str) -> None:
    assert password_problem(password) == problem
    with pytest.raises(ValueError, match="rules"):
        hash_password(password, 4)


def test_a_password_is_hashed_in_its_nfkc_form() -> None:
    password = "ｃｒèｍｅ-brûlée-42"
    hashed = hash_password(unicodedata.normalize("NFD", password), 4)
    assert bcrypt.checkpw(normalize_password(password).encode(), hashed.encode())


class Checks:
    def __init__(self) -> None:
        self.hashes: list[bytes] = []


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> Checks:
    seen = Checks()
    original = bcrypt.checkpw

    def spy(candidate: bytes, hashed: bytes) -> bool:
        result = original(candidate, hashed)  # a hash bcrypt rejects raises at once: not a check
        seen.hashes.append(hashed)
        return result

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    return seen


def test_an_nfd_spelling_matches_and_costs_one_check_more_whoever_it_is_for(checks: Checks) -> None:
    password = "señor-piñata-año"
    decomposed = unicodedata.normalize("NFD", password)
    stored = hash_password(password, 4)
    assert check_password(decomposed, stored, 4).valid
    assert len(checks.hashes) == 1
    for hashed in (stored, None, "not-a-bcrypt-hash"):  # wrong password, unknown email, corrupt hash
        checks.hashes.clear()
        assert not check_password(decomposed + "x", hashed, 4).valid
        assert len(checks.hashes) == 2
        checks.hashes.clear()
        assert not check_password(password + "x", hashed, 4).valid  # already NFKC: one check
        assert len(checks.hashes) == 1


def test_an_unusable_password_still_costs_the_stored_hash(checks: Checks) -> None:
    stored = hash_password("shelf-lamp-river", 5)
    assert not check_password("x" * 100, stored, 4).valid
    assert [hash_cost(hashed.decode()) for hashed in checks.hashes] == [5]


def test_a_hash_of_the_old_spelling_matches_and_asks_for_a_rehash() -> None:
    password = "señor-piñata-año"
    decomposed = unicodedata.normalize("NFD", password)
    legacy = bcrypt.hashpw(decomposed.encode(), bcrypt.gensalt(4)).decode()
    result = check_password(decomposed, legacy, 4)
    assert result.valid
    assert result.rehash
    assert not check_password(password, legacy, 4).valid  # the composed spelling only after the rehash


def test_rehash_when_the_cost_changed() -> None:
    stored = hash_password("shelf-lamp-river", 5)
    assert hash_cost(stored) == 5
    assert needs_rehash(stored, 4)
    assert not needs_rehash(stored, 5)
    assert check_password("shelf-lamp-river", stored, 4).rehash
    assert not check_password("shelf-lamp-river", stored, 5).rehash
    assert not check_password("wrong-password", stored, 4).rehash
    assert hash_cost("not-a-hash") is None
    assert not needs_rehash("not-a-hash", 4)


def test_the_shipped_list_is_small_normalised_and_only_what_the_rules_accept() -> None:
    data = COMMON_PASSWORDS_FILE.read_bytes()
    assert len(data) < 30_000  # the layer's size budget has little room
    header = gzip.decompress(data).decode().partition("\n\n")[0]
    assert "BSD-3-Clause" in header
    assert "devtools/common_passwords.py" in header
    entries = common_passwords()
    assert 5_000 < len(entries) < 20_000
    assert all(blocklist_key(entry) == entry and rule_problem(entry) is None for entry in entries)
    assert {"password", "12345678", "qwertyuiop", "password1", "iloveyou"} <= entries
    assert front_coded(["password", "password1", "passw0rd"]) == ["0password", "81", "50rd"]


def test_only_signup_reads_the_list() -> None:
    """Importing the auth function and logging in (a password check) never reads the list."""
    code = (
        "from devtools.functions import load_function; load_function('auth'); "
        "from todo_shared.auth import passwords; passwords.check_password('x' * 8, None, 4); "
        "print(passwords.common_passwords.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{LAYER_DIR}:{ROOT}", "PATH": "/usr/bin:/bin", "BCRYPT_ROUNDS": "4"},
    )
    assert result.stdout.strip().splitlines()[-1] == "0", result.stdout + result.stderr
