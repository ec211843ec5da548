"""Reads for the hub's pages, each in a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Avg,
    Count,
    DateField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from hub.models import (
    AuditAssignment,
    AuditGrade,
    AuditRecord,
    AuditRound,
    Factor,
    HubSettings,
    Review,
    ReviewClaim,
    ReviewScore,
)
from hub.sampling import audit_period_start
from referrals.models import (
    ChronologyEntry,
    Deadline,
    Referral,
    ReferralChild,
    ScreeningDecision,
    Team,
)

QUEUE_PAGE_SIZE = 25


def month_of(field: str) -> TruncMonth:
    """The calendar month (UK time) a moment falls in, as a date."""
    return TruncMonth(field, output_field=DateField())


def live_claim(now: datetime) -> QuerySet[ReviewClaim]:
    return ReviewClaim.objects.filter(
        review=OuterRef("pk"), state=ReviewClaim.State.ACTIVE, expires_at__gt=now
    )


def review_queue(*, kind: str, now: datetime) -> QuerySet[Review]:
    """Reviews awaiting a reviewer, in the order to work them: immediate risk first, then the
    longest waiting. Each row says who holds it, if anyone, and until when."""
    claims = live_claim(now)
    return (
        Review.objects.filter(kind=kind, state=Review.State.QUEUED)
        .select_related("referral__team", "referral__source_agency", "deadline", "decision")
        .prefetch_related("referral__categories")
        .annotate(
            holder_first=Subquery(claims.values("reviewer__first_name")[:1]),
            holder_last=Subquery(claims.values("reviewer__last_name")[:1]),
            holder_id=Subquery(claims.values("reviewer_id")[:1], output_field=UUIDField()),
            held_until=Subquery(claims.values("expires_at")[:1]),
        )
        .order_by("-referral__immediate_risk", "entered_at", "pk")
    )


def queue_counts() -> dict[str, int]:
    counts = dict(
        Review.objects.filter(state=Review.State.QUEUED)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in Review.Kind.values}


def claims_held_by(user) -> list[ReviewClaim]:
    """The reviewer's claims, expired ones too: they may still submit while nobody else has
    taken the review."""
    return list(
        ReviewClaim.objects.filter(reviewer=user, state=ReviewClaim.State.ACTIVE)
        .select_related("review__referral", "review__deadline")
        .order_by("claimed_at")
    )


def active_claim(review: Review) -> ReviewClaim | None:
    return (
        ReviewClaim.objects.filter(review=review, state=ReviewClaim.State.ACTIVE)
        .select_related("reviewer")
        .first()
    )


def review_page(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return reviews.select_related(
        "referral__team",
        "referral__source_agency",
        "referral__received_by",
        "deadline",
        "decision__proposed_by",
        "decision__reviewed_by",
        "rubric",
        "submitted_by",
        "feedback",
    ).prefetch_related(
        "referral__categories",
        Prefetch("referral__child_links", queryset=ReferralChild.objects.select_related("person")),
        Prefetch("scores", queryset=ReviewScore.objects.select_related("criterion")),
        Prefetch("factors", queryset=Factor.objects.order_by("kind", "position")),
    )


@dataclass
class DecisionContext:
    """What a decision reviewer weighs: every screening decision on the referral, its steps'
    deadlines and the IRD entries ird/ writes into the children's chronologies."""

    decisions: list[ScreeningDecision]
    deadlines: list[Deadline]
    ird_entries: list[ChronologyEntry]


def decision_context(referral: Referral) -> DecisionContext:
    return DecisionContext(
        decisions=list(
            ScreeningDecision.objects.filter(referral=referral)
            .select_related("proposed_by", "reviewed_by")
            .order_by("proposed_at")
        ),
        deadlines=list(
            Deadline.objects.filter(referral=referral)
            .select_related("timescale")
            .order_by("starts_at")
        ),
        ird_entries=list(
            ChronologyEntry.objects.filter(referral=referral, kind=ChronologyEntry.Kind.IRD)
            .order_by("occurred_at")
            .distinct()
        ),
    )


# --- Team feedback ------------------------------------------------------------------------------


@dataclass
class TeamFeedback:
    recent: list[Review]
    trend: list[dict]
    overall_trend: list[dict]
    barriers: list[dict]
    reviewed: int
    acknowledged: int


