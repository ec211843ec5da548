"""IRD records go with the referral they came from when it is disposed of under its retention
class (referrals/services/disposal.py sends `referral_disposing` inside its transaction)."""

from ird.models import (
    AbsenceReason,
    Addendum,
    CalendarMessage,
    FollowUpItem,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    QualityReview,
    RecordSection,
    Revision,
)

ANONYMISED_TEXT = "Anonymised under the council's retention schedule."


def on_referral_disposing(sender, referral, method, **kwargs) -> None:
    irds = Ird.objects.filter(referral=referral)
    if method == "delete":
        # Newest first: a follow-on IRD protects the one it follows.
        for ird in irds.order_by("-requested_at", "-pk"):
            ird.delete()
        return
    irds.update(
        request_reason="",
        initial_discussion="",
        reason="",
        cancellation_reason="",
        dial_in="",
        meeting_id="",
        pin="",
    )
    RecordSection.objects.filter(ird__in=irds).update(text="")
    Revision.objects.filter(ird__in=irds).update(text="")
    IrdDecision.objects.filter(ird__in=irds).update(rationale="")
    IrdAction.objects.filter(ird__in=irds).update(description=ANONYMISED_TEXT, completion_note="")
    Addendum.objects.filter(ird__in=irds).update(reason=ANONYMISED_TEXT, text=ANONYMISED_TEXT)
    AbsenceReason.objects.filter(ird__in=irds).update(reason=ANONYMISED_TEXT)
    FollowUpItem.objects.filter(ird__in=irds).update(note="")
    IrdChild.objects.filter(ird__in=irds).update(reason_not_included="")
    QualityReview.objects.filter(ird__in=irds).update(
        timeliness_comment="",
        attendance_comment="",
        completeness_comment="",
        rationale_comment="",
        comments="",
    )
    # Calendar files carry the child's initials and the dial-in.
    CalendarMessage.objects.filter(ird__in=irds).delete()
