"""Performance reports for the child protection committee, which oversees practice.

For a chosen period, by month, locality (the receiving team's locality) and source agency.
Every figure is computed in the database (filter, annotate, values, aggregate): Python only
arranges the handful of aggregated rows that come back, so the cost follows the number of
months and categories, not the number of referrals.

What each table counts:
- a concern is a referral, dated by when it was received; "repeat" means a child in it had
  another concern in the twelve months before;
- timeliness counts the core's deadlines (referrals.Deadline) that started in the period: met
  by the due time, met late, open and overdue now, open and not yet due; cancelled ones (a
  referral closed early) count nowhere;
- IRD outcomes come from referral data only (hub/ may not import ird/): the status of the
  referrals whose child protection screening decision was approved in the period, which ird/
  moves through referrals.services.progress, and the IRD deadlines ird/ opens on the core's
  engine (in the timeliness table). Decisions taken at the IRD live in ird/, its to report;
- quality scores are the hub's reviews, dated by when the review entered the queue (a referral
  review: when the referral was received; a decision review: when the decision was approved).
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone
from django.utils.safestring import SafeString

from hub import charts
from hub.models import Factor, ReferralFacts, Review, ReviewScore
from hub.sampling import months_before
from hub.selectors import month_of
from referrals import extensions
from referrals.models import (
    Agency,
    CumulativeHarmFlag,
    Deadline,
    Referral,
    ScreeningDecision,
)

LIVE = [Deadline.State.OPEN, Deadline.State.BREACHED]
OUTCOME_LABELS = dict(ScreeningDecision.Outcome.choices)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    locality: str = ""
    agency: Agency | None = None

    @classmethod
    def default(cls, today: date) -> "Filters":
        """The last twelve months, this one included."""
        return cls(start=months_before(today.replace(day=1), 11), end=today)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = months_before(month, -1)
        return months

    def as_query(self) -> dict[str, str]:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.locality:
            query["locality"] = self.locality
        if self.agency is not None:
            query["agency"] = str(self.agency.pk)
        return query

    def describe(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "locality": self.locality,
            "agency": self.agency.code if self.agency else "",
        }


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    note: str = ""
    chart: SafeString | None = None
    numeric_from: int = 1  # columns from this one are figures (right-aligned)
    extra: list["Table"] = field(default_factory=list)


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


def short_month(month: date) -> str:
    return f"{month:%b %y}"


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def one_decimal(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def criterion_series(
    rows: list[dict], overall: list[dict], months: list[date]
) -> list[charts.Series]:
    """One line per criterion (rows of month, criterion__code, position, label, average) and
    one for the overall judgement (rows of month, average), over `months`."""
    labels: dict[str, tuple[int, str]] = {}
    averages: dict[tuple[str, date], float | None] = {}
    for r in rows:
        labels.setdefault(r["criterion__code"], (r["position"], r["label"]))
        averages[(r["criterion__code"], r["month"])] = one_decimal(r["average"])
    for r in overall:
        averages[("overall", r["month"])] = one_decimal(r["average"])
    series = [
        charts.Series(label, [averages.get((code, m)) for m in months])
        for code, (_, label) in sorted(labels.items(), key=lambda item: item[1])
    ]
    series.append(
        charts.Series("Overall judgement", [averages.get(("overall", m)) for m in months])
    )
    return series


@contextmanager
def without_jit():
    """PostgreSQL compiles a query it costs highly (as these, with a subquery per measure)
    before running it: for the neglect tables that took 0.8 s of a 0.85 s query (issue 14,
    bench/RESULTS.md). The report's queries run without, in a transaction of their own."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


