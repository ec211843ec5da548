"""Every write the practice hub makes: reviews entering the queue, claims, scoring and feedback,
rubric versions, and the practice audit from its sample to its learning summary.

Guard, change, audit, then queue: each function takes the rows it changes under a lock, checks
their state so that a double submit or a retried task does no harm, writes its audit row in the
same transaction and leaves e-mail to tasks queued after commit (through referrals'
notifications). Deadlines run on the core's timescales engine (referrals.deadlines)."""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from hub import access, sampling
from hub.models import (
    AuditAssignment,
    AuditGrade,
    AuditPanelMember,
    AuditRecord,
    AuditRound,
    Criterion,
    Factor,
    HubSettings,
    Review,
    ReviewClaim,
    ReviewScore,
    Rubric,
)
from hub.reference_data import ensure_hub_timescales, ensure_rubrics
from referrals import audit, chronology, deadlines, notifications
from referrals.errors import DomainError, NotPermitted
from referrals.grades import Grade
from referrals.models import (
    ChronologyEntry,
    Deadline,
    Notification,
    Referral,
    ReferralChild,
    Role,
    ScreeningDecision,
    Staff,
    Team,
    Timescale,
)
from referrals.services.feedback import MAX_ITEM_LENGTH, feedback_give

REVIEW_TIMESCALES = {
    Review.Kind.REFERRAL: "hub_review",
    Review.Kind.DECISION: "hub_decision_review",
}
FREE_TEXT_MAX = MAX_ITEM_LENGTH  # free-text factors travel to partner systems as list items


class ReviewRefused(DomainError):
    pass


class ClaimConflict(DomainError):
    """Someone else holds the review, or the person acting does not."""

    status_code = 409


class AuditRefused(DomainError):
    pass


# --- Reference data ---------------------------------------------------------------------------


def reference_data_ensure() -> None:
    """The hub's timescales and first rubrics, where missing (a test's clean-up empties every
    table; the data migration seeds them otherwise)."""
    ensure_hub_timescales(Timescale)
    ensure_rubrics(Rubric, Criterion, Factor, published_at=timezone.now())


def _deadline_open(kind: str, **kwargs) -> Deadline:
    # The hub's steps always have a timescale: put back a default that has gone missing.
    return deadlines.deadline_open(
        kind=kind, restore=lambda: ensure_hub_timescales(Timescale), **kwargs
    )


def rubric_in_use(kind: str) -> Rubric:
    rubric = Rubric.objects.filter(kind=kind, state=Rubric.State.PUBLISHED).first()
    if rubric is None and not Rubric.objects.filter(kind=kind).exists():
        ensure_rubrics(Rubric, Criterion, Factor, published_at=timezone.now())
        rubric = Rubric.objects.filter(kind=kind, state=Rubric.State.PUBLISHED).first()
    if rubric is None:
        raise ReviewRefused(
            f"No {Rubric.Kind(kind).label.lower()} rubric is in use: an administrator must "
            "publish one."
        )
    return rubric


# --- Rubric versions (admin actions) ----------------------------------------------------------


@transaction.atomic
def rubric_new_version(*, rubric: Rubric, by) -> Rubric:
    """A draft copy of `rubric` with the next version number, to change and then publish."""
    latest = Rubric.objects.filter(kind=rubric.kind).aggregate(latest=Max("version"))["latest"]
    draft = Rubric.objects.create(
        kind=rubric.kind,
        version=(latest or 0) + 1,
        name=rubric.name,
        description=rubric.description,
    )
    Criterion.objects.bulk_create(
        Criterion(
            rubric=draft, code=c.code, label=c.label, guidance=c.guidance, position=c.position
        )
        for c in rubric.criteria.all()
    )
    Factor.objects.bulk_create(
        Factor(rubric=draft, kind=f.kind, label=f.label, position=f.position)
        for f in rubric.factors.all()
    )
    audit.record(
        actor=by, action=audit.Action.CREATE, subject=draft, detail={"copied_from": rubric.pk}
    )
    return draft


