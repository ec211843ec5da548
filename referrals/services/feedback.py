"""Practice hub feedback reaching the referrer: given (by hub/, through this function) and
acknowledged (by a member of staff, or by the partner system that submitted the concern)."""

from django.db import transaction
from django.utils import timezone

from referrals import audit, notifications
from referrals.api import webhooks
from referrals.errors import DomainError
from referrals.models import Notification, Referral, ReferralFeedback, Staff
from referrals.models.feedback import SCORE_MAX, SCORE_MIN

MAX_ITEMS = 50
MAX_ITEM_LENGTH = 500


class FeedbackRefused(DomainError):
    pass


def _clean_scores(scores) -> list[dict]:
    if not isinstance(scores, list) or not scores:
        raise FeedbackRefused("Give at least one score.")
    cleaned = []
    for item in scores:
        if not isinstance(item, dict):
            raise FeedbackRefused("Each score needs a criterion, a label and a score.")
        criterion, label, score = item.get("criterion"), item.get("label"), item.get("score")
        if not isinstance(criterion, str) or not criterion.strip():
            raise FeedbackRefused("Each score needs the criterion it is for.")
        if not isinstance(label, str) or not label.strip():
            raise FeedbackRefused(f"The score for {criterion} needs a label.")
        if (
            isinstance(score, bool)
            or not isinstance(score, int)
            or not SCORE_MIN <= score <= SCORE_MAX
        ):
            raise FeedbackRefused(
                f"The score for {label} must be a whole number from {SCORE_MIN} to {SCORE_MAX}."
            )
        cleaned.append({"criterion": criterion.strip(), "label": label.strip(), "score": score})
    return cleaned


def _clean_texts(items, what: str) -> list[str]:
    if not isinstance(items, list | tuple) or len(items) > MAX_ITEMS:
        raise FeedbackRefused(f"List at most {MAX_ITEMS} {what}.")
    cleaned = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ITEM_LENGTH:
            raise FeedbackRefused(
                f"Each of the {what} is a short text (at most {MAX_ITEM_LENGTH} characters)."
            )
        cleaned.append(item.strip())
    return cleaned


@transaction.atomic
def feedback_give(
    *, referral: Referral, given_by, scores, supported_by=(), barriers=(), comments: str = ""
) -> ReferralFeedback:
    """Record the hub's feedback on a referral and tell the referrer at once: the team's managers
    and the member of staff who received it in the application, a partner system by webhook."""
    feedback = ReferralFeedback.objects.create(
        referral=referral,
        given_at=timezone.now(),
        given_by=given_by,
        scores=_clean_scores(scores),
        supported_by=_clean_texts(list(supported_by), "things that supported quality"),
        barriers=_clean_texts(list(barriers), "barriers to quality"),
        comments=(comments or "").strip(),
    )
    audit.record(
        actor=given_by,
        action=audit.Action.CREATE,
        subject=feedback,
        detail={"referral": str(referral.pk)},
    )
    recipients = notifications.team_managers(referral.team)
    if referral.received_by_id is not None:
        recipients.append(referral.received_by)
    notifications.notify(
        recipients,
        kind=Notification.Kind.GENERAL,
        title=f"Practice hub feedback: {referral.reference}",
        body="The practice hub has reviewed this referral's quality.",
        referral=referral,
        email=True,
    )
    webhooks.concern_event(referral, webhooks.FEEDBACK_GIVEN, feedback=feedback)
    return feedback


@transaction.atomic
def feedback_acknowledge(*, feedback: ReferralFeedback, by) -> ReferralFeedback:
    """Who read it and when. `by` is a member of staff or the partner API client; acknowledging
    again changes nothing (a double click, a retried request)."""
    feedback = ReferralFeedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.acknowledged_at is not None:
        return feedback
    staff = by if isinstance(by, Staff) else None
    feedback.acknowledged_at = timezone.now()
    feedback.acknowledged_by_label = (staff.username if staff is not None else str(by))[:200]
    feedback.acknowledged_by_staff = staff
    feedback.save(
        update_fields=["acknowledged_at", "acknowledged_by_label", "acknowledged_by_staff"]
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=feedback,
        detail={"referral": str(feedback.referral_id), "acknowledged": True},
    )
    return feedback
