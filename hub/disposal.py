"""The hub's reviews and audit samples of a referral go with it when it is disposed of under its
retention class (referrals/services/disposal.py calls extensions.referral_disposing). They are
also kept on a clock of their own, the "hub_review" class counted from their completion, and go
sooner when that runs out, whether or not the referral is closed
(extensions.kept_apart_disposing). A referral deleted marks its children's other referrals for
the report summary's next refresh (their repeats may follow)."""

import datetime

from django.db.models import Max
from django.utils import timezone

from hub import summary
from hub.models import AuditAssignment, AuditGrade, AuditRecord, Review, ReviewScore
from referrals.extensions import KeptApart
from referrals.models import RetentionClass

HUB_REVIEW = RetentionClass.RecordType.HUB_REVIEW


def on_referral_disposing(*, referral, method) -> None:
    samples = AuditRecord.objects.filter(referral=referral)
    if method == "delete":
        samples.delete()  # reviews go with the referral (cascade)
        summary.on_referral_deleting(referral)
        return
    reviews = Review.objects.filter(referral=referral)
    reviews.update(overall_comment="", supported_other="", barriers_other="")
    ReviewScore.objects.filter(review__in=reviews).update(comment="")
    assignments = AuditAssignment.objects.filter(record__in=samples)
    assignments.update(findings="", learning_points="")
    AuditGrade.objects.filter(assignment__in=assignments).update(comment="")


def _completed_samples():
    """Audit samples every auditor has graded, with the moment the last grade came in."""
    return (
        AuditRecord.objects.filter(assignments__state=AuditAssignment.State.SUBMITTED)
        .exclude(assignments__state=AuditAssignment.State.ASSIGNED)
        .annotate(completed_at=Max("assignments__submitted_at"))
    )


def kept_apart() -> list[KeptApart]:
    """extensions.kept_apart: per referral, when its last review or audit sample was completed
    (they go together). Reviews and samples still under way are not counted."""
    latest: dict = {}
    reviews = (
        Review.objects.filter(state=Review.State.SUBMITTED)
        .values("referral_id")
        .annotate(completed_at=Max("submitted_at"))
    )
    samples = _completed_samples().values_list("referral_id", "completed_at")
    for referral_id, completed_at in [
        *((r["referral_id"], r["completed_at"]) for r in reviews),
        *samples,
    ]:
        if completed_at is not None:
            latest[referral_id] = max(completed_at, latest.get(referral_id, completed_at))
    return [KeptApart(pk, HUB_REVIEW, at) for pk, at in latest.items()]


def on_kept_apart_disposing(*, referral_id, record_type, completed_by) -> None:
    """Delete the referral's reviews and audit samples completed on or before `completed_by`."""
    if record_type != HUB_REVIEW:
        return
    before = timezone.make_aware(
        datetime.datetime.combine(completed_by + datetime.timedelta(days=1), datetime.time.min)
    )
    Review.objects.filter(
        referral_id=referral_id, state=Review.State.SUBMITTED, submitted_at__lt=before
    ).delete()
    samples = _completed_samples().filter(referral_id=referral_id, completed_at__lt=before)
    AuditRecord.objects.filter(pk__in=[s.pk for s in samples]).delete()
