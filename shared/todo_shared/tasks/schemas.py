"""The tasks API's bodies and answers (the table is ``todo_shared.models.Task``).

Bodies are read the way the spec's frontends write them (docs/adr/0034-forgiving-task-bodies.md): unknown
fields are ignored (their names logged at debug), other spellings are taken (``status`` and ``is_completed`` for
``completed``, ``dueDate`` for ``due_date``, priority in any case), an empty string means none for an optional
text, and a known field with a bad value is still a 400. When two spellings of one field disagree, the
canonical one wins, except in an update where it still holds the task's current value (sent back as read)
and the other changes it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)

from todo_shared.models import CATEGORY_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Priority, Task
from todo_shared.observability import logger
from todo_shared.tasks.fields import (
    DESCRIPTION_PATTERN,
    DUE_DATE_OR_EMPTY_PATTERN,
    MAX_TAGS,
    STATUS_WORDS,
    TAG_MAX_LENGTH,
    TITLE_PATTERN,
    clean_optional_text,
    clean_text,
    normalize_tags,
    parse_due_date,
)

TaskStatus = Literal["pending", "completed"]
StatusWord = Literal["pending", "completed", "complete", "incomplete"]
# Unknown fields are logged by name only, and only so many (a body may hold thousands).
_LOGGED_UNKNOWN_FIELDS = 20
_LOGGED_NAME_LENGTH = 64

_TAG_ITEM = {"type": "string", "maxLength": TAG_MAX_LENGTH, "pattern": DESCRIPTION_PATTERN}
# At most MAX_TAGS parts of at most TAG_MAX_LENGTH characters each.
_COMMA_SEPARATED_TAGS = (
    f"^[^,\\x00]{{0,{TAG_MAX_LENGTH}}}(?:,[^,\\x00]{{0,{TAG_MAX_LENGTH}}}){{0,{MAX_TAGS - 1}}}$"
)
TagsIn = Annotated[
    list[str],
    BeforeValidator(normalize_tags),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": _TAG_ITEM, "maxItems": MAX_TAGS},
                {"type": "string", "pattern": _COMMA_SEPARATED_TAGS},
                {"type": "null"},
            ],
            "description": (
                f"At most {MAX_TAGS} tags of at most {TAG_MAX_LENGTH} characters, or one string of "
                "comma-separated tags; each is trimmed, empty ones are dropped, and of the spellings of one tag "
                "(compared in lower case) the first is kept. null or an empty string means none. In an "
                "update, the tags given replace the task's tags."
            ),
        },
        mode="validation",
    ),
]


# The default of a field that may be left out but not set to null: never validated, and never read (whether a
# field was sent is ``model_fields_set``); the schema then has no null for it.
NOT_SENT: Any = None


def _ignored_field(
    description: str = "Accepted with any value and ignored: a read-only field of the task, as sent back.",
) -> Any:
    return Field(default=None, exclude=True, description=description)


def _pop_defaults(schema: dict[str, Any], *, in_words: bool) -> None:
    """No ``default`` keyword in a request property: openapi-typescript (with its default
    ``defaultNonNullable``) types every property that has one as required, so that a create with a title only
    would not compile. With ``in_words`` the default is said in the description instead; without it, absence
    means "unchanged"."""
    for prop in schema["properties"].values():
        if "default" in prop:
            value = prop.pop("default")
            if in_words and value is not None:
                said = f"Default: {json.dumps(value)}."
                prop["description"] = f"{prop['description']} {said}" if "description" in prop else said


def _string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The string schema of a property (``anyOf: [string, null]`` for a nullable one)."""
    return next((each for each in prop.get("anyOf", []) if each.get("type") == "string"), prop)


def _write_schema(schema: dict[str, Any], *, defaults: bool) -> None:
    """A write body's schema: the patterns the validators apply, and no ``default`` keyword.

    The due dates have the pattern of what is accepted (``format: date-time`` would say RFC 3339, which requires
    an offset and allows years 0000-9999 and leap seconds), and the empty string that means none.
    """
    _pop_defaults(schema, in_words=defaults)
    properties: dict[str, dict[str, Any]] = schema["properties"]
    _string_branch(properties["title"])["pattern"] = TITLE_PATTERN
    for name in ("description", "category"):
        _string_branch(properties[name])["pattern"] = DESCRIPTION_PATTERN
    for name in ("due_date", "dueDate"):
        due = _string_branch(properties[name])
        due.pop("format", None)
        due["pattern"] = DUE_DATE_OR_EMPTY_PATTERN


def _create_schema(schema: dict[str, Any]) -> None:
    _write_schema(schema, defaults=True)


