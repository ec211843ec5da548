"""Limits on what people and partner systems type in, shared by the forms, serializers and
admin of every app (hub/ and ird/ import them from here).

Dates and times: Python's calendar ends at 9999-12-31, and the arithmetic that follows an
input (the day after a report period, a trial's months, an IRD's end time, a deadline's
warning and escalations) overflowed near that end as a server error (issue 15). Every date
and time input is held to 1900-2100: wide enough for any date of birth on file and any plan,
far enough from either end for all of that arithmetic. Limits of one field (not in the
future, due within a year) sit with that field, on top of this range.

Numbers in headers and query strings: str.isdigit() takes superscripts and other scripts'
digits, which int() refuses or reads as something else, and int() refuses more than 4300
digits; a version is a few ASCII digits or nothing."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
DATE_RANGE_MESSAGE = "Enter a date from 1900 to 2100."
DATETIME_RANGE_MESSAGE = "Enter a date and time from 1900 to 2100."

_VERSION = re.compile(r"[0-9]{1,18}")  # a PostgreSQL bigint has 19 digits


def in_date_range(value: datetime.date | datetime.datetime | None) -> None:
    """The validator for every date and time input: from 1900 to 2100. A time is judged by
    its own calendar day, before any conversion between zones (which could itself overflow)."""
    if value is None:
        return
    timed = isinstance(value, datetime.datetime)
    day = value.date() if timed else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            DATETIME_RANGE_MESSAGE if timed else DATE_RANGE_MESSAGE, code="out_of_range"
        )


def _input_type(widget) -> str:
    return widget.attrs.get("type") or getattr(widget, "input_type", "")


class BoundedDateField(forms.DateField):
    """A form's date, from 1900 to 2100; a browser's date picker offers only those."""

    default_validators = [in_date_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if _input_type(widget) == "date":
            attrs.update(min=EARLIEST_DATE.isoformat(), max=LATEST_DATE.isoformat())
        return attrs


class BoundedDateTimeField(forms.DateTimeField):
    """A form's date and time, from 1900 to 2100."""

    default_validators = [in_date_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if _input_type(widget) == "datetime-local":
            attrs.update(min=f"{EARLIEST_DATE:%Y-%m-%d}T00:00", max=f"{LATEST_DATE:%Y-%m-%d}T23:59")
        return attrs


def parse_version(text: str) -> int | None:
    """A version number sent as text (an ETag's, a stream's last event): ASCII digits only,
    else None."""
    return int(text) if _VERSION.fullmatch(text) else None
