"""The shared pydantic base: camelCase JSON, snake_case Python, readable from ORM rows.

Also the shared input types. FastAPI validates bodies and query strings in pydantic's lax
Python mode, which would take `1` or `"yes"` for a boolean and `0.5` (Unix time) for a
date-time. The OpenAPI schema promises `type: boolean` and `format: date-time`, so inputs use
these types instead and anything else is a 422 saying what to send. The text types below keep
length and pattern limits true of the text as sent, and say in the schema that a blank optional
field is null and that a partial update refuses null.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


class StrictInput(ApiModel):
    """Request bodies: unknown fields are an error, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


T = TypeVar("T")


# The largest integer SQLite and PostgreSQL bind (a signed 64-bit BIGINT): the upper bound of
# `offset`, so the schema states it rather than the driver refusing a larger one.
BIGINT_MAX = 2**63 - 1


class Page(ApiModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --------------------------------------------------------------------------- input types

DATETIME_EXAMPLE = "2026-11-25T09:00:00Z"
# RFC 3339 (the OpenAPI `date-time` format): seconds and an offset are required.
_RFC3339_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value: object) -> str:
    """The offending input, short enough to quote back in a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _iso_datetime(value: object) -> object:
    if isinstance(value, datetime):  # built in Python (defaults, internal callers)
        return value
    if isinstance(value, str) and _RFC3339_DATETIME.fullmatch(value):
        return value.upper()  # "t" and "z" are allowed by RFC 3339; the parser wants capitals
    raise PydanticCustomError(
        "datetime_format",
        "Give a date and time with a time zone offset (ISO 8601), e.g. {example}; got {got}",
        {"example": DATETIME_EXAMPLE, "got": _shown(value)},
    )


def _iso_date(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError(
        "date_format",
        "Give a date as YYYY-MM-DD, e.g. 2026-11-25; got {got}",
        {"got": _shown(value)},
    )


def _json_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    raise PydanticCustomError(
        "bool_type", "Send true or false (a JSON boolean); got {got}", {"got": _shown(value)}
    )


def _query_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError(
        "bool_parsing", "Use true or false; got {got}", {"got": _shown(value)}
    )


def _within_utc_calendar(value: datetime) -> datetime:
    # 9999-12-31T23:59:59-23:59 is valid RFC 3339, but in UTC it is in the year 10000, which
    # neither Python nor the databases hold: every later use of it (a query bound, a stored
    # time, an engine window) would raise OverflowError. Checked once here, for every input.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range",
            "{got} is outside the years 0001 to 9999 once converted to UTC; give a time in range",
            {"got": value.isoformat()},
        ) from None
    return value


# An instant: an RFC 3339 string with an offset ("Z" or "+01:00"); no Unix times, no naive
# times (a clinic's wall clock is ambiguous around DST), nothing outside the UTC calendar.
# For bodies and query strings alike.
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_datetime), AfterValidator(_within_utc_calendar)
]
# A calendar date, "YYYY-MM-DD"; no Unix times.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# A JSON body's boolean: only true and false, not 0/1 or "yes".
JsonBool = Annotated[bool, BeforeValidator(_json_bool)]
# A query parameter's boolean: only the strings "true" and "false".
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


def _json_int(value: object) -> object:
    if isinstance(value, bool | str):
        raise PydanticCustomError(
            "int_type", "Send a whole number; got {got}", {"got": _shown(value)}
        )
    return value


# A JSON body's integer: a number (6, or 6.0, which JSON Schema also calls an integer), not
# true/false (which lax mode reads as 1/0) or "6". Put it last, after Field(ge=..., le=...):
# constraints outside a validator reach the schema as non-standard keywords ("ge"), not
# minimum/maximum (tests/hardening/test_strict_input_types.py checks the schema).
AsJsonInt = BeforeValidator(_json_int)
JsonInt = Annotated[int, AsJsonInt]


# --------------------------------------------------------------------------- text
#
# A text type's published constraints (length, pattern) hold for the text as sent; only then
# is it tidied (trimmed, lower-cased), so the schema never promises a refusal the API does not
# make: "a" followed by 300 spaces is too long, not "a".


# Blank is only spaces, tabs and line breaks: one definition for trimming, for refusing a blank
# name and for reading a blank optional field as null, and the same characters in the
# schema's patterns (Python's str.strip() and JSON Schema's \s disagree about a few others).
_SPACE = " \t\r\n"
BLANK_PATTERN = r"^[ \t\r\n]*$"
NOT_BLANK_PATTERN = r"[^ \t\r\n]"
_BLANK = re.compile(BLANK_PATTERN)


def _trim(value: str) -> str:
    return value.strip(_SPACE)


def _not_blank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


# After the constraints: trims the text as sent.
Trim = AfterValidator(_trim)


class _NotBlank:
    """After Trim: text that was only blanks is refused, and the schema says so (a pattern)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_not_blank, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if "pattern" in json_schema:
            raise TypeError("NotBlank would replace the text type's own pattern")
        return {**json_schema, "pattern": NOT_BLANK_PATTERN}


