"""Credentials as an attacker would try them: one account per mailbox however it is spelled, passwords in
one normal form, no blank or common passwords, and a login whose cost does not tell whether an email exists
after ``BCRYPT_ROUNDS`` changed. Every database, in-process and through the Lambda handler."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterator

import bcrypt
import httpx
import pytest
from sqlmodel import Session, col, select

from tests.support.accounts import direct_engine
from tests.support.app_state import Backend
from tests.support.auth import PASSWORD, clear_login_throttle, signup, token_of, unique_email
from tests.support.leak_guard import register_email, register_secret
from todo_shared.config.settings import get_settings
from todo_shared.models import User

MIXED_SCRIPT = (
    "Email address must not mix letters of different scripts (such as Latin and Cyrillic) before the @"
)
COMMON = "Password is too common (it is on lists of leaked passwords): choose another"
BLANK = "Password must not be only spaces or other invisible characters"


@pytest.fixture(autouse=True)
def _fresh_throttle(api: httpx.Client) -> Iterator[None]:
    clear_login_throttle()
    yield
    clear_login_throttle()


def fullwidth(text: str) -> str:
    """``a@b.c`` in fullwidth forms (U+FF01…), as an IME's fullwidth mode types it."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def math_bold(text: str) -> str:
    """Letters and digits as MATHEMATICAL BOLD characters (U+1D41A…, U+1D7CE…)."""
    bold = {chr(ord("a") + index): chr(0x1D41A + index) for index in range(26)}
    bold |= {str(digit): chr(0x1D7CE + digit) for digit in range(10)}
    return "".join(bold.get(char, char) for char in text)


def login(api: httpx.Client, email: str, password: str) -> httpx.Response:
    register_email(email, "an email given to a credentials test")
    return api.post("/api/auth/login", json={"email": email, "password": password})


def stored_user(backend: Backend, user_id: str) -> User:
    with Session(direct_engine(backend.direct_url)) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def assert_taken(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "This email is already registered", "code": "email_taken"}


def assert_refused(response: httpx.Response, field: str, message: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"field": field, "message": message}]


# --- One account per mailbox ----------------------------------------------------------------------------


def test_signup_with_the_decomposed_spelling_of_a_taken_email_is_409(api: httpx.Client) -> None:
    composed = f"josé-{uuid.uuid4().hex[:8]}@example.com"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    created = signup(api, composed)
    assert created.status_code == 201
    assert created.json()["user"]["email"] == composed
    assert_taken(signup(api, decomposed, password="another-quiet-password"))


def test_signup_with_the_ascii_form_of_a_taken_internationalised_domain_is_409(api: httpx.Client) -> None:
    local = f"reader-{uuid.uuid4().hex[:8]}"
    created = signup(api, f"{local}@bücher.de")
    assert created.status_code == 201
    assert created.json()["user"]["email"] == f"{local}@xn--bcher-kva.de"
    assert_taken(signup(api, f"{local}@xn--bcher-kva.de", password="another-quiet-password"))
    assert_taken(signup(api, f"{local}@BÜCHER.DE", password="another-quiet-password"))


@pytest.mark.parametrize("spelling", [fullwidth, math_bold], ids=["fullwidth", "math-bold"])
def test_signup_with_a_lookalike_spelling_of_a_taken_email_is_409(
    api: httpx.Client, spelling: object
) -> None:
    assert callable(spelling)
    email = unique_email("jose")
    assert signup(api, email).status_code == 201
    lookalike = spelling(email)
    assert lookalike != email
    assert_taken(signup(api, lookalike, password="another-quiet-password"))


def test_login_with_a_fullwidth_spelling_reaches_the_same_account(api: httpx.Client) -> None:
    email = unique_email("wide")
    user_id = signup(api, email).json()["user"]["id"]
    response = login(api, fullwidth(email), PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user_id


def test_signup_with_a_cyrillic_letter_in_a_latin_local_part_is_400(api: httpx.Client) -> None:
    email = f"\u0440aypal-{uuid.uuid4().hex[:8]}@example.com"  # U+0440 CYRILLIC SMALL LETTER ER, looks like p
    register_email(email, "a mixed-script email")
    assert_refused(signup(api, email), "email", MIXED_SCRIPT)


def test_signup_with_a_cyrillic_local_part_is_accepted(api: httpx.Client) -> None:
    response = signup(api, f"иван-{uuid.uuid4().int % 10**12}@example.com")  # digits belong to no script
    assert response.status_code == 201, response.text


# --- Password rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        pytest.param(" " * 8, BLANK, id="eight-spaces"),
        pytest.param("\u3000" * 8, BLANK, id="ideographic-spaces"),
        pytest.param("\t \u00a0\u2003\u200b\ufeff  ", BLANK, id="mixed-blanks"),
        pytest.param("\u2800" * 8, BLANK, id="braille-blanks"),
        pytest.param("\u115f" * 8, BLANK, id="hangul-fillers"),
        pytest.param("\u3164 \uffa0 \u1160 \u200b\u2800", BLANK, id="fillers-and-spaces"),
        pytest.param("password1", COMMON, id="password1"),  # ("password" alone is in the unit tests)
        pytest.param("Password123", COMMON, id="capitalised"),
        pytest.param("qwertyuiop", COMMON, id="keyboard-row"),
        pytest.param(fullwidth("Password1"), COMMON, id="fullwidth-common"),
    ],
)
def test_signup_with_a_blank_or_common_password_is_400(
    api: httpx.Client, password: str, message: str
) -> None:
    assert_refused(signup(api, unique_email("weak"), password=password), "password", message)


