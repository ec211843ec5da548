"""Child protection statistics for the child protection committee: registrations,
de-registrations, CPPMs by type, concerns identified at case conference, and the time from
concern to IRD to CPPM. Counted in the database (aggregates, five queries whatever the
number of records), never by looping over rows in Python.

The statistics year runs 1 August to 31 July (Scottish Government children's social work
statistics): the committee's default period. Any other period can be chosen.

Medians: PostgreSQL's percentile_cont; on SQLite (development and the default test database)
an aggregate of the same meaning registered on each connection, as Django registers its own
statistical functions there."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Aggregate, Count, FloatField, Func, OuterRef, Q, Subquery
from django.utils import timezone

from ird.models import Cppm, Ird, Registration
from referrals.models import ConcernCategory

SQLITE_MEDIAN = "ird_median"
FIRST_CPPMS = [Cppm.Kind.INITIAL, Cppm.Kind.PRE_BIRTH]


def statistics_year(today: date) -> tuple[date, date]:
    """The statistics year `today` falls in: 1 August to the next 31 July."""
    first = today.year if today.month >= 8 else today.year - 1
    return date(first, 8, 1), date(first + 1, 7, 31)


# --- Medians in SQL ---------------------------------------------------------------------------


class DaysBetween(Func):
    """The days (with their fraction) from `earlier` to `later`, as a number."""

    output_field = FloatField()
    arity = 2

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
        )


class Median(Aggregate):
    """The median of a number; rows where it is NULL are left out."""

    function = SQLITE_MEDIAN
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )


class _SqliteMedian:
    """SQLite's side of Median: the values of one group, their median at the end."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection the median aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_MEDIAN, 1, _SqliteMedian)


# --- The report -------------------------------------------------------------------------------


@dataclass
class Statistics:
    start: date
    end: date  # inclusive
    registrations: int = 0
    temporary_registrations: int = 0
    deregistrations: int = 0
    conferences: dict = field(default_factory=dict)  # CPPM kind -> held in the period
    registered_at_conference: int = 0
    one_concern: int = 0
    multiple_concerns: int = 0
    concerns: list = field(default_factory=list)  # [(code, label, children)]
    journeys: int = 0  # initial and pre-birth CPPMs held, the cohort of the medians
    median_concern_to_ird: float | None = None
    median_ird_to_cppm: float | None = None
    median_concern_to_cppm: float | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def conference_rows(self) -> list[tuple[str, str, int]]:
        return [(kind.value, kind.label, self.conferences.get(kind.value, 0)) for kind in Cppm.Kind]


def _days(value) -> float | None:
    return round(value, 1) if value is not None else None


