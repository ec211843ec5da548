"""Hypothesis strategies for what a person or a partner system may type into a date or time:
the ends of Python's calendar (years 1 and 9999), the edges of the accepted 1900-2100, other
scripts' digits, and long, empty and stray strings. Each property test using them asserts the
same thing: a page, a form error or a 4xx, never a 5xx (issue 15)."""

import datetime

from hypothesis import strategies as st

EDGE_DATES = [
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
]
EDGE_TIMES = [
    "0001-01-01T00:00",
    "1899-12-31T23:59",
    "1900-01-01T00:00",
    "2100-12-31T23:59",
    "2101-01-01T00:00",
    "9999-12-31T23:30",
    "9999-12-31T23:59",
]
ODD_TEXT = [
    "",
    " ",
    "0000-00-00",
    "9999-99-99",
    "10000-01-01",
    "-0001-01-01",
    "\u00b9\u00b9\u00b9\u00b9-01-01",  # superscript digits
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661",  # Arabic-Indic 2026-01-01
    "\uff12\uff10\uff12\uff16-01-01",  # full-width digits
    "2026-01-01\x00",
    "9" * 5000,
    "x" * 1000,
]
# Plausible values too, so that examples also get past validation to what follows it.
IN_RANGE = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31))
# Offsets that carry a time over the calendar's ends when it is converted to UTC.
OFFSETS = ["Z", "+00:00", "+14:00", "-12:00", "+23:59", "-23:59"]


def date_texts() -> st.SearchStrategy[str]:
    """A date as a form or a JSON body would carry it."""
    return st.one_of(
        st.sampled_from(EDGE_DATES),
        IN_RANGE.map(lambda day: day.isoformat()),
        st.dates().map(lambda day: day.isoformat()),
        st.sampled_from(ODD_TEXT),
        st.text(max_size=20),
    )


def datetime_texts() -> st.SearchStrategy[str]:
    """A local date and time as a `datetime-local` input sends it."""
    return st.one_of(
        st.sampled_from(EDGE_TIMES),
        IN_RANGE.map(lambda day: f"{day.isoformat()}T10:30"),
        st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
        st.sampled_from(ODD_TEXT),
        st.text(max_size=20),
    )


def aware_datetime_texts() -> st.SearchStrategy[str]:
    """An ISO 8601 time with an offset, as the partner API takes it."""
    return st.one_of(
        st.builds(
            lambda moment, offset: moment + offset,
            st.sampled_from(EDGE_TIMES),
            st.sampled_from(OFFSETS),
        ),
        IN_RANGE.map(lambda day: f"{day.isoformat()}T10:30:00Z"),
        st.builds(
            lambda moment, offset: moment.isoformat(timespec="seconds") + offset,
            st.datetimes(),
            st.sampled_from(OFFSETS),
        ),
        st.sampled_from(ODD_TEXT),
        st.text(max_size=30),
    )


def number_texts() -> st.SearchStrategy[str]:
    """A number as text: ordinary, huge, negative, and other scripts' digits."""
    return st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=6),
        st.sampled_from(["", "9" * 5000, "1e9", "0x10", "\u00b9", "\u00b2\u00b3"]),
    )