class Report:
    TABLES = {
        "concerns": "Concerns by month, locality and source agency",
        "categories": "Concerns by category",
        "timeliness": "Timeliness of each step against its timescale",
        "outcomes": "Screening outcomes",
        "ird": "Child protection concerns and IRDs",
        "ird_decisions": "Decisions taken at IRDs",
        "repeat": "Repeat concerns and cumulative harm flags",
        "quality": "Referral quality scores by criterion",
        "decision_quality": "Decision making and response scores by criterion",
        "factors": "Most frequent barriers and supports to quality",
        "overdue": "Overdue work now",
        "neglect": "Neglect and cumulative harm: how well do we respond?",
        "neglect_months": "Neglect and cumulative harm by month",
    }

    def __init__(self, filters: Filters, now: datetime):
        self.filters = filters
        self.now = now

    # --- scope ------------------------------------------------------------------------------

    def _where(self, prefix: str = "", when: str = "received_at") -> Q:
        """The period (on `when`) and the locality and agency filters, on the referral reached
        through `prefix`."""
        q = Q(**{f"{when}__gte": self.filters.since, f"{when}__lt": self.filters.until})
        if self.filters.locality:
            q &= Q(**{f"{prefix}team__locality": self.filters.locality})
        if self.filters.agency is not None:
            q &= Q(**{f"{prefix}source_agency": self.filters.agency})
        return q

    def referrals(self) -> QuerySet[Referral]:
        return Referral.objects.filter(self._where())

    def _deadline_scope(self) -> Q:
        """A deadline belongs to a referral directly (the core's and ird/'s steps) or through
        the hub review it times."""
        q = Q()
        if self.filters.locality:
            q &= Q(referral__team__locality=self.filters.locality) | Q(
                hub_reviews__referral__team__locality=self.filters.locality
            )
        if self.filters.agency is not None:
            q &= Q(referral__source_agency=self.filters.agency) | Q(
                hub_reviews__referral__source_agency=self.filters.agency
            )
        return q

    def table(self, key: str) -> Table:
        with without_jit():
            return getattr(self, f"table_{key}")()

    def tables(self) -> list[Table]:
        return [self.table(key) for key in self.TABLES]

    # --- concerns ---------------------------------------------------------------------------

    def table_concerns(self) -> Table:
        rows = list(
            self.referrals()
            .annotate(month=month_of("received_at"))
            .values("month", "team__locality", "source_agency__name")
            .annotate(concerns=Count("pk"), immediate=Count("pk", filter=Q(immediate_risk=True)))
            .order_by("month", "team__locality", "source_agency__name")
        )
        # The chart's monthly totals add up the table's rows: one pass over the period, not two.
        totals = Counter()
        for r in rows:
            totals[r["month"]] += r["concerns"]
        return Table(
            key="concerns",
            title=self.TABLES["concerns"],
            columns=["Month", "Locality", "Source agency", "Concerns", "Immediate risk"],
            rows=[
                [
                    month_label(r["month"]),
                    r["team__locality"] or "Not set",
                    r["source_agency__name"],
                    r["concerns"],
                    r["immediate"],
                ]
                for r in rows
            ],
            numeric_from=3,
            chart=charts.column_chart(
                chart_id="chart-concerns",
                title="Concerns received each month",
                items=[(short_month(m), totals.get(m, 0)) for m in self.filters.months()],
            ),
        )

    def table_categories(self) -> Table:
        rows = list(
            self.referrals()
            .annotate(month=month_of("received_at"))
            .values("month", "categories__label")
            .annotate(concerns=Count("pk"))
            .order_by("month", "categories__label")
        )
        # The chart's totals over the period add up the table's monthly rows (a concern and a
        # category meet in one month only): one pass over the period, not two.
        by_category = Counter()
        for r in rows:
            by_category[r["categories__label"]] += r["concerns"]
        totals = [
            {"categories__label": label, "concerns": concerns}
            for label, concerns in sorted(
                by_category.items(),
                key=lambda item: (-item[1], item[0] is None, item[0] or ""),
            )
        ]
        return Table(
            key="categories",
            title=self.TABLES["categories"],
            columns=["Month", "Category", "Concerns"],
            rows=[
                [month_label(r["month"]), r["categories__label"] or "None recorded", r["concerns"]]
                for r in rows
            ],
            numeric_from=2,
            note="A concern in several categories counts once in each.",
            chart=charts.bar_chart(
                chart_id="chart-categories",
                title="Concerns by category over the period",
                items=[(r["categories__label"] or "None recorded", r["concerns"]) for r in totals],
            ),
        )

    # --- timeliness -------------------------------------------------------------------------

    def _timeliness(self, *group: str) -> QuerySet:
        started = (
            Deadline.objects.filter(
                self._deadline_scope(),
                starts_at__gte=self.filters.since,
                starts_at__lt=self.filters.until,
            )
            .exclude(state=Deadline.State.CANCELLED)
            .annotate(month=month_of("starts_at"))
        )
        return (
            started.values("timescale__label", *group)
            .annotate(
                started=Count("pk"),
                on_time=Count(
                    "pk", filter=Q(state=Deadline.State.MET, completed_at__lte=F("due_at"))
                ),
                late=Count("pk", filter=Q(state=Deadline.State.MET, completed_at__gt=F("due_at"))),
                overdue=Count("pk", filter=Q(state__in=LIVE, due_at__lte=self.now)),
                pending=Count("pk", filter=Q(state__in=LIVE, due_at__gt=self.now)),
            )
            .order_by("timescale__label", *group)
        )

    @staticmethod
    def _on_time_share(row: dict) -> float | None:
        return percent(row["on_time"], row["on_time"] + row["late"] + row["overdue"])

    def table_timeliness(self) -> Table:
        return Table(
            key="timeliness",
            title=self.TABLES["timeliness"],
            columns=[
                "Step",
                "Month started",
                "Started",
                "Met on time",
                "Met late",
                "Open and overdue",
                "Open, not yet due",
                "On time (%)",
            ],
            rows=[
                [
                    r["timescale__label"],
                    month_label(r["month"]),
                    r["started"],
                    r["on_time"],
                    r["late"],
                    r["overdue"],
                    r["pending"],
                    self._on_time_share(r),
                ]
                for r in self._timeliness("month")
            ],
            numeric_from=2,
            note="On time (%) = met on time ÷ (met on time + met late + open and overdue). "
            "Steps still open and not yet due are not judged.",
            chart=charts.bar_chart(
                chart_id="chart-timeliness",
                title="Share of each step done on time",
                items=[
                    (r["timescale__label"], self._on_time_share(r) or 0) for r in self._timeliness()
                ],
                unit="%",
                maximum=100,
            ),
        )

    # --- outcomes and IRDs ------------------------------------------------------------------

    def _approved(self) -> QuerySet[ScreeningDecision]:
        return ScreeningDecision.objects.filter(
            self._where("referral__", "reviewed_at"), state=ScreeningDecision.State.APPROVED
        )

    def table_outcomes(self) -> Table:
        rows = (
            self._approved()
            .annotate(month=month_of("reviewed_at"))
            .values("month", "outcome")
            .annotate(decisions=Count("pk"))
            .order_by("month", "outcome")
        )
        totals = list(
            self._approved()
            .values("outcome")
            .annotate(decisions=Count("pk"))
            .order_by("-decisions", "outcome")
        )
        return Table(
            key="outcomes",
            title=self.TABLES["outcomes"],
            columns=["Month approved", "Outcome", "Decisions"],
            rows=[
                [
                    month_label(r["month"]),
                    OUTCOME_LABELS.get(r["outcome"], r["outcome"]),
                    r["decisions"],
                ]
                for r in rows
            ],
            numeric_from=2,
            chart=charts.bar_chart(
                chart_id="chart-outcomes",
                title="Approved screening outcomes over the period",
                items=[
                    (OUTCOME_LABELS.get(r["outcome"], r["outcome"]), r["decisions"]) for r in totals
                ],
            ),
        )

    def table_ird(self) -> Table:
        status = Referral.Status
        rows = (
            self._approved()
            .filter(outcome=ScreeningDecision.Outcome.CHILD_PROTECTION)
            .annotate(month=month_of("reviewed_at"))
            .values("month")
            .annotate(
                decisions=Count("pk"),
                awaiting=Count("pk", filter=Q(referral__status=status.DECIDED)),
                scheduled=Count("pk", filter=Q(referral__status=status.IRD_SCHEDULED)),
                held=Count("pk", filter=Q(referral__status=status.IRD_HELD)),
                closed=Count("pk", filter=Q(referral__status=status.CLOSED)),
            )
            .order_by("month")
        )
        return Table(
            key="ird",
            title=self.TABLES["ird"],
            columns=[
                "Month approved",
                "Child protection decisions",
                "Awaiting an IRD",
                "IRD scheduled",
                "IRD held",
                "Closed",
            ],
            rows=[
                [
                    month_label(r["month"]),
                    r["decisions"],
                    r["awaiting"],
                    r["scheduled"],
                    r["held"],
                    r["closed"],
                ]
                for r in rows
            ],
            note="Where each referral with an approved child protection decision stands now, "
            "from the referral's status (the IRD module moves it). How long IRDs took is "
            "in the timeliness table; the decisions taken at each IRD, and the IRDs' own "
            "quality reviews, are in the IRD module.",
        )

    def table_ird_decisions(self) -> Table:
        scope = Q()
        if self.filters.locality:
            scope &= Q(team__locality=self.filters.locality)
        if self.filters.agency is not None:
            scope &= Q(source_agency=self.filters.agency)
        counts = extensions.ird_decisions(
            Referral.objects.filter(scope), self.filters.since, self.filters.until
        )
        return Table(
            key="ird_decisions",
            title=self.TABLES["ird_decisions"],
            columns=["Decision", "IRDs signed off with it"],
            rows=[[label, count] for _code, label, count in counts],
            numeric_from=1,
            chart=charts.bar_chart(
                chart_id="chart-ird-decisions",
                title="Decisions taken at IRDs in the period",
                items=[(label, count) for _code, label, count in counts],
            ),
            note="From the IRD records signed off in the period (an IRD can take several "
            "decisions).",
        )

    # --- repeat concerns and cumulative harm ------------------------------------------------

    def table_repeat(self) -> Table:
        concerns = dict(
            (r["month"], r)
            for r in ReferralFacts.objects.filter(self._where("referral__"))
            .annotate(month=month_of("received_at"))
            .values("month")
            .annotate(concerns=Count("pk"), repeat=Count("pk", filter=Q(repeat=True)))
        )
        flags = dict(
            (r["month"], r)
            for r in CumulativeHarmFlag.objects.filter(self._where("triggered_by__", "raised_at"))
            .annotate(month=month_of("raised_at"))
            .values("month")
            .annotate(
                raised=Count("pk"),
                addressed=Count("pk", filter=Q(status=CumulativeHarmFlag.Status.ADDRESSED)),
                still_open=Count("pk", filter=Q(status=CumulativeHarmFlag.Status.OPEN)),
            )
        )
        rows = []
        for month in self.filters.months():
            c, f = concerns.get(month, {}), flags.get(month, {})
            total, repeat = c.get("concerns", 0), c.get("repeat", 0)
            rows.append(
                [
                    month_label(month),
                    total,
                    repeat,
                    percent(repeat, total),
                    f.get("raised", 0),
                    f.get("addressed", 0),
                    f.get("still_open", 0),
                ]
            )
        return Table(
            key="repeat",
            title=self.TABLES["repeat"],
            columns=[
                "Month",
                "Concerns",
                "Repeat concerns (a child referred in the year before)",
                "Repeat (%)",
                "Cumulative harm flags raised",
                "Flags addressed in screening",
                "Flags still open",
            ],
            rows=rows,
            chart=charts.column_chart(
                chart_id="chart-repeat",
                title="Repeat concerns each month",
                items=[
                    (short_month(m), concerns.get(m, {}).get("repeat", 0))
                    for m in self.filters.months()
                ],
            ),
        )

    # --- quality ----------------------------------------------------------------------------

    def _reviews(self, kind: str | None = None) -> QuerySet[Review]:
        reviews = Review.objects.filter(
            self._where("referral__", "entered_at"), state=Review.State.SUBMITTED
        )
        return reviews.filter(kind=kind) if kind else reviews

    def _quality(self, kind: str, key: str, chart_title: str) -> Table:
        scores = ReviewScore.objects.filter(review__in=self._reviews(kind))
        rows = list(
            scores.annotate(month=month_of("review__entered_at"))
            .values("month", "criterion__code")
            .annotate(
                label=Max("criterion__label"),
                position=Min("criterion__position"),
                scored=Count("pk"),
                average=Avg("score"),
                good=Count("pk", filter=Q(score__gte=4)),
            )
            .order_by("month", "position", "criterion__code")
        )
        overall = list(
            self._reviews(kind)
            .annotate(month=month_of("entered_at"))
            .values("month")
            .annotate(
                scored=Count("pk"),
                average=Avg("overall"),
                good=Count("pk", filter=Q(overall__gte=4)),
            )
            .order_by("month")
        )
        table_rows = [
            [
                month_label(r["month"]),
                r["label"],
                r["scored"],
                one_decimal(r["average"]),
                percent(r["good"], r["scored"]),
            ]
            for r in rows
        ]
        table_rows += [
            [
                month_label(r["month"]),
                "Overall judgement",
                r["scored"],
                one_decimal(r["average"]),
                percent(r["good"], r["scored"]),
            ]
            for r in overall
        ]
        months = sorted({r["month"] for r in rows} | {r["month"] for r in overall})
        series = criterion_series(rows, overall, months)
        return Table(
            key=key,
            title=self.TABLES[key],
            columns=["Month", "Criterion", "Scored", "Average (1 to 6)", "Good or better (%)"],
            rows=table_rows,
            numeric_from=2,
            note="Six-point scale: 6 excellent, 5 very good, 4 good, 3 adequate, 2 weak, "
            "1 unsatisfactory. Criteria keep their code across rubric versions.",
            chart=charts.line_chart(
                chart_id=f"chart-{key}",
                title=chart_title,
                categories=[short_month(m) for m in months],
                series=series,
            )
            if months
            else None,
        )

    def table_quality(self) -> Table:
        return self._quality(
            Review.Kind.REFERRAL,
            "quality",
            "Average referral quality score by criterion, month by month",
        )

    def table_decision_quality(self) -> Table:
        return self._quality(
            Review.Kind.DECISION,
            "decision_quality",
            "Average decision review score by criterion, month by month",
        )

    def table_factors(self) -> Table:
        reviews = self._reviews()
        reviewed = dict(reviews.values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
        rows = list(
            reviews.filter(factors__isnull=False)
            .values("kind", "factors__kind", "factors__label")
            .annotate(reviews=Count("pk"))
            .order_by("factors__kind", "-reviews", "kind", "factors__label")
        )
        free_text = list(
            reviews.values("kind")
            .annotate(
                barrier=Count("pk", filter=~Q(barriers_other="")),
                support=Count("pk", filter=~Q(supported_other="")),
            )
            .order_by("kind")
        )
        kinds, factor_kinds = dict(Review.Kind.choices), dict(Factor.Kind.choices)
        table_rows = [
            [
                kinds[r["kind"]],
                factor_kinds[r["factors__kind"]],
                r["factors__label"],
                r["reviews"],
                percent(r["reviews"], reviewed.get(r["kind"], 0)),
            ]
            for r in rows
        ]
        for r in free_text:
            for factor_kind in (Factor.Kind.BARRIER, Factor.Kind.SUPPORT):
                if r[factor_kind]:
                    table_rows.append(
                        [
                            kinds[r["kind"]],
                            factor_kinds[factor_kind],
                            "Other (in the reviewer's words)",
                            r[factor_kind],
                            percent(r[factor_kind], reviewed.get(r["kind"], 0)),
                        ]
                    )
        barriers = (
            reviews.filter(factors__kind=Factor.Kind.BARRIER)
            .values("factors__label")
            .annotate(reviews=Count("pk"))
            .order_by("-reviews", "factors__label")[:10]
        )
        return Table(
            key="factors",
            title=self.TABLES["factors"],
            columns=["Review", "Kind", "Factor", "Reviews citing it", "Share of reviews (%)"],
            rows=table_rows,
            numeric_from=3,
            chart=charts.bar_chart(
                chart_id="chart-factors",
                title="The ten most frequent barriers to quality",
                items=[(r["factors__label"], r["reviews"]) for r in barriers],
            ),
        )

    # --- overdue now ------------------------------------------------------------------------

    def table_overdue(self) -> Table:
        rows = list(
            Deadline.objects.filter(self._deadline_scope(), state__in=LIVE, due_at__lte=self.now)
            .values("timescale__label", "team__name", "team__locality")
            .annotate(overdue=Count("pk"), oldest=Min("due_at"))
            .order_by("-overdue", "timescale__label", "team__name")
        )
        by_step = (
            Deadline.objects.filter(self._deadline_scope(), state__in=LIVE, due_at__lte=self.now)
            .values("timescale__label")
            .annotate(overdue=Count("pk"))
            .order_by("-overdue", "timescale__label")
        )
        return Table(
            key="overdue",
            title=self.TABLES["overdue"],
            columns=["Step", "Team", "Locality", "Overdue now", "Longest overdue since"],
            rows=[
                [
                    r["timescale__label"],
                    r["team__name"] or "No team",
                    r["team__locality"] or "Not set",
                    r["overdue"],
                    timezone.localtime(r["oldest"]).strftime("%d %B %Y"),
                ]
                for r in rows
            ],
            numeric_from=3,
            note="As it stands now, whatever the period chosen; the locality and agency "
            "filters apply.",
            chart=charts.bar_chart(
                chart_id="chart-overdue",
                title="Overdue work now, by step",
                items=[(r["timescale__label"], r["overdue"]) for r in by_step],
            ),
        )

    # --- neglect and cumulative harm --------------------------------------------------------

    def _neglect(self) -> QuerySet[ReferralFacts]:
        """Concerns about neglect, or that raised a cumulative harm flag, from the summary
        alone (hub/summary.py works out each fact); only "late" and "pending", which move with
        the clock, are worked out here at the page's `now`."""
        late = Q(screening_met_late=True) | Q(screening_live_from__lte=self.now)
        pending = Q(screening_live_until__gt=self.now)
        return ReferralFacts.objects.filter(
            self._where("referral__"), Q(neglect=True) | Q(flagged=True)
        ).annotate(
            screening_late=Case(When(late, then=True), default=False, output_field=BooleanField()),
            screening_pending=Case(
                When(pending, then=True), default=False, output_field=BooleanField()
            ),
        )

    MEASURES = dict(
        n_concerns=Count("pk"),
        n_neglect=Count("pk", filter=Q(neglect=True)),
        n_flagged=Count("pk", filter=Q(flagged=True)),
        n_flags_addressed=Count("pk", filter=Q(flagged=True, flag_open=False)),
        n_judged=Count("pk", filter=Q(screened=True, screening_pending=False)),
        n_on_time=Count(
            "pk", filter=Q(screened=True, screening_pending=False, screening_late=False)
        ),
        n_decided=Count("pk", filter=~Q(outcome="")),
        n_repeat=Count("pk", filter=Q(repeat=True)),
        n_reviewed=Count("pk", filter=Q(quality__isnull=False)),
        avg_quality=Avg("quality"),
        n_good=Count("pk", filter=Q(quality__gte=4)),
        n_decisions_reviewed=Count("pk", filter=Q(decision_quality__isnull=False)),
        n_decisions_good=Count("pk", filter=Q(decision_quality__gte=4)),
    )

    def table_neglect(self) -> Table:
        concerns = self._neglect()
        m = concerns.aggregate(**self.MEASURES)
        outcomes = list(
            concerns.exclude(outcome="")
            .values("outcome")
            .annotate(n=Count("pk"))
            .order_by("-n", "outcome")
        )
        total = m["n_concerns"]
        rows = [
            ["Concerns about neglect or that raised a cumulative harm flag", total, None, None],
            ["Concerns about neglect", m["n_neglect"], total, percent(m["n_neglect"], total)],
            [
                "Concerns that raised a cumulative harm flag",
                m["n_flagged"],
                total,
                percent(m["n_flagged"], total),
            ],
            [
                "Screened on time (of those due or done)",
                m["n_on_time"],
                m["n_judged"],
                percent(m["n_on_time"], m["n_judged"]),
            ],
            [
                "Flagged concerns whose flags an approved screening decision addressed",
                m["n_flags_addressed"],
                m["n_flagged"],
                percent(m["n_flags_addressed"], m["n_flagged"]),
            ],
            ["Screening decision approved", m["n_decided"], total, percent(m["n_decided"], total)],
        ]
        rows += [
            [
                f"Outcome: {OUTCOME_LABELS.get(r['outcome'], r['outcome'])}",
                r["n"],
                m["n_decided"],
                percent(r["n"], m["n_decided"]),
            ]
            for r in outcomes
        ]
        rows += [
            [
                "Repeat concerns (a child referred in the year before)",
                m["n_repeat"],
                total,
                percent(m["n_repeat"], total),
            ],
            [
                "Referral quality good or better (practice hub)",
                m["n_good"],
                m["n_reviewed"],
                percent(m["n_good"], m["n_reviewed"]),
            ],
            ["Average referral quality score (1 to 6)", one_decimal(m["avg_quality"]), None, None],
            [
                "Decision making good or better (practice hub)",
                m["n_decisions_good"],
                m["n_decisions_reviewed"],
                percent(m["n_decisions_good"], m["n_decisions_reviewed"]),
            ],
        ]
        shares = [
            (label, value)
            for label, _, _, value in rows
            if value is not None and not label.startswith("Outcome")
        ]
        return Table(
            key="neglect",
            title=self.TABLES["neglect"],
            columns=["Measure", "Number", "Out of", "Percentage"],
            rows=rows,
            note="The inspectors' question: how well do we respond to concerns that children "
            "are experiencing neglect or cumulative harm? Concerns received in the "
            "period in a category marked as neglect, or that raised a cumulative harm "
            "flag. Screening on time: every screening deadline of the referral met by "
            "its due time.",
            chart=charts.bar_chart(
                chart_id="chart-neglect",
                title="Neglect and cumulative harm: key shares",
                items=shares,
                unit="%",
                maximum=100,
            ),
        )

    def table_neglect_months(self) -> Table:
        rows = {
            r["month"]: r
            for r in self._neglect()
            .annotate(month=month_of("received_at"))
            .values("month")
            .annotate(**self.MEASURES)
        }
        table_rows = []
        for month in self.filters.months():
            r = rows.get(month)
            if r is None:
                table_rows.append([month_label(month), 0, 0, None, None, None, None])
                continue
            table_rows.append(
                [
                    month_label(month),
                    r["n_concerns"],
                    r["n_flagged"],
                    percent(r["n_on_time"], r["n_judged"]),
                    percent(r["n_flags_addressed"], r["n_flagged"]),
                    percent(r["n_repeat"], r["n_concerns"]),
                    one_decimal(r["avg_quality"]),
                ]
            )
        return Table(
            key="neglect_months",
            title=self.TABLES["neglect_months"],
            columns=[
                "Month",
                "Concerns",
                "Raised a cumulative harm flag",
                "Screened on time (%)",
                "Flags addressed (%)",
                "Repeat (%)",
                "Average referral quality (1 to 6)",
            ],
            rows=table_rows,
        )
