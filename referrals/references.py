"""Human-readable references, one series per kind of record and year: CW-2026-000123,
IRD-2026-000004. The year is the council's (Europe/London), so a record made at 00:30 on New
Year's Day takes the new year's series whichever app makes it."""

from datetime import datetime

from django.db import connection
from django.utils import timezone

from referrals.models import ReferenceCounter

# One statement: it takes the number and holds the counter's row lock until the transaction
# ends, so two writers never share a number (and a rolled-back one gives it back).
TAKE_SQL = "UPDATE referrals_referencecounter SET value = value + 1 WHERE name = %s RETURNING value"


def take_number(series: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(TAKE_SQL, [series])
        taken = cursor.fetchone()
    if taken is None:  # the series' first number (of a new year)
        ReferenceCounter.objects.get_or_create(name=series)
        return take_number(series)
    return taken[0]


def next_reference(prefix: str, series: str, moment: datetime) -> str:
    """The next reference of `series` ("referral", "ird") for the year of `moment`."""
    year = timezone.localtime(moment).year
    return f"{prefix}-{year}-{take_number(f'{series}-{year}'):06d}"
