"""FastAPI dependencies shared by the functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from todo_shared.database import session_scope

SessionDep = Annotated[Session, Depends(session_scope)]