def _update_schema(schema: dict[str, Any]) -> None:
    _write_schema(schema, defaults=False)


def _completion_schema(schema: dict[str, Any]) -> None:
    _pop_defaults(schema, in_words=False)


class _Completion(BaseModel):
    """The completion state in its three spellings, and what every task body shares: unknown fields ignored."""

    model_config = ConfigDict(extra="ignore")

    completed: StrictBool = Field(default=NOT_SENT, description="A JSON boolean (no 0/1 or strings).")
    status: StatusWord = Field(
        default=NOT_SENT,
        description=(
            "Another spelling of `completed`: `pending` or `incomplete` (false), `completed` or `complete` "
            "(true), in any case."
        ),
    )
    is_completed: StrictBool = Field(default=NOT_SENT, description="Another spelling of `completed`.")

    # Each field a frontend may spell another way: its spellings, the canonical one first.
    SPELLINGS: ClassVar[dict[str, tuple[str, ...]]] = {"completed": ("completed", "status", "is_completed")}

    @model_validator(mode="before")
    @classmethod
    def _log_unknown_fields(cls, data: Any) -> Any:
        """Unknown fields are dropped (``extra="ignore"``); their names, never their values, are logged at debug."""
        if isinstance(data, dict):
            known = {field.alias or name for name, field in cls.model_fields.items()}
            unknown = [str(key)[:_LOGGED_NAME_LENGTH] for key in data if key not in known]
            if unknown:
                logger.debug(
                    "task body fields ignored",
                    extra={"ignored_fields": unknown[:_LOGGED_UNKNOWN_FIELDS], "ignored_count": len(unknown)},
                )
        return data

    @field_validator("completed", "status", "is_completed", mode="before")
    @classmethod
    def _completion_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Must not be null.")
        return value.lower() if isinstance(value, str) else value

    def _sent(self, field: str) -> list[Any]:
        """The values given for ``field``, in each spelling sent, canonical first (``status`` as a boolean)."""
        return [
            STATUS_WORDS[getattr(self, name)] if name == "status" else getattr(self, name)
            for name in self.SPELLINGS[field]
            if name in self.model_fields_set
        ]

    def _created(self, field: str, default: Any) -> Any:
        """A new task's value: the first spelling sent (canonical first), else ``default``."""
        return next(iter(self._sent(field)), default)

    def _was_sent(self, field: str) -> bool:
        return any(name in self.model_fields_set for name in self.SPELLINGS[field])

    def _changed(self, field: str, current: Any) -> Any:
        """An update's value for a field sent: the first spelling whose value differs from ``current``, so
        that a field sent back as read never undoes a change sent under its other name."""
        return next((value for value in self._sent(field) if value != current), current)