NotBlank = _NotBlank()


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and _BLANK.fullmatch(value) else value


class BlankMeansNull:
    """`Annotated[X | None, BlankMeansNull()]`: a blank string is read as null (a form's empty
    input means "no value", not an invalid one), and the schema lists blank text as accepted."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_blank_to_none, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        blank = {"type": "string", "pattern": BLANK_PATTERN, "description": "blank: no value"}
        if "anyOf" in json_schema:
            return {**json_schema, "anyOf": [*json_schema["anyOf"], blank]}
        return {"anyOf": [json_schema, blank]}


# --------------------------------------------------------------------------- partial updates


def _refuse_null(value: object) -> object:
    if value is None:
        raise PydanticCustomError(
            "null_not_allowed", "cannot be null; omit the field to leave it unchanged"
        )
    return value


class NotNull:
    """`Annotated[X | None, NotNull()] = None` in a partial update: an omitted field stays as it
    is (the default None is never validated), while an explicit null is a 422 rather than being
    ignored, so a client bug never looks like a save. The schema says the field is not nullable."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        branches = [b for b in json_schema.get("anyOf", ()) if b != {"type": "null"}]
        if len(branches) == len(json_schema.get("anyOf", ())):
            return json_schema
        rest = {k: v for k, v in json_schema.items() if k != "anyOf"}
        return {**rest, **branches[0]} if len(branches) == 1 else {**rest, "anyOf": branches}


# --------------------------------------------------------------------------- characters
#
# Characters no name or note needs, refused in every free-text input with a 422 naming the
# field: C0 and C1 control characters and DEL (NUL cannot be stored by PostgreSQL at all, the
# others corrupt exports, logs and calendar files), and the bidirectional embeddings, overrides
# and isolates U+202A-U+202E and U+2066-U+2069, which make a name display as something other
# than what it is ("Trojan Source"). Tabs and line breaks are fine in notes and reasons
# (`MultilineText`); in a name (`InlineText`) only at its ends, which are trimmed off.
# The published pattern is the rule itself, checked on the text as sent.

_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_INLINE_FORBIDDEN = "\x00-\x1f\x7f-\x9f" + _BIDI_CONTROLS
_MULTILINE_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI_CONTROLS
# As JSON Schema (ECMA-262) patterns: \uXXXX escapes, which Python's re reads the same way.
_INLINE_PATTERN = r"^[ \t\r\n]*[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*[ \t\r\n]*$"
_MULTILINE_PATTERN = (
    r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
)
_INLINE_RE = re.compile(_INLINE_PATTERN)
_MULTILINE_RE = re.compile(_MULTILINE_PATTERN)
_INLINE_BAD = re.compile(f"[{_INLINE_FORBIDDEN}]")
_MULTILINE_BAD = re.compile(f"[{_MULTILINE_FORBIDDEN}]")


class _TextCharacters:
    """`Annotated[str, ..., InlineText]`: refuses the characters above; the schema says so."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline
        self.pattern = _MULTILINE_PATTERN if multiline else _INLINE_PATTERN
        self._whole = _MULTILINE_RE if multiline else _INLINE_RE
        self._bad = _MULTILINE_BAD if multiline else _INLINE_BAD

    def check(self, value: str) -> str:
        if self._whole.fullmatch(value):
            return value
        found = self._bad.search(value.strip(_SPACE) if not self.multiline else value)
        assert found is not None
        char = found.group()
        what = "a line break or tab" if char in "\t\r\n" else "a control character"
        if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
            what = "a right-to-left or left-to-right override"
        raise PydanticCustomError(
            "text_characters",
            "must not contain {what} (U+{code}, character {position}); remove it",
            {"what": what, "code": f"{ord(char):04X}", "position": found.start() + 1},
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if "anyOf" in json_schema:
            raise TypeError("put InlineText/MultilineText on the str, inside the | None")
        if "pattern" in json_schema:  # NotBlank's, say: both must hold
            return {**json_schema, "allOf": [{"pattern": self.pattern}]}
        return {**json_schema, "pattern": self.pattern}


InlineText = _TextCharacters(multiline=False)
MultilineText = _TextCharacters(multiline=True)
