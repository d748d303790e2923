"""The auth function's request and response bodies, with the account rules applied at parsing."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from todo_shared.auth.passwords import password_problem
from todo_shared.auth.user_fields import is_valid_email, name_problem, normalize_email
from todo_shared.models import UserPublic


class SignupRequest(BaseModel):
    email: str
    password: str
    name: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        email = normalize_email(value)
        if not is_valid_email(email):
            raise ValueError("Enter a valid email address")
        return email

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

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


class AuthResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    user: UserPublic
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: datetime
    message: str


class VerifyResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    user: UserPublic
    expires_at: datetime


class MessageResponse(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    message: str