@transaction.atomic
def rubric_publish(*, rubric: Rubric, by) -> Rubric:
    """Put a draft in use; the version it replaces is retired. Reviews already scored keep
    theirs, and so do reviews already claimed."""
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.state != Rubric.State.DRAFT:
        raise ReviewRefused("Only a draft rubric can be published.")
    if not rubric.criteria.exists():
        raise ReviewRefused("A rubric needs at least one criterion.")
    Rubric.objects.filter(kind=rubric.kind, state=Rubric.State.PUBLISHED).update(
        state=Rubric.State.RETIRED
    )
    rubric.state = Rubric.State.PUBLISHED
    rubric.published_at = timezone.now()
    rubric.save(update_fields=["state", "published_at"])
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=rubric, detail={"state": rubric.state}
    )
    return rubric


# --- The review queue -------------------------------------------------------------------------


# Deadline subjects, (type, id) as every app sets them; the label is only for people.
REVIEW_SUBJECT = "hub_review"
AUDIT_ASSIGNMENT_SUBJECT = "hub_audit_assignment"
AUDIT_ROUND_SUBJECT = "hub_audit_round"


def review_subject(review: Review) -> str:
    """What the review's deadline alerts name: "... for referral CW-2026-000123"."""
    prefix = "referral" if review.kind == Review.Kind.REFERRAL else "decision on"
    return f"{prefix} {review.referral.reference}"


def _in_decision_sample(decision: ScreeningDecision, percent: int) -> bool:
    """A stable share of decisions: the same decision is always in or always out."""
    return decision.pk.int % 100 < percent


@transaction.atomic(savepoint=False)  # a step of its caller's change: no savepoint of its own
def review_enqueue(
    *,
    referral: Referral,
    decision: ScreeningDecision | None = None,
    entered_at: datetime | None = None,
) -> Review | None:
    """Put a referral (or its approved screening decision) in the review queue, with its review
    deadline. Called from the hub's event hooks (hub/hooks.py); a second call changes nothing."""
    kind = Review.Kind.DECISION if decision is not None else Review.Kind.REFERRAL
    existing = Review.objects.filter(referral=referral, kind=kind, decision=decision).first()
    if existing is not None:
        return existing
    settings = HubSettings.current()
    if decision is not None and not _in_decision_sample(decision, settings.decision_review_percent):
        return None
    entered_at = entered_at or timezone.now()
    review = Review.objects.create(
        kind=kind, referral=referral, decision=decision, entered_at=entered_at
    )
    review.deadline = _deadline_open(
        REVIEW_TIMESCALES[kind],
        subject_type=REVIEW_SUBJECT,
        subject_id=str(review.pk),
        subject_label=review_subject(review),
        url=reverse("hub:review", args=[review.pk]),
        starts_at=entered_at,
        team=settings.hub_team,
    )
    review.save(update_fields=["deadline"])
    return review


def _active_claim(review: Review) -> ReviewClaim | None:
    return (
        ReviewClaim.objects.select_for_update()
        .filter(review=review, state=ReviewClaim.State.ACTIVE)
        .first()
    )


def _lock_review(review: Review) -> Review:
    return Review.objects.select_for_update().get(pk=review.pk)


