"""After sign-off: addenda to a locked record, its circulation to those entitled (each copy
logged with its lawful basis), the follow-up checklist, and the quality review."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from ird import access
from ird.errors import (
    IrdRefused,
)
from ird.models import (
    Addendum,
    Circulation,
    FollowUpItem,
    Ird,
    QualityReview,
)
from ird.services.common import _invited_staff, _lock, _record_changed, ird_url, notify_people
from referrals import (
    audit,
    deadlines,
    sharing,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Staff,
)


@transaction.atomic
def addendum_add(*, ird: Ird, by, reason: str, text: str) -> Addendum:
    ird = _lock(ird)
    if not access.viewer(by, ird).can_add_addendum:
        raise NotPermitted("Addenda are added by the IRD's participants once it is signed off.")
    if not reason.strip() or not text.strip():
        raise IrdRefused("Give the addendum and the reason for it.")
    now = timezone.now()
    addendum = Addendum.objects.create(ird=ird, author=by, created_at=now, reason=reason, text=text)
    _record_changed(ird, key="addendum", by=by, now=now, text=f"Addendum ({reason}): {text}")
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=ird, detail={"addendum": str(addendum.pk)}
    )
    return addendum


@transaction.atomic
def record_circulate(
    *, ird: Ird, by, recipients: list[Staff], other_recipient: str = "", other_method: str = ""
) -> list[Circulation]:
    """Send the signed record to the participants (in the application, with an e-mail link:
    never the record itself by e-mail) and log any copy sent another way."""
    ird = _lock(ird)
    if not access.viewer(by, ird).can_circulate:
        raise NotPermitted("The chair or the recorder circulates the signed record.")
    invited = {staff.pk for staff in _invited_staff(ird)}
    outside = [str(staff) for staff in recipients if staff.pk not in invited]
    if outside:
        raise IrdRefused(
            f"The record goes only to the IRD's participants: {', '.join(outside)} is not one."
        )
    if not recipients and not other_recipient.strip():
        raise IrdRefused("Choose who to send the record to.")
    if other_recipient.strip() and other_method not in Circulation.Method.values:
        raise IrdRefused("Say how the record was sent to the other recipient.")
    now = timezone.now()
    notify_people(
        recipients,
        title=f"IRD {ird.reference}: signed record for you",
        ird=ird,
        url=ird_url(ird, "ird:print"),
        email=True,
    )
    shared = sharing.basis(sharing.Route.IRD_CIRCULATION)
    basis = {
        "lawful_basis": shared["lawful_basis"],
        "special_category_condition": shared["condition"],
    }
    rows = [
        Circulation(
            ird=ird,
            recipient=staff,
            recipient_label=str(staff),
            method=Circulation.Method.APPLICATION,
            sent_by=by,
            sent_at=now,
            **basis,
        )
        for staff in recipients
    ]
    if other_recipient.strip():
        rows.append(
            Circulation(
                ird=ird,
                recipient_label=other_recipient.strip(),
                method=other_method,
                sent_by=by,
                sent_at=now,
                **basis,
            )
        )
    created = Circulation.objects.bulk_create(rows)
    audit.record(
        actor=by,
        action=audit.Action.EXPORT,
        subject=ird,
        detail={
            "circulated_to": [str(staff.pk) for staff in recipients],
            "others": 1 if other_recipient.strip() else 0,
            **shared,
        },
    )
    return created


@transaction.atomic
def follow_up_done(*, item: FollowUpItem, by, note: str = "") -> FollowUpItem:
    ird = _lock(item.ird)
    if not access.viewer(by, ird).can_tick_follow_up:
        raise NotPermitted(
            "The chair, recorder, lead professional or coordinator ticks off the "
            "follow-up checklist."
        )
    item = FollowUpItem.objects.select_for_update().get(pk=item.pk)
    if item.done_at is not None:
        return item
    now = timezone.now()
    item.done_at, item.done_by, item.note = now, by, note
    item.save(update_fields=["done_at", "done_by", "note"])
    deadlines.deadline_meet(
        kind="ird_follow_up", subject_type="ird_follow_up", subject_id=str(item.pk)
    )
    _record_changed(
        ird,
        key="follow_up",
        by=by,
        now=now,
        text=f"Follow-up done: {item.get_code_display()}." + (f" {note}" if note else ""),
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"follow_up": item.code})
    return item


@transaction.atomic
def quality_review_record(
    *,
    ird: Ird,
    by,
    timeliness: int,
    attendance: int,
    completeness: int,
    rationale: int,
    timeliness_comment: str = "",
    attendance_comment: str = "",
    completeness_comment: str = "",
    rationale_comment: str = "",
    comments: str = "",
) -> QualityReview:
    ird = _lock(ird)
    if not access.viewer(by, ird).can_review_quality:
        raise NotPermitted("IRDs are quality-reviewed by the QA team once signed off.")
    grades = [timeliness, attendance, completeness, rationale]
    if any(grade not in range(1, 7) for grade in grades):
        raise IrdRefused("Grade each aspect from 1 (unsatisfactory) to 6 (excellent).")
    try:
        with transaction.atomic():
            review = QualityReview.objects.create(
                ird=ird,
                reviewer=by,
                reviewed_at=timezone.now(),
                timeliness=timeliness,
                attendance=attendance,
                completeness=completeness,
                rationale=rationale,
                timeliness_comment=timeliness_comment,
                attendance_comment=attendance_comment,
                completeness_comment=completeness_comment,
                rationale_comment=rationale_comment,
                comments=comments,
            )
    except IntegrityError:
        raise IrdRefused("You have already reviewed this IRD.") from None
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=review,
        object_type="irdqualityreview",
        detail={"ird": str(ird.pk)},
    )
    return review
