"""IRD records go with the referral they came from when it is disposed of under its retention
class (referrals/services/disposal.py calls extensions.referral_disposing inside its
transaction), and that referral waits for the IRD records' own class ("ird_record") too."""

from ird.models import (
    AbsenceReason,
    Addendum,
    CalendarMessage,
    Cppm,
    FollowUpItem,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    QualityReview,
    RecordSection,
    Registration,
    Revision,
)
from referrals.models import RetentionClass

ANONYMISED_TEXT = "Anonymised under the council's retention schedule."


def kept_with(referral_ids) -> dict:
    """extensions.kept_with: the referrals among these with IRD records."""
    with_irds = Ird.objects.filter(referral_id__in=referral_ids).values_list(
        "referral_id", flat=True
    )
    return {referral_id: {RetentionClass.RecordType.IRD_RECORD} for referral_id in with_irds}


def _dispose_cppms(referral, method: str) -> None:
    """The referral's planning meetings, and the registrations they (or it) made."""
    cppms = Cppm.objects.filter(referral=referral)
    registrations = Registration.objects.filter(referral=referral)
    CalendarMessage.objects.filter(cppm__in=cppms).delete()
    if method == "delete":
        registrations.delete()
        # Newest first: a reconvened meeting protects the inquorate one it follows.
        for cppm in cppms.order_by("-created_at", "-pk"):
            cppm.delete()
        return
    cppms.update(
        place="",
        dial_in="",
        short_notice_reason="",
        extension_reasons=ANONYMISED_TEXT,
        interim_safety_plan=ANONYMISED_TEXT,
        reporter_note="",
        record=ANONYMISED_TEXT,
    )
    registrations.update(from_authority="")


def on_referral_disposing(*, referral, method) -> None:
    _dispose_cppms(referral, method)
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