def child_protection_statistics(start: date, end: date) -> Statistics:
    """The committee's figures for the period from `start` to `end` (both included)."""
    found = Statistics(start=start, end=end)
    in_period = {"registered_on__gte": start, "registered_on__lte": end}

    counts = Registration.objects.aggregate(
        registrations=Count("pk", filter=Q(temporary=False, **in_period)),
        temporary=Count("pk", filter=Q(temporary=True, **in_period)),
        deregistrations=Count(
            "pk",
            filter=Q(ended_on__gte=start, ended_on__lte=end, ended_at__kind=Cppm.Kind.REVIEW),
        ),
    )
    found.registrations = counts["registrations"]
    found.temporary_registrations = counts["temporary"]
    found.deregistrations = counts["deregistrations"]

    held = Cppm.objects.filter(
        status=Cppm.Status.HELD, held_at__gte=found.since, held_at__lt=found.until
    )
    found.conferences = dict(
        held.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )

    # Concerns identified at case conference: each child registered at a CPPM in the period,
    # by how many categories of concern were recorded for them.
    at_conference = Registration.objects.filter(registered_at__isnull=False, **in_period)
    per_child = at_conference.annotate(n=Count("categories")).order_by()
    concerns = per_child.aggregate(
        children=Count("pk"),
        one=Count("pk", filter=Q(n=1)),
        multiple=Count("pk", filter=Q(n__gt=1)),
    )
    found.registered_at_conference = concerns["children"]
    found.one_concern, found.multiple_concerns = concerns["one"], concerns["multiple"]
    found.concerns = list(
        Registration.categories.through.objects.filter(registration__in=at_conference)
        .values("concerncategory__code", "concerncategory__label")
        .annotate(children=Count("registration_id"))
        .order_by("-children", "concerncategory__display_order")
        .values_list("concerncategory__code", "concerncategory__label", "children")
    )

    # From concern (the referral received) to IRD (the first held about it) to CPPM (held),
    # for the initial and pre-birth CPPMs held in the period.
    first_ird = Subquery(
        Ird.objects.filter(referral_id=OuterRef("referral_id"), started_at__isnull=False)
        .order_by("started_at")
        .values("started_at")[:1]
    )
    journeys = (
        held.filter(kind__in=FIRST_CPPMS)
        .annotate(ird_at=first_ird)
        .annotate(
            concern_to_ird=DaysBetween("ird_at", "referral__received_at"),
            ird_to_cppm=DaysBetween("held_at", "ird_at"),
            concern_to_cppm=DaysBetween("held_at", "referral__received_at"),
        )
        .order_by()
        .aggregate(
            journeys=Count("pk"),
            median_concern_to_ird=Median("concern_to_ird"),
            median_ird_to_cppm=Median("ird_to_cppm"),
            median_concern_to_cppm=Median("concern_to_cppm"),
        )
    )
    found.journeys = journeys["journeys"]
    found.median_concern_to_ird = _days(journeys["median_concern_to_ird"])
    found.median_ird_to_cppm = _days(journeys["median_ird_to_cppm"])
    found.median_concern_to_cppm = _days(journeys["median_concern_to_cppm"])
    return found


# --- The CSV return ---------------------------------------------------------------------------

# Column names: where the Scottish Government's child protection return words a figure
# (registrations, de-registrations, conference types initial / pre-birth / review /
# transfer, multiple concerns per conference, concerns identified at case conference) the name
# is those words in snake_case. The rest (temporary_registrations, the medians, the period) are
# our own clear snake_case names: the return names none for them.
RETURN_COLUMNS = [
    "period_start",
    "period_end",
    "registrations",
    "temporary_registrations",
    "de_registrations",
    "conference_type_initial",
    "conference_type_pre_birth",
    "conference_type_review",
    "conference_type_transfer",
    "children_registered_at_case_conference",
    "children_with_one_concern_per_conference",
    "children_with_multiple_concerns_per_conference",
    "initial_and_pre_birth_conferences_timed",
    "median_days_concern_to_ird",
    "median_days_ird_to_cppm",
    "median_days_concern_to_cppm",
]
CONCERN_COLUMN = "concerns_identified_at_case_conference_{code}"


def return_columns() -> list[str]:
    """The return's columns: the fixed ones, then one per concern category (all of them,
    retired included, so that one year's file lines up with the next)."""
    codes = ConcernCategory.objects.order_by("display_order", "code").values_list("code", flat=True)
    return [*RETURN_COLUMNS, *(CONCERN_COLUMN.format(code=code) for code in codes)]


def return_row(found: Statistics, columns: list[str]) -> list:
    values = {
        "period_start": found.start.isoformat(),
        "period_end": found.end.isoformat(),
        "registrations": found.registrations,
        "temporary_registrations": found.temporary_registrations,
        "de_registrations": found.deregistrations,
        "children_registered_at_case_conference": found.registered_at_conference,
        "children_with_one_concern_per_conference": found.one_concern,
        "children_with_multiple_concerns_per_conference": found.multiple_concerns,
        "initial_and_pre_birth_conferences_timed": found.journeys,
        "median_days_concern_to_ird": found.median_concern_to_ird,
        "median_days_ird_to_cppm": found.median_ird_to_cppm,
        "median_days_concern_to_cppm": found.median_concern_to_cppm,
    }
    for kind, _label, count in found.conference_rows():
        values[f"conference_type_{kind}"] = count
    for code, _label, children in found.concerns:
        values[CONCERN_COLUMN.format(code=code)] = children
    return [values.get(column, 0) for column in columns]
