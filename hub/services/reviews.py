"""The review queue, scoring and feedback: referrals and a sample of approved decisions enter the
queue once; one reviewer at a time holds a claim (it expires); a review is submitted with a
score for every criterion of its rubric, and the feedback reaches the referrer and the decision
makers after commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from hub import access
from hub.models import (
    Criterion,
    Factor,
    HubSettings,
    Review,
    ReviewClaim,
    ReviewScore,
)
from hub.services.common import (
    FREE_TEXT_MAX,
    REVIEW_TIMESCALES,
    ClaimConflict,
    ReviewRefused,
    _deadline_open,
    rubric_in_use,
)
from referrals import audit, chronology, deadlines, notifications
from referrals.errors import NotPermitted
from referrals.grades import Grade
from referrals.models import (
    ChronologyEntry,
    Deadline,
    Notification,
    Referral,
    ScreeningDecision,
    Staff,
)
from referrals.services.feedback import feedback_give

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
    # Its id is known before it is saved: the deadline first, then the review in one INSERT.
    review = Review(kind=kind, referral=referral, decision=decision, entered_at=entered_at)
    review.deadline = _deadline_open(
        REVIEW_TIMESCALES[kind],
        subject_type=REVIEW_SUBJECT,
        subject_id=str(review.pk),
        subject_label=review_subject(review),
        url=reverse("hub:review", args=[review.pk]),
        starts_at=entered_at,
        team=settings.hub_team,
    )
    review.save(force_insert=True)
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