def team_feedback(*, team_ids: list[int] | None, since: datetime) -> TeamFeedback:
    """The quality feedback on a team's referrals (every team's when `team_ids` is None)."""
    reviews = Review.objects.filter(kind=Review.Kind.REFERRAL, state=Review.State.SUBMITTED)
    if team_ids is not None:
        reviews = reviews.filter(referral__team_id__in=team_ids)
    recent_reviews = reviews.filter(submitted_at__gte=since)
    trend = list(
        ReviewScore.objects.filter(review__in=recent_reviews)
        .annotate(month=month_of("review__submitted_at"))
        .values("month", "criterion__code")
        .annotate(
            label=Max("criterion__label"),
            position=Min("criterion__position"),
            average=Avg("score"),
            reviews=Count("pk"),
        )
        .order_by("month", "position", "criterion__code")
    )
    overall_trend = list(
        recent_reviews.annotate(month=month_of("submitted_at"))
        .values("month")
        .annotate(
            average=Avg("overall"), reviews=Count("pk"), good=Count("pk", filter=Q(overall__gte=4))
        )
        .order_by("month")
    )
    barriers = list(
        recent_reviews.filter(factors__kind=Factor.Kind.BARRIER)
        .values("factors__label")
        .annotate(reviews=Count("pk"))
        .order_by("-reviews", "factors__label")[:10]
    )
    totals = recent_reviews.aggregate(
        reviewed=Count("pk"),
        acknowledged=Count("pk", filter=Q(feedback__acknowledged_at__isnull=False)),
    )
    return TeamFeedback(
        recent=list(
            reviews.select_related("referral__received_by", "referral__team", "feedback").order_by(
                "-submitted_at"
            )[:50]
        ),
        trend=trend,
        overall_trend=overall_trend,
        barriers=barriers,
        reviewed=totals["reviewed"],
        acknowledged=totals["acknowledged"],
    )


# --- Practice audits ----------------------------------------------------------------------------


def rounds_with_progress(rounds: QuerySet[AuditRound]) -> QuerySet[AuditRound]:
    return (
        rounds.annotate(
            record_count=Count("records", distinct=True),
            assignment_count=Count("records__assignments", distinct=True),
            graded_count=Count(
                "records__assignments",
                distinct=True,
                filter=Q(records__assignments__state=AuditAssignment.State.SUBMITTED),
            ),
        )
        .select_related("rubric")
        .order_by("-period_start")
    )


def assignments_of(user) -> list[AuditAssignment]:
    return list(
        AuditAssignment.objects.filter(auditor=user)
        .select_related("record__round", "record__referral", "record__person", "deadline")
        .order_by("-record__round__period_start", "record__position")[:200]
    )


@dataclass
class Collation:
    records: list[AuditRecord]
    indicators: list[dict]  # per indicator over the round: average, grades, good or better
    by_record: dict  # record id -> {criterion id -> average}
    assignments: int
    graded: int


def round_collation(audit_round: AuditRound) -> Collation:
    """Everything the round's auditors recorded, on one page."""
    records = list(
        audit_round.records.select_related(
            "person", "referral__team", "source_agency"
        ).prefetch_related(
            Prefetch(
                "assignments",
                queryset=AuditAssignment.objects.select_related("auditor__agency").prefetch_related(
                    Prefetch("grades", queryset=AuditGrade.objects.select_related("criterion"))
                ),
            )
        )
    )
    grades = AuditGrade.objects.filter(assignment__record__round=audit_round)
    indicators = list(
        grades.values("criterion_id", "criterion__label", "criterion__position")
        .annotate(
            average=Avg("score"), grades=Count("pk"), good=Count("pk", filter=Q(score__gte=4))
        )
        .order_by("criterion__position", "criterion_id")
    )
    by_record: dict = {}
    for row in grades.values("assignment__record_id", "criterion_id").annotate(
        average=Avg("score")
    ):
        by_record.setdefault(row["assignment__record_id"], {})[row["criterion_id"]] = row["average"]
    totals = AuditAssignment.objects.filter(record__round=audit_round).aggregate(
        assignments=Count("pk"), graded=Count("pk", filter=Q(state=AuditAssignment.State.SUBMITTED))
    )
    return Collation(
        records=records,
        indicators=indicators,
        by_record=by_record,
        assignments=totals["assignments"],
        graded=totals["graded"],
    )


def current_round_open() -> bool:
    """Whether this audit period's round has opened (beat opens it; so can the committee)."""
    settings = HubSettings.current()
    return AuditRound.objects.filter(
        period_start=audit_period_start(timezone.localdate(), settings.audit_every_months)
    ).exists()


def assignment_page(assignments: QuerySet[AuditAssignment]) -> QuerySet[AuditAssignment]:
    return assignments.select_related(
        "record__round__rubric",
        "record__person",
        "record__referral__team",
        "record__referral__source_agency",
        "record__referral__received_by",
        "deadline",
    ).prefetch_related("grades", "record__referral__categories")


def chronology_of(person_id) -> list[ChronologyEntry]:
    return list(
        ChronologyEntry.objects.filter(person_id=person_id)
        .select_related("referral")
        .order_by("occurred_at", "recorded_at")[:500]
    )


def social_work_teams() -> QuerySet[Team]:
    """The teams a service manager may choose between on the team feedback page."""
    return Team.objects.filter(agency__kind="social_work")