def test_the_decomposed_spelling_of_the_right_password_logs_in(api: httpx.Client) -> None:
    password = "crème brûlée à la française"
    decomposed = unicodedata.normalize("NFD", password)
    assert decomposed != password
    register_secret(decomposed, "a decomposed password")
    email = unique_email("accents")
    assert signup(api, email, password=password).status_code == 201
    response = login(api, email, decomposed)
    assert response.status_code == 200, response.text
    token_of(response)


def test_an_account_hashed_before_normalisation_logs_in_and_is_rehashed(
    api: httpx.Client, database: Backend
) -> None:
    """An old hash of the decomposed spelling: that spelling still logs in once, then the composed one too."""
    password = "señor-piñata-año"
    decomposed = unicodedata.normalize("NFD", password)
    register_secret(decomposed, "a decomposed password")
    email = unique_email("legacy")
    user_id = signup(api, email, password="placeholder-password-1").json()["user"]["id"]
    with Session(direct_engine(database.direct_url)) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = bcrypt.hashpw(decomposed.encode(), bcrypt.gensalt(4)).decode()
        session.add(user)
        session.commit()
    assert login(api, email, decomposed).status_code == 200
    rehashed = stored_user(database, user_id).password_hash
    assert rehashed is not None
    assert bcrypt.checkpw(password.encode(), rehashed.encode())
    assert login(api, email, password).status_code == 200


# --- Cost after a BCRYPT_ROUNDS change -------------------------------------------------------------------


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change ``BCRYPT_ROUNDS`` within a test (settings are cached: cleared now and after)."""
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def set_rounds(monkeypatch: pytest.MonkeyPatch, value: int) -> None:
    monkeypatch.setenv("BCRYPT_ROUNDS", str(value))
    get_settings.cache_clear()


@pytest.fixture
def checked_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hash ``bcrypt.checkpw`` is asked to check, in order."""
    seen: list[str] = []
    original = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed.decode("ascii", "replace"))
        return original(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    return seen


def test_a_login_after_the_cost_changed_rehashes_at_the_new_cost(
    api: httpx.Client, database: Backend, rounds: pytest.MonkeyPatch, checked_hashes: list[str]
) -> None:
    set_rounds(rounds, 5)
    email = unique_email("cost")
    user_id = signup(api, email).json()["user"]["id"]
    old = stored_user(database, user_id).password_hash
    assert old is not None
    assert old.startswith("$2b$05$")
    set_rounds(rounds, 4)
    assert login(api, email, PASSWORD).status_code == 200
    assert checked_hashes == [old]
    new = stored_user(database, user_id).password_hash
    assert new is not None
    assert new.startswith("$2b$04$")
    assert bcrypt.checkpw(PASSWORD.encode(), new.encode())
    checked_hashes.clear()
    assert login(api, email, PASSWORD).status_code == 200
    assert checked_hashes == [new]  # no further rehash: the stored hash stays
    assert stored_user(database, user_id).password_hash == new


def test_an_unknown_email_costs_what_a_stored_hash_costs_after_the_cost_changed(
    api: httpx.Client, database: Backend, rounds: pytest.MonkeyPatch, checked_hashes: list[str]
) -> None:
    """Stored hashes keep their cost until their next login; an unknown email must meet one of them, not a
    dummy at the new cost (that difference told existing emails from unknown ones)."""
    set_rounds(rounds, 5)
    assert signup(api, unique_email("stored")).status_code == 201
    set_rounds(rounds, 6)
    unknown = unique_email("nobody")
    checked_hashes.clear()
    for _ in range(2):
        response = login(api, unknown, PASSWORD)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    with Session(direct_engine(database.direct_url)) as session:
        stored = set(session.exec(select(User.password_hash).where(col(User.password_hash).is_not(None))))
    assert len(checked_hashes) == 2
    assert checked_hashes[0] in stored  # a real stored hash, so a real stored cost
    assert checked_hashes[1] == checked_hashes[0]  # the same email always meets the same one
    assert not checked_hashes[0].startswith("$2b$06$")
