"""Working days and due times, computed on the council's wall clock (Europe/London).

Times are stored in UTC. A due time of "two working days" keeps the local time of day across
the change between GMT and BST, and skips weekends, Scottish public holidays (the `holidays`
package, UK with subdivision SCT) and council closure days."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
# The working day, for counting working hours when REMINDER_HOURS does not set one ("any").
WORKING_HOURS = (time(8), time(18))


@lru_cache(maxsize=64)
def scottish_public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="SCT", years=[year]).keys())


def is_working_day(day: date, closures: frozenset[date] = frozenset()) -> bool:
    return (
        day.weekday() < 5 and day not in scottish_public_holidays(day.year) and day not in closures
    )


def _at_local_time(day: date, local: datetime) -> datetime:
    # zoneinfo resolves a wall time that does not exist (clocks forward) or exists twice
    # (clocks back) by fold=0, the earlier offset: the result stays a real instant.
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=LONDON).astimezone(UTC)


def add_working_days(
    start: datetime, days: int, closures: frozenset[date] = frozenset()
) -> datetime:
    """The same local time `days` working days later. Starting on a weekend or holiday, the
    first working day after it counts as day one."""
    local = start.astimezone(LONDON)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, closures):
            counted += 1
    return _at_local_time(day, local)


def add_calendar_days(start: datetime, days: int) -> datetime:
    """The same local time `days` calendar days later (23 or 25 hours across a clock change)."""
    local = start.astimezone(LONDON)
    return _at_local_time(local.date() + timedelta(days=days), local)


def add_calendar_months(start: datetime, months: int) -> datetime:
    """The same local time on the same day `months` later, or the month's last day when it has
    no such day (31 January + 1 month = 28 or 29 February), as the ICO counts a month."""
    local = start.astimezone(LONDON)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _at_local_time(local.date().replace(year=year, month=month, day=day), local)


def in_reminder_hours(
    moment: datetime, start: time, end: time, closures: frozenset[date] = frozenset()
) -> datetime:
    """`moment`, or when it falls outside working hours (a weekend, a holiday, a closure day,
    or before `start` or after `end` London time), the start of the next working morning."""
    local = moment.astimezone(LONDON)
    day = local.date()
    if is_working_day(day, closures) and start <= local.time().replace(tzinfo=None) < end:
        return moment
    if not (is_working_day(day, closures) and local.time().replace(tzinfo=None) < start):
        day += timedelta(days=1)
        while not is_working_day(day, closures):
            day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=LONDON).astimezone(UTC)


def add_working_time(
    start: datetime,
    delay: timedelta,
    hours: tuple[time, time] = WORKING_HOURS,
    closures: frozenset[date] = frozenset(),
) -> datetime:
    """`delay` counted in working time: its whole days as working days (the same time of day),
    then its hours as working hours, only between `hours` on working days. 4 hours after
    Friday 16:30 is Monday 10:30; 1 day after it, Monday 16:30."""
    moment = add_working_days(start, delay.days, closures)
    left = delay - timedelta(days=delay.days)
    if not left:
        return moment
    opens, closes = hours
    moment = in_reminder_hours(moment, opens, closes, closures)
    while True:
        closing = datetime.combine(moment.astimezone(LONDON).date(), closes, tzinfo=LONDON)
        if moment + left <= closing:
            return moment + left
        left -= closing - moment
        moment = in_reminder_hours(closing.astimezone(UTC), opens, closes, closures)


def due_time(
    start: datetime, amount: int, unit: str, closures: frozenset[date] = frozenset()
) -> datetime:
    if unit == "minutes":
        return start + timedelta(minutes=amount)
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "calendar_days":
        return add_calendar_days(start, amount)
    if unit == "working_days":
        return add_working_days(start, amount, closures)
    if unit == "calendar_months":
        return add_calendar_months(start, amount)
    raise ValueError(f"Unknown timescale unit: {unit}")
