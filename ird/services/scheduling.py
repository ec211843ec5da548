"""Scheduling an IRD: police, health and social work must take part; a chair and a recorder
are named; everyone invited gets an iCalendar invitation after commit (sent again if the
first sending failed), and a move or a cancellation updates the same event."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ird import access, calendar, tasks
from ird.errors import (
    IrdRefused,
)
from ird.models import (
    CalendarMessage,
    Invitation,
    Ird,
    IrdChild,
)
from ird.services.common import (
    MUST_TAKE_PART,
    RESEND_AFTER,
    Status,
    _chronicle,
    _invited_staff,
    _lock,
    _save,
    local_text,
    notify_people,
)
from referrals import (
    audit,
    deadlines,
    queueing,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Agency,
    Referral,
    Staff,
)


@dataclass
class Schedule:
    scheduled_for: datetime
    duration_minutes: int
    chair: Staff
    recorder: Staff
    participants: list
    dial_in: str = ""
    meeting_id: str = ""
    pin: str = ""


def _check_schedule(ird: Ird, plan: Schedule, now: datetime) -> list[Staff]:
    if ird.referral.status == Referral.Status.CLOSED:
        raise IrdRefused(
            f"Referral {ird.referral.reference} has been closed: cancel this IRD "
            "request instead of scheduling it."
        )
    if plan.scheduled_for < now - timedelta(minutes=5):
        raise IrdRefused("Choose a time for the IRD that has not passed.")
    everyone = {staff.pk: staff for staff in [plan.chair, plan.recorder, *plan.participants]}
    refused = [str(staff) for staff in everyone.values() if not access.can_be_invited(staff)]
    if refused:
        raise IrdRefused(f"These people cannot take part in IRDs: {', '.join(refused)}.")
    kinds = {staff.agency.kind for staff in everyone.values()}
    missing = [Agency.Kind(kind).label.lower() for kind in MUST_TAKE_PART if kind not in kinds]
    if missing:
        raise IrdRefused(
            "Police, health and social work must take part in an IRD: invite someone from "
            f"{' and '.join(missing)}."
        )
    return list(everyone.values())


@transaction.atomic
def ird_schedule(*, ird: Ird, by, plan: Schedule, expected_version: int | None = None) -> Ird:
    """Schedule a requested IRD, or reschedule a scheduled one: each invited person gets the
    calendar invitation (an update with a higher SEQUENCE when rescheduled); anyone no longer
    invited gets a cancellation."""
    ird = _lock(ird, expected_version)
    if not access.viewer(by, ird).coordinator:
        raise NotPermitted("Only a social work team manager or service manager schedules IRDs.")
    if ird.status not in access.SCHEDULABLE:
        raise IrdRefused(
            f"{ird.reference} is {ird.get_status_display().lower()}: it can no longer be scheduled."
        )
    now = timezone.now()
    everyone = _check_schedule(ird, plan, now)
    first = ird.status == Status.REQUESTED

    current = {invitation.staff_id: invitation for invitation in ird.invitations.all()}
    for staff in everyone:
        invitation = current.get(staff.pk)
        if invitation is None:
            Invitation.objects.create(
                ird=ird,
                staff=staff,
                agency=staff.agency,
                role_in_ird=staff.job_title or staff.get_role_display(),
                invited_at=now,
            )
        elif invitation.removed_at is not None:
            invitation.removed_at = None
            invitation.invited_at = now
            invitation.save(update_fields=["removed_at", "invited_at"])
    wanted = {staff.pk for staff in everyone}
    removed = [
        invitation
        for staff_id, invitation in current.items()
        if staff_id not in wanted and invitation.removed_at is None
    ]
    Invitation.objects.filter(pk__in=[invitation.pk for invitation in removed]).update(
        removed_at=now
    )

    ird.scheduled_for = plan.scheduled_for.replace(second=0, microsecond=0)
    ird.duration_minutes = plan.duration_minutes
    ird.chair, ird.recorder, ird.coordinator = plan.chair, plan.recorder, by
    ird.dial_in, ird.meeting_id, ird.pin = plan.dial_in, plan.meeting_id, plan.pin
    ird.calendar_sequence = 0 if first else ird.calendar_sequence + 1
    ird.status = Status.SCHEDULED
    _save(
        ird,
        "scheduled_for",
        "duration_minutes",
        "chair",
        "recorder",
        "coordinator",
        "dial_in",
        "meeting_id",
        "pin",
        "calendar_sequence",
        "status",
    )

    _queue_calendar(ird, CalendarMessage.Method.REQUEST, everyone, now)
    if removed:
        _queue_calendar(
            ird, CalendarMessage.Method.CANCEL, [invitation.staff for invitation in removed], now
        )
        notify_people(
            [invitation.staff for invitation in removed],
            title=f"You are no longer invited to IRD {ird.reference}",
            ird=ird,
            url=reverse("ird:list"),
        )
    when = local_text(ird.scheduled_for)
    notify_people(
        everyone,
        title=(
            f"IRD invitation: {ird.reference} on {when}"
            if first
            else f"IRD {ird.reference} rescheduled: now {when}"
        ),
        ird=ird,
    )
    if first:
        _chronicle(
            ird,
            by=by,
            summary=f"IRD {ird.reference} scheduled for {when}.",
            target=Referral.Status.IRD_SCHEDULED,
            occurred_at=now,
        )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={
            "status": ird.status,
            "sequence": ird.calendar_sequence,
            "invited": sorted(str(pk) for pk in wanted),
        },
    )
    return ird


def _queue_calendar(ird: Ird, method: str, recipients, now: datetime) -> list[CalendarMessage]:
    people = list({staff.pk: staff for staff in recipients}.values())
    attendees = people if method == CalendarMessage.Method.CANCEL else _invited_staff(ird)
    ics = calendar.invitation_ics(ird=ird, method=method, attendees=attendees, stamp=now)
    messages = CalendarMessage.objects.bulk_create(
        CalendarMessage(
            ird=ird,
            recipient=staff,
            method=method,
            sequence=ird.calendar_sequence,
            ics=ics,
            created_at=now,
        )
        for staff in people
    )
    for message in messages:
        transaction.on_commit(partial(queue_calendar_send, message.pk), robust=True)
    return messages


def queue_calendar_send(message_id) -> None:
    # The broker is down: the message stays unsent and the periodic resend finds it.
    queueing.enqueue(tasks.send_calendar_message, str(message_id))


def calendar_resend_unsent(now: datetime | None = None) -> int:
    """Queue again what never reached the broker (pitfall 6: a crash between commit and
    publish). Sending twice is harmless: calendar_message_send sends once."""
    now = now or timezone.now()
    unsent = list(
        CalendarMessage.objects.filter(sent_at__isnull=True, created_at__lte=now - RESEND_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for message_id in unsent:
        queue_calendar_send(message_id)
    return len(unsent)


def _calendar_subject(message: CalendarMessage) -> tuple[str, str, str]:
    """The e-mail's subject, the link to sign in at and the attachment's name."""
    if message.cppm_id:
        meeting = f"child protection planning meeting {message.cppm.reference}"
        link, filename = calendar.cppm_link(message.cppm), "cppm.ics"
    else:
        meeting = f"inter-agency referral discussion {message.ird.reference}"
        link, filename = calendar.ird_link(message.ird), "ird.ics"
    if message.method == CalendarMessage.Method.CANCEL:
        subject = f"Cancelled: {meeting}"
    else:
        subject = f"{'Updated' if message.sequence else 'Invitation'}: {meeting}"
    return subject, link, filename


@transaction.atomic
def calendar_message_send(*, message_id) -> None:
    """E-mail one invitation, update or cancellation with its .ics, once."""
    message = (
        CalendarMessage.objects.select_for_update(of=("self",))
        .select_related("ird", "cppm", "recipient")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.sent_at is not None:
        return
    if message.recipient.email:
        subject, link, filename = _calendar_subject(message)
        body = "\n\n".join(
            [subject + ".", f"The calendar entry is attached. Sign in to see the meeting: {link}"]
        )
        email = EmailMultiAlternatives(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient.email],
        )
        part = MIMEText(message.ics, "calendar", "utf-8")
        part.set_param("method", message.method)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        email.attach(part)
        email.send()
    message.sent_at = timezone.now()
    message.save(update_fields=["sent_at"])


@transaction.atomic
def ird_cancel(*, ird: Ird, by, reason: str, expected_version: int | None = None) -> Ird:
    ird = _lock(ird, expected_version)
    if not access.viewer(by, ird).coordinator:
        raise NotPermitted("Only a social work team manager or service manager cancels IRDs.")
    if ird.status == Status.CANCELLED:
        return ird
    if ird.status not in access.SCHEDULABLE:
        raise IrdRefused(
            "An IRD that has started cannot be cancelled: conclude it and record what was decided."
        )
    if not reason.strip():
        raise IrdRefused("Give the reason for cancelling the IRD.")
    now = timezone.now()
    was_scheduled = ird.status == Status.SCHEDULED
    ird.status = Status.CANCELLED
    ird.cancelled_at = now
    ird.cancellation_reason = reason
    if was_scheduled:
        ird.calendar_sequence += 1
    _save(ird, "status", "cancelled_at", "cancellation_reason", "calendar_sequence")
    for kind in ("ird_held", "ird_full"):
        deadlines.deadline_cancel(
            subject_type="referral", subject_id=str(ird.referral_id), kind=kind
        )
    if was_scheduled:
        invited = _invited_staff(ird)
        _queue_calendar(ird, CalendarMessage.Method.CANCEL, invited, now)
        notify_people(
            invited, title=f"IRD {ird.reference} cancelled", ird=ird, url=reverse("ird:list")
        )
    _chronicle(
        ird,
        by=by,
        summary=f"IRD {ird.reference} cancelled: {reason}",
        target=Referral.Status.DECIDED if was_scheduled else None,
        occurred_at=now,
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"status": ird.status})
    return ird


@transaction.atomic
def child_decide(
    *, child: IrdChild, by, include: bool, reason: str = "", expected_version: int | None = None
) -> IrdChild:
    """Include a proposed brother, sister or other child, or record why not."""
    ird = _lock(child.ird, expected_version)
    if not access.viewer(by, ird).can_decide_children:
        raise NotPermitted(
            "Only the IRD's coordinator decides which children it covers, before it is signed off."
        )
    child = IrdChild.objects.select_for_update().select_related("person").get(pk=child.pk)
    if child.source == IrdChild.Source.REFERRAL and not include:
        raise IrdRefused("A child named in the referral is always covered by its IRD.")
    if not include and not reason.strip():
        raise IrdRefused(f"Record why {child.person.full_name} is not included.")
    now = timezone.now()
    child.included = include
    child.reason_not_included = "" if include else reason
    child.decided_by, child.decided_at = by, now
    child.save(update_fields=["included", "reason_not_included", "decided_by", "decided_at"])
    _save(ird)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"child": str(child.person_id), "included": include},
    )
    return child
