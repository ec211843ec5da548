"""Strict JSON fields. Partner payloads are untrusted: a string is a JSON string, a boolean a JSON
boolean, a date `YYYY-MM-DD`, a time ISO 8601 *with* an offset. DRF's own fields coerce
(`"true"` -> True, `12` -> "12", naive times -> local time), which the partner contract rules
out."""

import datetime
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referrals.validation import in_date_range

# ASCII digits: `\d` would take any script's.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
# What the schema states: the same shapes, in the years every date is held to (1900-2100,
# referrals.validation). Parsing uses the plain shapes so that a year out of range is told so.
_YEAR = r"(19[0-9]{2}|20[0-9]{2}|2100)"
SCHEMA_DATE_PATTERN = DATE_PATTERN.replace("[0-9]{4}", _YEAR, 1)
SCHEMA_DATETIME_PATTERN = DATETIME_PATTERN.replace("[0-9]{4}", _YEAR, 1)
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)
_SPACED_OFFSET = re.compile(r"(?<=\d) (\d{2}:\d{2})$")
CLOCK_SKEW = datetime.timedelta(minutes=5)  # partner clocks run a little fast


def _in_range(value) -> None:
    """The range every app's dates are held to (referrals.validation), as the API's error."""
    try:
        in_date_range(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages, code=error.code) from error


def _printable(value: str) -> bool:
    """No NUL (PostgreSQL refuses it) and no lone surrogates (not encodable as UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "invalid": "Enter text (a JSON string).",
        "unprintable": "Remove the NUL or invalid characters from this text.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if not _printable(data):
            self.fail("unprintable")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=type(data).__name__)
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str) or not _printable(data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """Only JSON `true` or `false`: not "true", 1 or "yes"."""

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "format": "date", "pattern": SCHEMA_DATE_PATTERN})
class StrictDateField(serializers.Field):
    """`YYYY-MM-DD`, a real date, from 1900 to 2100; `past_only` refuses dates after today
    (UK)."""

    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD.",
        "future": "This date is in the future.",
    }

    def __init__(self, *, past_only: bool = False, **kwargs):
        self.past_only = past_only
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _DATE.fullmatch(data):
            self.fail("invalid")
        try:
            value = datetime.date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        _in_range(value)
        if self.past_only and value > timezone.localdate():
            self.fail("future")
        return value

    def to_representation(self, value):
        return value.isoformat() if value is not None else None


def parse_aware_datetime(data) -> datetime.datetime | None:
    """An ISO 8601 time with an offset, in that offset; None if it is not one."""
    if not isinstance(data, str) or not _DATETIME.fullmatch(data):
        return None
    try:
        return datetime.datetime.fromisoformat(data.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


@extend_schema_field({"type": "string", "format": "date-time", "pattern": SCHEMA_DATETIME_PATTERN})
class StrictDateTimeField(serializers.Field):
    """ISO 8601 with an offset (`Z` or `+01:00`); a time without one is refused, never guessed."""

    default_error_messages = {
        "invalid": "Enter a time in ISO 8601 with its offset, e.g. 2026-03-01T14:30:00Z "
        "or 2026-03-01T14:30:00+00:00.",
        "future": "This time is in the future.",
    }

    def __init__(self, *, past_only: bool = False, in_query: bool = False, **kwargs):
        self.past_only = past_only
        self.in_query = in_query
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.in_query and isinstance(data, str):
            # An unencoded "+01:00" in a query string arrives as " 01:00": take it as meant.
            data = _SPACED_OFFSET.sub(r"+\1", data)
        value = parse_aware_datetime(data)
        if value is None:
            self.fail("invalid")
        _in_range(value)  # before converting to UTC, which could overflow at the calendar's ends
        if self.past_only and value > timezone.now() + CLOCK_SKEW:
            self.fail("future")
        return value.astimezone(datetime.UTC)

    def to_representation(self, value):
        return value.isoformat() if value is not None else None


def query_of(serializer_class, request) -> serializers.Serializer:
    """A query string read by `serializer_class`, as a plain dict: DRF reads an empty value
    (`?page=`) from a QueryDict as absent, where the schema says it must be a value; given as it
    is, the field refuses it with a 400 naming the parameter."""
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query