class _Text(BaseModel):
    """A task's title and description (declared first, so that a body's first problem is named in that order)."""

    title: str = Field(default=NOT_SENT, max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(
        default=None,
        max_length=DESCRIPTION_MAX_LENGTH,
        description="Up to 1000 characters once trimmed; empty, whitespace-only or null means none.",
    )

    @field_validator("title", mode="before")
    @classmethod
    def _clean_title(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Must not be null.")
        if not isinstance(value, str):
            return value  # the str schema refuses it
        cleaned = clean_text(value)
        if not cleaned:
            raise ValueError("Must not be empty or only whitespace.")
        return cleaned


class _TaskWrite(_Completion, _Text):
    """The fields a client writes, and the rules every task body shares."""

    priority: Priority = Field(
        default=NOT_SENT, description="low, medium or high, in any case (answered in lower case)."
    )
    due_date: datetime | None = Field(
        default=None,
        description=(
            "ISO 8601 date or date-time. A date alone (YYYY-MM-DD) means 00:00 UTC that day; a date-time without "
            "an offset is taken as UTC. Answered in UTC with an offset. Empty or null means none."
        ),
        examples=["2026-12-01T17:00:00Z"],
    )
    due_date_camel: datetime | None = Field(
        default=None, alias="dueDate", description="Another spelling of `due_date`."
    )
    tags: TagsIn = Field(default=NOT_SENT)
    category: str | None = Field(
        default=None,
        max_length=CATEGORY_MAX_LENGTH,
        description=(
            f"One short label (up to {CATEGORY_MAX_LENGTH} characters once trimmed); empty or null means none."
        ),
    )
    # The task's own read-only fields, which a frontend sends back with the task it read: accepted, whatever
    # their values, and never applied (``exclude``). Not marked ``readOnly`` here: openapi-typescript's
    # ``--read-write-markers`` would then type them as ``never`` in a request body, so that a frontend could not
    # send the task back as read. They are ``readOnly`` in ``TaskPublic``, where they come from.
    id: Any = _ignored_field()
    user_id: Any = _ignored_field()
    created_at: Any = _ignored_field()
    updated_at: Any = _ignored_field()
    version: Any = _ignored_field(
        "Accepted with any value and ignored: send the task's ETag in If-Match to write only at that version."
    )

    SPELLINGS: ClassVar[dict[str, tuple[str, ...]]] = {
        **_Completion.SPELLINGS,
        "due_date": ("due_date", "due_date_camel"),
    }

    @field_validator("description", "category", mode="before")
    @classmethod
    def _clean_optional_text(cls, value: Any) -> Any:
        return clean_optional_text(value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority_in_any_case(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Must not be null.")
        return value.lower() if isinstance(value, str) else value

    @field_validator("due_date", "due_date_camel", mode="before")
    @classmethod
    def _parse_due_date(cls, value: Any) -> Any:
        return None if value == "" else parse_due_date(value)


class TaskCreate(_TaskWrite):
    """``POST`` body: ``title`` required, the rest optional with their defaults."""

    model_config = ConfigDict(json_schema_extra=_create_schema)

    title: str = Field(
        max_length=TITLE_MAX_LENGTH,
        description="1–200 characters once surrounding whitespace is trimmed.",
        examples=["Buy milk"],
    )
    completed: StrictBool = Field(default=False, description="A JSON boolean (no 0/1 or strings).")
    priority: Priority = Field(
        default=Priority.MEDIUM, description="low, medium or high, in any case (answered in lower case)."
    )
    tags: TagsIn = Field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The new task's columns (when two spellings of a field are sent, the canonical one wins)."""
        return {
            "title": self.title,
            "description": self.description,
            "completed": self._created("completed", False),
            "priority": self.priority,
            "due_date": self._created("due_date", None),
            "tags": self.tags,
            "category": self.category,
        }


class TaskUpdate(_TaskWrite):
    """``PUT`` and ``PATCH`` body: the fields given change, the others stay. ``description``, ``due_date``,
    ``tags`` and ``category`` may be cleared (null); ``title``, ``completed`` and ``priority`` may not."""

    model_config = ConfigDict(json_schema_extra=_update_schema)

    def changes(self, task: Task) -> dict[str, Any]:
        """The columns this body sets, as ``task`` (the task as read) resolves its spellings."""
        plain = ("title", "description", "priority", "tags", "category")
        found = {name: getattr(self, name) for name in plain if name in self.model_fields_set}
        for field in self.SPELLINGS:
            if self._was_sent(field):
                found[field] = self._changed(field, getattr(task, field))
        return found


class TaskCompletion(_Completion):
    """Optional body of ``PATCH …/{id}/complete``: sets the state; no body, or none of its fields, toggles it."""

    model_config = ConfigDict(json_schema_extra=_completion_schema)

    def completed_for(self, current: bool) -> bool | None:
        """The state to set, or None to toggle."""
        if not self._was_sent("completed"):
            return None
        value: bool = self._changed("completed", current)
        return value


# --- Answers ----------------------------------------------------------------------------------------------

SERVER_MANAGED_FIELDS = ("id", "user_id", "created_at", "updated_at", "version")


def _public_task_schema(schema: dict[str, Any]) -> None:
    """The fields the server manages are ``readOnly``: write bodies may carry them, but they are never applied."""
    for name in SERVER_MANAGED_FIELDS:
        schema["properties"][name]["readOnly"] = True


class TaskPublic(BaseModel):
    """A task as the API answers it; timestamps are UTC with an offset."""

    # A field with a default is still always present in an answer, so the document lists it as required
    # (typed clients then read it as non-optional).
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_serialization_defaults_required=True,
        json_schema_extra=_public_task_schema,
    )

    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    priority: Priority
    due_date: datetime | None = Field(description="UTC, e.g. 2026-12-01T16:00:00Z.")
    tags: list[str] = Field(
        description="Trimmed, each spelled once (compared in lower case), in the order given."
    )
    category: str | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description=(
            "1 when created, one more after every write that changes the task. The task's ETag is this "
            'number in double quotes (e.g. "3"); send it back in If-Match to refuse lost updates.'
        ),
        examples=[1],
    )

    @computed_field(description="`completed` in words: `pending` or `completed`.")  # type: ignore[prop-decorator]
    @property
    def status(self) -> TaskStatus:
        return "completed" if self.completed else "pending"

    @classmethod
    def of(cls, task: Task) -> TaskPublic:
        return cls.model_validate(task)


class TasksPublic(BaseModel):
    """One page of a task list; ``total`` counts every task matching the filters."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    tasks: list[TaskPublic]
    total: int
    limit: int
    offset: int