@transaction.atomic
def review_claim(*, review: Review, reviewer, now: datetime | None = None) -> ReviewClaim:
    """Take the review for `reviewer` for the configured time. The review row is locked, so
    claims on one review happen one after another; the partial unique index on active claims
    is the last word should anything get past the lock."""
    if not access.is_reviewer(reviewer):
        raise NotPermitted("Only practice hub reviewers can claim a review.")
    now = now or timezone.now()
    review = _lock_review(review)
    if review.state != Review.State.QUEUED:
        raise ReviewRefused("This review has already been submitted.")
    current = _active_claim(review)
    if current is not None:
        if current.expires_at > now:
            if current.reviewer_id == reviewer.pk:
                return current  # a double click: it is already theirs
            holder = Staff.objects.get(pk=current.reviewer_id)
            until = timezone.localtime(current.expires_at)
            raise ClaimConflict(
                f"{holder.get_full_name() or holder.username} is reviewing this until "
                f"{until:%H:%M} on {until:%d %B}."
            )
        current.state = ReviewClaim.State.EXPIRED
        current.ended_at = current.expires_at
        current.save(update_fields=["state", "ended_at"])
    if review.rubric_id is None:
        review.rubric = rubric_in_use(review.kind)
        review.save(update_fields=["rubric"])
    minutes = HubSettings.current().claim_minutes
    try:
        with transaction.atomic():
            claim = ReviewClaim.objects.create(
                review=review,
                reviewer=reviewer,
                claimed_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
    except IntegrityError:
        raise ClaimConflict("Another reviewer has just claimed this review.") from None
    if review.deadline_id is not None:
        deadlines.deadline_reassign(deadline=review.deadline, owner=reviewer)
    audit.record(
        actor=reviewer,
        action=audit.Action.CHANGE,
        subject=review,
        detail={"referral": str(review.referral_id), "claim": "claimed"},
    )
    return claim


@transaction.atomic
def review_release(*, review: Review, reviewer, now: datetime | None = None) -> Review:
    now = now or timezone.now()
    review = _lock_review(review)
    claim = _active_claim(review)
    if claim is None or claim.reviewer_id != reviewer.pk:
        raise ClaimConflict("You do not hold this review, so there is nothing to release.")
    claim.state = ReviewClaim.State.RELEASED
    claim.ended_at = now
    claim.save(update_fields=["state", "ended_at"])
    if review.deadline_id is not None:
        deadlines.deadline_reassign(deadline=review.deadline, owner=None)
    audit.record(
        actor=reviewer,
        action=audit.Action.CHANGE,
        subject=review,
        detail={"referral": str(review.referral_id), "claim": "released"},
    )
    return review


def claims_expire(*, now: datetime | None = None) -> int:
    """Mark claims past their time as expired and hand their deadlines back to the hub team.
    Claims already work without this (an expired claim is free to the next claimant): it
    keeps the queue and the deadlines' owners tidy. Safe to run twice or concurrently."""
    now = now or timezone.now()
    with transaction.atomic():
        due = ReviewClaim.objects.filter(state=ReviewClaim.State.ACTIVE, expires_at__lte=now)
        review_ids = list(due.values_list("review_id", flat=True)[:1000])
        count = ReviewClaim.objects.filter(
            state=ReviewClaim.State.ACTIVE, expires_at__lte=now, review_id__in=review_ids
        ).update(state=ReviewClaim.State.EXPIRED, ended_at=F("expires_at"))
        held = ReviewClaim.objects.filter(review=OuterRef("pk"), state=ReviewClaim.State.ACTIVE)
        deadline_ids = (
            Review.objects.filter(pk__in=review_ids)
            .annotate(held=Exists(held))
            .filter(held=False)
            .values("deadline_id")
        )
        Deadline.objects.filter(pk__in=deadline_ids, state__in=deadlines.LIVE_STATES).update(
            owner=None, updated_at=now
        )
    return count


# --- Scoring and feedback ---------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    score: int
    comment: str = ""


def _check_scores(criteria: list[Criterion], scores: dict[int, Score]) -> None:
    known = {criterion.pk for criterion in criteria}
    missing = [criterion.label for criterion in criteria if criterion.pk not in scores]
    if missing:
        raise ReviewRefused(f"Score every criterion: {', '.join(missing)}.")
    if set(scores) - known:
        raise ReviewRefused("A score was given for a criterion that is not in this rubric.")
    for criterion in criteria:
        value = scores[criterion.pk].score
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
            raise ReviewRefused(f"The score for {criterion.label} must be from 1 to 6.")


def _feedback_comments(review: Review, criteria: list[Criterion], scores: dict[int, Score]) -> str:
    lines = [f"Overall judgement: {Grade(review.overall).label}."]
    if review.overall_comment:
        lines.append(review.overall_comment)
    for criterion in criteria:
        score = scores[criterion.pk]
        if score.comment:
            lines.append(f"{criterion.label} ({Grade(score.score).label}): {score.comment}")
    return "\n\n".join(lines)


def _give_feedback(
    review: Review,
    reviewer,
    criteria: list[Criterion],
    scores: dict[int, Score],
    factors: list[Factor],
):
    """The referrer's feedback, through the core: in the application and by e-mail to the
    member of staff who received the referral and their team managers, and to the partner
    system that sent it (API and webhook)."""
    items = [{"criterion": c.code, "label": c.label, "score": scores[c.pk].score} for c in criteria]
    items.append({"criterion": "overall", "label": "Overall judgement", "score": review.overall})
    supported = [f.label for f in factors if f.kind == Factor.Kind.SUPPORT]
    barriers = [f.label for f in factors if f.kind == Factor.Kind.BARRIER]
    return feedback_give(
        referral=review.referral,
        given_by=reviewer,
        scores=items,
        supported_by=supported + ([review.supported_other] if review.supported_other else []),
        barriers=barriers + ([review.barriers_other] if review.barriers_other else []),
        comments=_feedback_comments(review, criteria, scores),
    )


def _tell_decision_makers(review: Review) -> None:
    decision = review.decision
    people = [
        person
        for person in (decision.proposed_by, decision.reviewed_by)
        if person is not None and person.is_active
    ]
    notifications.notify(
        people,
        kind=Notification.Kind.GENERAL,
        title=f"Practice hub decision review: {review.referral.reference}",
        body=f"Overall judgement: {Grade(review.overall).label}.",
        referral=review.referral,
        url=reverse("hub:review", args=[review.pk]),
        email=True,
    )


@transaction.atomic
def review_submit(
    *,
    review: Review,
    reviewer,
    scores: dict[int, Score],
    overall: int,
    overall_comment: str = "",
    factor_ids=(),
    supported_other: str = "",
    barriers_other: str = "",
    now: datetime | None = None,
) -> Review:
    """Record the scores and send the feedback at once. Only the holder of the review's claim
    may submit (a claim past its time still counts while nobody else has taken it)."""
    if not access.is_reviewer(reviewer):
        raise NotPermitted("Only practice hub reviewers can submit a review.")
    now = now or timezone.now()
    review = _lock_review(review)
    if review.state == Review.State.SUBMITTED:
        if review.submitted_by_id == reviewer.pk:
            return review  # a double submit: already done
        raise ReviewRefused("Another reviewer has already submitted this review.")
    claim = _active_claim(review)
    if claim is None or claim.reviewer_id != reviewer.pk:
        raise ClaimConflict(
            "Claim this review before submitting it: someone else holds it, or "
            "your claim was released."
        )
    criteria = list(review.rubric.criteria.all())
    _check_scores(criteria, scores)
    if isinstance(overall, bool) or not isinstance(overall, int) or not 1 <= overall <= 6:
        raise ReviewRefused("Give an overall judgement from 1 to 6.")
    factor_ids = set(factor_ids)
    factors = list(Factor.objects.filter(rubric=review.rubric, pk__in=factor_ids))
    if len(factors) != len(factor_ids):
        raise ReviewRefused("Choose factors from this rubric's lists.")
    for text in (supported_other, barriers_other):
        if len(text) > FREE_TEXT_MAX:
            raise ReviewRefused(f"Other factors are at most {FREE_TEXT_MAX} characters.")

    ReviewScore.objects.bulk_create(
        ReviewScore(
            review=review,
            criterion=c,
            score=scores[c.pk].score,
            comment=scores[c.pk].comment.strip(),
        )
        for c in criteria
    )
    review.factors.set(factors)
    review.overall = overall
    review.overall_comment = overall_comment.strip()
    review.supported_other = supported_other.strip()
    review.barriers_other = barriers_other.strip()
    review.state = Review.State.SUBMITTED
    review.submitted_by = reviewer
    review.submitted_at = now
    claim.state = ReviewClaim.State.SUBMITTED
    claim.ended_at = now
    claim.save(update_fields=["state", "ended_at"])
    if review.deadline_id is not None:
        deadlines.deadline_meet(
            kind=REVIEW_TIMESCALES[review.kind],
            subject_type=REVIEW_SUBJECT,
            subject_id=str(review.pk),
        )
        review.deadline.refresh_from_db()
    if review.kind == Review.Kind.REFERRAL:
        review.feedback = _give_feedback(review, reviewer, criteria, scores, factors)
    else:
        _tell_decision_makers(review)
    review.save()
    # The children's chronologies show that the practice hub reviewed the work, and its grade.
    chronology.chronology_add(
        people=[link.person for link in review.referral.child_links.select_related("person")],
        kind=ChronologyEntry.Kind.REVIEW,
        summary=f"Practice hub {review.get_kind_display().lower()} review: {Grade(overall).label}.",
        occurred_at=now,
        referral=review.referral,
        recorded_by=reviewer,
    )
    audit.record(
        actor=reviewer,
        action=audit.Action.CHANGE,
        subject=review,
        detail={
            "referral": str(review.referral_id),
            "kind": review.kind,
            "rubric": review.rubric_id,
            "overall": overall,
            "state": "submitted",
        },
    )
    return review


# --- Practice audits --------------------------------------------------------------------------


def audit_population(records_from: datetime, records_to: datetime) -> list[tuple]:
    """Children referred in [records_from, records_to): ((person, referral), source agency),
    the referral being the child's latest in the window."""
    rows = (
        ReferralChild.objects.filter(
            referral__received_at__gte=records_from,
            referral__received_at__lt=records_to,
            person__merged_into__isnull=True,
        )
        .order_by("person_id", "-referral__received_at", "referral_id")
        .values_list("person_id", "referral_id", "referral__source_agency_id")
    )
    latest: dict = {}
    for person_id, referral_id, agency_id in rows:
        latest.setdefault(person_id, (referral_id, agency_id))
    return [
        ((person_id, referral_id), agency_id)
        for person_id, (referral_id, agency_id) in latest.items()
    ]


def audit_sample_draw(
    *, seed: int, size: int, records_from: datetime, records_to: datetime
) -> list[tuple]:
    """The sample a seed gives: [(person_id, referral_id, agency_id)] in drawing order."""
    population = audit_population(records_from, records_to)
    agency_of = dict(population)
    picked = sampling.stratified_sample(population, size, seed)
    return [
        (person_id, referral_id, agency_of[(person_id, referral_id)])
        for person_id, referral_id in picked
    ]


def audit_sample_reproduces(audit_round: AuditRound) -> bool:
    """Drawing again with the round's seed gives the records it holds."""
    again = audit_sample_draw(
        seed=audit_round.seed,
        size=audit_round.sample_size,
        records_from=audit_round.records_from,
        records_to=audit_round.records_to,
    )
    held = list(
        audit_round.records.order_by("position").values_list(
            "person_id", "referral_id", "source_agency_id"
        )
    )
    return again == held


def _audit_panel() -> dict:
    panel: dict = defaultdict(list)
    members = AuditPanelMember.objects.filter(active=True, staff__is_active=True)
    for staff_id, agency_id in members.values_list("staff_id", "staff__agency_id"):
        panel[agency_id].append(staff_id)
    if not panel:
        # No panel yet: the quality staff read the records themselves.
        quality = Staff.objects.filter(is_active=True, role__in=[Role.COMMITTEE, Role.HUB_REVIEWER])
        for staff_id, agency_id in quality.values_list("pk", "agency_id"):
            panel[agency_id].append(staff_id)
    return panel


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def audit_round_open(
    *, now: datetime | None = None, opened_by=None, seed: int | None = None
) -> tuple[AuditRound, bool]:
    """Open the round of the audit period that `now` falls in, unless it is open already
    (beat runs this every hour; two beats, or a committee member pressing the button at the
    same time, still make one round: period_start is unique). Returns (round, created)."""
    if opened_by is not None and not access.can_run_audits(opened_by):
        raise NotPermitted("Only the child protection committee opens practice audit rounds.")
    now = now or timezone.now()
    settings = HubSettings.current()
    period_start = sampling.audit_period_start(timezone.localdate(now), settings.audit_every_months)
    existing = AuditRound.objects.filter(period_start=period_start).first()
    if existing is not None:
        return existing, False
    rubric = rubric_in_use(Rubric.Kind.AUDIT)
    try:
        with transaction.atomic():
            audit_round = AuditRound.objects.create(
                period_start=period_start,
                opened_at=now,
                opened_by=opened_by,
                seed=seed if seed is not None else secrets.randbits(62),
                sample_size=settings.audit_sample_size,
                records_from=_local_midnight(
                    sampling.months_before(period_start, settings.audit_lookback_months)
                ),
                records_to=_local_midnight(period_start),
                rubric=rubric,
            )
    except IntegrityError:
        return AuditRound.objects.get(period_start=period_start), False

    sample = audit_sample_draw(
        seed=audit_round.seed,
        size=audit_round.sample_size,
        records_from=audit_round.records_from,
        records_to=audit_round.records_to,
    )
    records = AuditRecord.objects.bulk_create(
        AuditRecord(
            round=audit_round,
            person_id=person_id,
            referral_id=referral_id,
            source_agency_id=agency_id,
            position=position,
        )
        for position, (person_id, referral_id, agency_id) in enumerate(sample, start=1)
    )
    plan = sampling.assign_auditors(
        len(records), _audit_panel(), settings.auditors_per_record, audit_round.seed
    )
    staff = Staff.objects.in_bulk({pk for auditors in plan for pk in auditors})
    for record, auditors in zip(records, plan, strict=True):
        for auditor_id in auditors:
            auditor = staff[auditor_id]
            assignment = AuditAssignment.objects.create(record=record, auditor=auditor)
            assignment.deadline = _deadline_open(
                "audit_grading",
                subject_type=AUDIT_ASSIGNMENT_SUBJECT,
                subject_id=str(assignment.pk),
                subject_label=(
                    f"record {record.position} of the practice audit of "
                    f"{audit_round.period_start:%B %Y}"
                ),
                url=reverse("hub:audit_assignment", args=[assignment.pk]),
                starts_at=now,
                owner=auditor,
                team=auditor.team,
            )
            assignment.save(update_fields=["deadline"])
    audit_round.summary_deadline = _deadline_open(
        "audit_summary",
        subject_type=AUDIT_ROUND_SUBJECT,
        subject_id=str(audit_round.pk),
        subject_label=f"the practice audit of {audit_round.period_start:%B %Y}",
        url=reverse("hub:audit_round", args=[audit_round.pk]),
        starts_at=now,
        owner=opened_by,
        team=settings.hub_team,
    )
    audit_round.save(update_fields=["summary_deadline"])

    notifications.notify(
        staff.values(),
        kind=Notification.Kind.GENERAL,
        title=f"{audit_round}: records for you to grade",
        body="You are one of this round's auditors. Grade each record on the quality "
        "indicators and record your findings and learning points.",
        url=reverse("hub:audit_list"),
        email=True,
    )
    notifications.notify(
        Staff.objects.filter(role=Role.COMMITTEE, is_active=True),
        kind=Notification.Kind.GENERAL,
        title=f"{audit_round} has opened",
        body=f"{len(records)} children's records sampled.",
        url=reverse("hub:audit_round", args=[audit_round.pk]),
    )
    audit.record(
        actor=opened_by,
        action=audit.Action.CREATE,
        subject=audit_round,
        detail={
            "seed": audit_round.seed,
            "records": len(records),
            "assignments": sum(len(a) for a in plan),
        },
    )
    return audit_round, True


@transaction.atomic
def audit_assignment_submit(
    *,
    assignment: AuditAssignment,
    auditor,
    grades: dict[int, Score],
    findings: str,
    learning_points: str = "",
    now: datetime | None = None,
) -> AuditAssignment:
    """An auditor's grades for one record. They can be corrected until the round closes."""
    now = now or timezone.now()
    assignment = AuditAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.auditor_id != auditor.pk:
        raise NotPermitted("Only the auditor asked to grade this record can grade it.")
    audit_round = AuditRound.objects.get(records__assignments=assignment)
    if audit_round.state != AuditRound.State.OPEN:
        raise AuditRefused(f"{audit_round} is closed: its grades can no longer change.")
    if not findings.strip():
        raise AuditRefused("Record your findings.")
    criteria = list(audit_round.rubric.criteria.all())
    _check_scores(criteria, grades)
    AuditGrade.objects.filter(assignment=assignment).delete()
    AuditGrade.objects.bulk_create(
        AuditGrade(
            assignment=assignment,
            criterion=c,
            score=grades[c.pk].score,
            comment=grades[c.pk].comment.strip(),
        )
        for c in criteria
    )
    first_time = assignment.state == AuditAssignment.State.ASSIGNED
    assignment.findings = findings.strip()
    assignment.learning_points = learning_points.strip()
    assignment.state = AuditAssignment.State.SUBMITTED
    assignment.submitted_at = now
    assignment.save(update_fields=["findings", "learning_points", "state", "submitted_at"])
    if first_time:
        deadlines.deadline_meet(
            kind="audit_grading",
            subject_type=AUDIT_ASSIGNMENT_SUBJECT,
            subject_id=str(assignment.pk),
        )
    audit.record(
        actor=auditor,
        action=audit.Action.CHANGE if not first_time else audit.Action.CREATE,
        subject=assignment,
        detail={"round": str(audit_round.pk), "person": str(assignment.record.person_id)},
    )
    return assignment


@transaction.atomic
def audit_summary_send(
    *, audit_round: AuditRound, sent_by, summary: str, now: datetime | None = None
) -> AuditRound:
    """Close the round with its learning summary and send it to the teams whose referrals were
    read, and to the round's auditors."""
    if not access.can_run_audits(sent_by):
        raise NotPermitted("Only the child protection committee sends the learning summary.")
    now = now or timezone.now()
    audit_round = AuditRound.objects.select_for_update().get(pk=audit_round.pk)
    if audit_round.summary_sent_at is not None:
        raise AuditRefused(f"The learning summary of {audit_round} has already been sent.")
    if not summary.strip():
        raise AuditRefused("Write the learning summary.")
    audit_round.learning_summary = summary.strip()
    audit_round.summary_sent_at = now
    audit_round.summary_sent_by = sent_by
    audit_round.state = AuditRound.State.CLOSED
    audit_round.save(
        update_fields=["learning_summary", "summary_sent_at", "summary_sent_by", "state"]
    )
    ungraded = AuditAssignment.objects.filter(
        record__round=audit_round, state=AuditAssignment.State.ASSIGNED
    )
    for assignment_id in ungraded.values_list("pk", flat=True):
        deadlines.deadline_cancel(
            subject_type=AUDIT_ASSIGNMENT_SUBJECT,
            subject_id=str(assignment_id),
            kind="audit_grading",
        )
    deadlines.deadline_meet(
        kind="audit_summary", subject_type=AUDIT_ROUND_SUBJECT, subject_id=str(audit_round.pk)
    )
    teams = Team.objects.filter(pk__in=audit_round.records.values("referral__team"))
    recipients = list(Staff.objects.filter(is_active=True, team__in=teams)) + list(
        Staff.objects.filter(
            is_active=True, audit_assignments__record__round=audit_round
        ).distinct()
    )
    notifications.notify(
        recipients,
        kind=Notification.Kind.GENERAL,
        title=f"Learning from {audit_round}",
        body="The practice audit's learning summary for your team is ready to read.",
        url=reverse("hub:audit_learning", args=[audit_round.pk]),
        email=True,
    )
    audit.record(
        actor=sent_by,
        action=audit.Action.CHANGE,
        subject=audit_round,
        detail={"state": audit_round.state, "teams": sorted(t.pk for t in teams)},
    )
    return audit_round
