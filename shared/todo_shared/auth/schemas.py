"""The auth function's request and response bodies, with the account rules applied at parsing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic.config import JsonDict

from todo_shared.auth.passwords import MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, password_problem
from todo_shared.auth.user_fields import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    email_problem,
    name_problem,
    normalize_email,
)
from todo_shared.models import UserPublic

# What the validators below accept, for the document (schemathesis generates from it). An email is checked
# in its normal form (user_fields: NFKC, trimmed, lower-cased, IDNA domain); a password, in its NFKC form, is
# 8 characters to 72 UTF-8 bytes, without NUL (maxLength counts characters: non-ASCII ones take 2 to 4 of the
# 72 bytes), not only blanks and not a common password (passwords); a name has no control characters.
_EMAIL_SCHEMA: JsonDict = {"format": "email", "maxLength": MAX_EMAIL_LENGTH}
_PASSWORD_SCHEMA: JsonDict = {
    "minLength": MIN_PASSWORD_CHARS,
    "maxLength": MAX_PASSWORD_BYTES,
    "pattern": r"^[^\x00]*$",
    "examples": ["correct horse battery staple"],
    "description": (
        f"{MIN_PASSWORD_CHARS} characters to {MAX_PASSWORD_BYTES} bytes in UTF-8 (after NFKC normalisation), "
        "no NUL, not only spaces or invisible characters, not a common password."
    ),
}
_NAME_SCHEMA: JsonDict = {
    "maxLength": MAX_NAME_LENGTH,
    "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$",
    "description": f"Up to {MAX_NAME_LENGTH} characters once trimmed, no control characters; empty means none.",
}


def _name_schema(schema: dict[str, Any]) -> None:
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            branch.update({key: value for key, value in _NAME_SCHEMA.items() if key != "description"})
    schema["description"] = _NAME_SCHEMA["description"]


def _default_in_words(schema: dict[str, Any]) -> None:
    """No ``default`` keyword in a request property: openapi-typescript would type it as required."""
    schema.pop("default", None)


_REFRESH_IN_BODY = Field(
    default=False,
    description=(
        "For clients that are not browsers: answer the refresh token in the body's `refresh_token` instead of "
        "the HttpOnly `todo_refresh` cookie. Default: false."
    ),
    json_schema_extra=_default_in_words,
)


def _new_password(value: str) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class SignupRequest(BaseModel):
    email: str = Field(json_schema_extra=_EMAIL_SCHEMA)
    password: str = Field(json_schema_extra=_PASSWORD_SCHEMA)
    name: str | None = Field(default=None, json_schema_extra=_name_schema)
    refresh_token_in_body: StrictBool = _REFRESH_IN_BODY

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        email = normalize_email(value)
        problem = email_problem(email)
        if problem is not None:
            raise ValueError(problem)
        return email

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _new_password(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = name_problem(value.strip())
        if problem is not None:
            raise ValueError(problem)
        return value.strip()


class LoginRequest(BaseModel):
    email: str
    password: str
    refresh_token_in_body: StrictBool = _REFRESH_IN_BODY


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(
        default=None,
        description="The refresh token, for clients that got it in a body; browsers send the cookie instead.",
        json_schema_extra=_default_in_words,
    )


class PasswordChangeRequest(BaseModel):
    current_password: str
    new_password: str = Field(json_schema_extra=_PASSWORD_SCHEMA)

    @field_validator("new_password")
    @classmethod
    def _new_password(cls, value: str) -> str:
        return _new_password(value)


class AuthResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    user: UserPublic
    token: str = Field(description="The access token: send it as `Authorization: Bearer <token>`.")
    access_token: str = Field(description="The same access token, under the OAuth 2 name many clients read.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: datetime
    message: str
    refresh_token: str | None = Field(
        default=None,
        description="Only when the client asked for it in the body (`refresh_token_in_body`, or refresh with a "
        "body token); browsers get the HttpOnly `todo_refresh` cookie, never readable by scripts.",
    )


class SessionPublic(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: str
    created_at: datetime
    last_used_at: datetime = Field(description="The last sign-in or refresh of this session.")
    user_agent: str | None
    current: bool = Field(description="True for the session of the token that asked.")


class SessionsResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    sessions: list[SessionPublic]


class VerifyResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    user: UserPublic
    expires_at: datetime


class MessageResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    message: str
