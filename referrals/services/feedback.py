"""Practice hub feedback reaching the referrer: given (by hub/, through this function) and
acknowledged (by a member of staff, or by the partner system that submitted the concern)."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import audit, notifications, queueing, sharing
from referrals.api import webhooks
from referrals.errors import DomainError
from referrals.models import Notification, Referral, ReferralFeedback, Staff
from referrals.models.feedback import SCORE_MAX, SCORE_MIN

logger = logging.getLogger(__name__)

MAX_ITEMS = 50
MAX_ITEM_LENGTH = 500
LINK_SALT = "referrals.feedback.referrer-link"
LINK_MAX_AGE = timedelta(days=90)  # the link in the e-mail works this long
RESEND_AFTER = timedelta(minutes=10)  # an e-mail whose task never reached the broker


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
    if referrer_addresses(referral):
        transaction.on_commit(partial(queue_referrer_email, feedback.pk), robust=True)
    return feedback


# --- The external referrer, by e-mail -------------------------------------------------------


def referrer_addresses(referral: Referral) -> list[str]:
    """Who outside the system hears of the feedback: the referrer and their manager, as given
    at intake. A partner system hears by webhook instead; staff by notification."""
    if referral.channel == Referral.Channel.PARTNER_SYSTEM:
        return []
    return [
        address
        for address in dict.fromkeys([referral.referrer_email, referral.referrer_manager_email])
        if address
    ]


def referrer_link(feedback: ReferralFeedback) -> str:
    token = signing.dumps(str(feedback.pk), salt=LINK_SALT)
    return reverse("referrer_feedback", args=[token])


def feedback_for_link(token: str) -> ReferralFeedback | None:
    """The feedback a link in an e-mail names, or None when it is forged or too old."""
    try:
        feedback_id = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return ReferralFeedback.objects.select_related("referral").filter(pk=feedback_id).first()


def queue_referrer_email(feedback_id) -> None:
    from referrals import tasks  # noqa: PLC0415 - tasks import this module

    # Broker down: resend_unsent_referrer_email (beat) queues it again.
    queueing.enqueue(tasks.send_referrer_feedback_email, str(feedback_id))


@transaction.atomic
def referrer_email(*, feedback_id) -> None:
    """E-mail the referrer and their manager once (a redelivered task finds it sent). The
    e-mail names the referral by reference and date only: the feedback is behind the link."""
    feedback = (
        ReferralFeedback.objects.select_for_update(of=("self",))
        .select_related("referral")
        .filter(pk=feedback_id)
        .first()
    )
    if feedback is None or feedback.referrer_emailed_at is not None:
        return
    referral = feedback.referral
    addresses = referrer_addresses(referral)
    if addresses:
        yours = (
            f" (your reference {referral.external_reference})"
            if referral.external_reference
            else ""
        )
        send_mail(
            subject=f"Feedback on your referral {referral.reference}",
            message=(
                f"The practice hub has reviewed the quality of the referral you made on "
                f"{timezone.localtime(referral.received_at):%d %B %Y}, {referral.reference}"
                f"{yours}.\n\nRead the feedback and acknowledge it here (the link works for "
                f"{LINK_MAX_AGE.days} days):\n{settings.SITE_URL.rstrip('/')}"
                f"{referrer_link(feedback)}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=addresses,
        )
    feedback.referrer_emailed_at = timezone.now()
    feedback.save(update_fields=["referrer_emailed_at"])
    audit.record(
        actor=None,
        action=audit.Action.CHANGE,
        subject=feedback,
        detail={
            "referral": str(referral.pk),
            "emailed_to_referrer": len(addresses),
            **sharing.basis(sharing.Route.HUB_FEEDBACK),
        },
    )


def resend_unsent_referrer_email(now=None) -> int:
    """Queue again the e-mails whose task never reached the broker."""
    now = now or timezone.now()
    unsent = (
        ReferralFeedback.objects.filter(
            referrer_emailed_at__isnull=True, given_at__lte=now - RESEND_AFTER
        )
        .exclude(referral__channel=Referral.Channel.PARTNER_SYSTEM)
        .exclude(referral__referrer_email="", referral__referrer_manager_email="")
        .values_list("pk", flat=True)[:200]
    )
    count = 0
    for feedback_id in unsent:
        queue_referrer_email(feedback_id)
        count += 1
    return count


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
