"""IRD services: every write a person or partner system can cause, one function per verb.

Guard, change, audit, then queue: each function locks what it changes, checks who may do it
(ird.access) and the IRD's state, writes, records the audit row in the same transaction, and
queues e-mail only after commit. The referral's status moves only through
referrals.services.progress.referral_progress; deadlines only through referrals.deadlines."""

import calendar as month_calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.mime.text import MIMEText
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ird import access, calendar, selectors, tasks
from ird.errors import (
    ActionConflict,
    IrdRefused,
    RecordLocked,
    SectionConflict,
    SignOffRefused,
)
from ird.models import (
    AbsenceReason,
    Addendum,
    Attendance,
    CalendarMessage,
    Circulation,
    DecisionCode,
    FollowUpItem,
    Invitation,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    ProcedureReview,
    ProcedureVersion,
    QualityReview,
    RecordSection,
    Revision,
)
from ird.reference_data import ensure_timescales
from referrals import (
    audit,
    chronology,
    deadlines,
    lifecycle,
    notifications,
    queueing,
    references,
    sharing,
)
from referrals.errors import EditConflict, IllegalTransition, NotPermitted
from referrals.models import (
    Agency,
    ChronologyEntry,
    Notification,
    Referral,
    Role,
    ScreeningDecision,
    Staff,
    Timescale,
)
from referrals.services import progress
from referrals.working_days import LONDON

logger = logging.getLogger(__name__)

Status = Ird.Status
MUST_TAKE_PART = (Agency.Kind.POLICE, Agency.Kind.HEALTH, Agency.Kind.SOCIAL_WORK)
ACTION_DUE_TIME = time(17, 0)  # close of business on the due date, council time
# An IRD agrees the next steps for a child's safety; work further off belongs in the child's
# plan. The limit also keeps a due date's warning and escalations far from any calendar's end.
ACTION_DUE_WITHIN = timedelta(days=366)
REVIEW_DUE_TIME = time(9, 0)
RESEND_AFTER = timedelta(minutes=5)
REQUIRED_SECTIONS = {
    RecordSection.Key.RISK_AND_NEED: "Write the analysis of risk and need.",
    RecordSection.Key.DECISION_REASONS: "Write the reasons for the decisions.",
}
CONFIRM_SIGN_OFF = "Confirm that the record is accurate and complete before signing it off."
FOLLOW_UP_ALWAYS = [code for code in FollowUpItem.Code.values if code != FollowUpItem.Code.MEDICAL]


# --- Helpers ----------------------------------------------------------------------------------


def ird_url(ird: Ird, name: str = "ird:detail") -> str:
    return reverse(name, args=[ird.pk])


def local_text(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M") if moment else ""


def _lock(ird: Ird, expected_version: int | None = None) -> Ird:
    locked = Ird.objects.select_for_update(of=("self",)).select_related("referral").get(pk=ird.pk)
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(
            f"{locked.reference} was changed by someone else while you were working on it. "
            "Check the IRD as it is now and submit again."
        )
    return locked


def _save(ird: Ird, *fields: str, record: bool = True) -> None:
    """Save the named fields and move the versions on, so open forms and watchers know."""
    ird.version = F("version") + 1
    extra = ["version", "updated_at"]
    if record:
        ird.record_version = F("record_version") + 1
        extra.append("record_version")
    ird.save(update_fields=[*fields, *extra])
    ird.refresh_from_db(fields=["version", "record_version"])


def _record_changed(ird: Ird, *, key: str, text: str, by, now: datetime) -> None:
    """A structured part of the record changed: a revision line and the watchers' version."""
    Ird.objects.filter(pk=ird.pk).update(record_version=F("record_version") + 1, updated_at=now)
    ird.refresh_from_db(fields=["record_version"])
    Revision.objects.create(
        ird=ird, key=key, version=ird.record_version, text=text, author=by, saved_at=now
    )


def open_deadline(kind: str, **fields):
    # The IRD timescales come from a data migration; should one be missing (a flushed test
    # database), its default is put back rather than losing the deadline.
    return deadlines.deadline_open(
        kind=kind, restore=lambda: ensure_timescales(Timescale, kinds={kind}), **fields
    )


def _referral_step(ird: Ird, kind: str, *, owner, starts_at: datetime):
    """IRD held and IRD record are steps of the referral: closing the referral cancels them."""
    subject = deadlines.referral_subject(ird.referral)
    subject["url"] = ird_url(ird)
    return open_deadline(kind, starts_at=starts_at, owner=owner, team=ird.referral.team, **subject)


def _referral_step_done(ird: Ird, kind: str) -> None:
    deadlines.deadline_meet(kind=kind, subject_type="referral", subject_id=str(ird.referral_id))


def _invited_staff(ird: Ird) -> list[Staff]:
    return [
        invitation.staff
        for invitation in ird.invitations.filter(removed_at__isnull=True).select_related("staff")
    ]


def _included_children(ird: Ird):
    return [child.person for child in ird.children.filter(included=True).select_related("person")]


def _chronicle(
    ird: Ird, *, by, summary: str, target: str | None = None, occurred_at: datetime | None = None
) -> None:
    """Move the referral on (if `target` and the lifecycle allows it) and note the step in the
    chronology of every child the IRD covers."""
    occurred_at = occurred_at or timezone.now()
    referral = ird.referral
    noted: set = set()
    if target and lifecycle.can_move(referral.status, target):
        # referral_progress notes it in the chronology of the referral's own children.
        noted = set(referral.children.values_list("pk", flat=True))
        ird.referral = progress.referral_progress(
            referral=referral, target=target, by=by, summary=summary, occurred_at=occurred_at
        )
    covered = _included_children(ird) or list(referral.children.all())
    people = [person for person in covered if person.pk not in noted]
    if people:
        chronology.chronology_add(
            people=people,
            kind=ChronologyEntry.Kind.IRD,
            summary=summary,
            occurred_at=occurred_at,
            referral=referral,
            recorded_by=by,
        )


def notify_people(people, *, title: str, ird: Ird, url: str = "", email: bool = False):
    notifications.notify(
        people,
        kind=Notification.Kind.GENERAL,
        title=title,
        referral=ird.referral,
        url=url or ird_url(ird),
        email=email,
    )


# --- Opening an IRD request ----------------------------------------------------------------


@transaction.atomic(savepoint=False)  # a step of its caller's change: no savepoint of its own
def ird_request_open(
    *,
    referral: Referral,
    decision: ScreeningDecision | None,
    by,
    route: str = Ird.Route.SCREENING,
    requested_at: datetime | None = None,
    agency: Agency | None = None,
    reason: str = "",
    previous: Ird | None = None,
) -> Ird:
    """Open an IRD request (once: a repeated event finds the request it opened, and a referral
    has one IRD under way at a time). The coordinators are told; the IRD-held deadline starts at
    `requested_at` - the concern's arrival when the IRD was asked for with the concern."""
    if decision is not None:
        existing = Ird.objects.filter(requested_by_decision=decision).first()
        if existing is not None:
            return existing
    under_way = (
        Ird.objects.filter(referral=referral)
        .exclude(status__in=[Status.SIGNED_OFF, Status.CANCELLED])
        .first()
    )
    if under_way is not None:
        return under_way
    if decision is not None and route == Ird.Route.SCREENING:
        # The concern already had its IRD, asked for on arrival: the approval adds nothing.
        asked_on_arrival = (
            Ird.objects.filter(
                referral=referral,
                route__in=[Ird.Route.IMMEDIATE_RISK, Ird.Route.AGENCY_REQUEST],
            )
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if asked_on_arrival is not None:
            return asked_on_arrival
    now = timezone.now()
    requested_at = requested_at or now
    is_staff = getattr(by, "is_active", False) and not getattr(by, "is_api_client", False)
    staff = by if is_staff else None
    ird = Ird.objects.create(
        reference=references.next_reference("IRD", "ird", now),
        referral=referral,
        requested_by_decision=decision,
        requested_at=requested_at,
        route=route,
        # An approval is no request: the approving manager is on the screening decision.
        requested_by=staff if route != Ird.Route.SCREENING else None,
        requesting_agency=agency
        or (staff.agency if staff is not None and route != Ird.Route.SCREENING else None),
        request_reason=reason,
        previous=previous,
    )
    RecordSection.objects.bulk_create(
        RecordSection(ird=ird, key=key) for key in RecordSection.Key.values
    )
    IrdChild.objects.bulk_create(
        IrdChild(
            ird=ird,
            person=person,
            source=source,
            included=True if source == IrdChild.Source.REFERRAL else None,
            decided_at=now if source == IrdChild.Source.REFERRAL else None,
        )
        for person, source in selectors.household_children(referral, timezone.localdate(now))
    )
    _referral_step(ird, "ird_held", owner=staff, starts_at=requested_at)
    coordinators = notifications.team_managers(referral.team) or list(
        Staff.objects.filter(role=Role.SERVICE_MANAGER, is_active=True)
    )
    urgent = "Urgent: " if route == Ird.Route.IMMEDIATE_RISK else ""
    notify_people(
        coordinators,
        title=f"{urgent}IRD to schedule: {ird.reference} (referral {referral.reference})",
        ird=ird,
        email=True,
    )
    summary = f"IRD {ird.reference} requested ({ird.get_route_display().lower()}"
    if ird.requesting_agency is not None and route != Ird.Route.SCREENING:
        summary += f", {ird.requesting_agency.name}"
    if previous is not None:
        summary += f", following {previous.reference}"
    chronology.chronology_add(
        people=list(referral.children.all()),
        kind=ChronologyEntry.Kind.IRD,
        summary=summary + ")." + (f" {reason}" if reason else ""),
        occurred_at=now,
        referral=referral,
        recorded_by=staff,
    )
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=ird,
        detail={
            "referral": str(referral.pk),
            "status": ird.status,
            "route": route,
            "previous": str(previous.pk) if previous else None,
        },
    )
    return ird


def on_screening_approved(*, referral, decision) -> None:
    """A child protection outcome approved at screening opens the IRD request
    (extensions.ScreeningApproved)."""
    if decision.outcome == ScreeningDecision.Outcome.CHILD_PROTECTION:
        ird_request_open(referral=referral, decision=decision, by=decision.reviewed_by)


def on_referral_received(*, referral, actor=None) -> None:
    """extensions.ReferralReceived: a concern from police, health or social
    work reporting immediate risk, or asking for an IRD, opens the IRD request at once, without
    waiting for screening; its clock starts at the concern's arrival (NG2021 3.15, 3.18)."""
    if not (referral.immediate_risk or referral.ird_requested):
        return
    if referral.source_agency.kind not in access.CONVENING_KINDS:
        return  # any agency can ask; police, health or social work convene (screening decides)
    route = Ird.Route.IMMEDIATE_RISK if referral.immediate_risk else Ird.Route.AGENCY_REQUEST
    ird_request_open(
        referral=referral,
        decision=None,
        by=actor,
        route=route,
        requested_at=referral.received_at,
        agency=referral.source_agency,
        reason="Concern received reporting immediate risk."
        if referral.immediate_risk
        else f"{referral.source_agency.name} asked for an IRD with the concern.",
    )


@transaction.atomic
def ird_convene(*, referral: Referral, by, reason: str) -> Ird:
    """Police, health or social work staff ask for an IRD about a concern they can see, without
    waiting for screening approval."""
    if not access.may_convene(by, referral):
        raise NotPermitted("Police, health or social work staff who can see the concern convene.")
    if not reason.strip():
        raise IrdRefused("Say why an IRD is needed now.")
    if referral.status == Referral.Status.CLOSED:
        raise IrdRefused(f"Referral {referral.reference} is closed: no IRD can be asked for.")
    Referral.objects.select_for_update().get(pk=referral.pk)  # one request at a time
    ird = ird_request_open(
        referral=referral, decision=None, by=by, route=Ird.Route.AGENCY_REQUEST, reason=reason
    )
    return ird


@transaction.atomic
def ird_follow_on(*, ird: Ird, by, reason: str, route: str = Ird.Route.REPEAT) -> Ird:
    """A further IRD in the same episode, linked to `ird`: after further enquiries (opened at
    sign-off) or a repeat IRD someone asks for with a reason once `ird` is signed off."""
    ird = _lock(ird)
    if ird.status != Status.SIGNED_OFF:
        raise IrdRefused(f"{ird.reference} is not signed off: a further IRD follows sign-off.")
    if route == Ird.Route.REPEAT and not access.viewer(by, ird).can_request_repeat:
        raise NotPermitted(
            "A coordinator or someone from police, health or social work invited to the IRD "
            "asks for a repeat IRD."
        )
    if not reason.strip():
        raise IrdRefused("Say why a further IRD is needed.")
    if ird.referral.status == Referral.Status.CLOSED:
        raise IrdRefused(f"Referral {ird.referral.reference} is closed: reopen it first.")
    under_way = (
        Ird.objects.filter(referral=ird.referral)
        .exclude(status__in=[Status.SIGNED_OFF, Status.CANCELLED])
        .first()
    )
    if under_way is not None:
        raise IrdRefused(f"{under_way.reference} is already under way for this referral.")
    return ird_request_open(
        referral=ird.referral, decision=None, by=by, route=route, reason=reason, previous=ird
    )


@transaction.atomic
def initial_discussion_record(*, ird: Ird, by, held_at: datetime, summary: str) -> Ird:
    """Out of hours: a short initial discussion covering immediate protection. The full IRD is
    then due the next working day, a deadline of its own."""
    ird = _lock(ird)
    if not access.viewer(by, ird).can_record_initial_discussion:
        raise NotPermitted(
            "A coordinator or the police, health or social work staff who asked for the IRD "
            "record the initial discussion."
        )
    if ird.status not in (Status.REQUESTED, Status.SCHEDULED):
        raise IrdRefused(
            f"{ird.reference} is {ird.get_status_display().lower()}: the initial discussion "
            "comes before the full IRD."
        )
    if ird.initial_discussion_at is not None:
        raise IrdRefused(f"The initial discussion of {ird.reference} is already recorded.")
    now = timezone.now()
    if held_at > now:
        raise IrdRefused("The initial discussion cannot be in the future.")
    if held_at < ird.requested_at - timedelta(days=1):
        raise IrdRefused("The initial discussion is about this concern: not before it arrived.")
    if not summary.strip():
        raise IrdRefused("Record what was discussed and agreed for the child's immediate safety.")
    ird.initial_discussion_at, ird.initial_discussion_by = held_at, by
    ird.initial_discussion = summary
    _save(ird, "initial_discussion_at", "initial_discussion_by", "initial_discussion")
    _referral_step(ird, "ird_full", owner=by, starts_at=held_at)
    chronology.chronology_add(
        people=list(ird.referral.children.all()),
        kind=ChronologyEntry.Kind.IRD,
        summary=f"IRD {ird.reference}: initial discussion out of hours; full IRD due the next "
        "working day.",
        occurred_at=held_at,
        referral=ird.referral,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"initial_discussion_at": held_at.isoformat()},
    )
    return ird


# --- Scheduling -------------------------------------------------------------------------------


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


# --- The meeting and its live record --------------------------------------------------------


def _writing(ird: Ird, by, key: str) -> None:
    """The recorder writes any section; each other participant their own agency's."""
    viewer = access.viewer(by, ird)
    if viewer.is_recorder or not viewer.invited:
        _recording(ird, by)
        return
    _record_open(ird)
    if key not in viewer.writable_sections:
        raise NotPermitted(
            "You write your own agency's information in the record; the recorder writes the rest."
        )


def _record_open(ird: Ird) -> None:
    if ird.status == Status.SIGNED_OFF:
        raise RecordLocked(
            f"The record of {ird.reference} has been signed off: add an addendum instead."
        )
    if ird.status not in access.RECORDING:
        raise IrdRefused(
            f"{ird.reference} is {ird.get_status_display().lower()}: the record "
            "opens when the IRD starts."
        )


def _recording(ird: Ird, by) -> None:
    """Only the recorder changes the record, only while it is open."""
    if ird.status == Status.SIGNED_OFF:
        _record_open(ird)
    if not access.viewer(by, ird).is_recorder:
        raise NotPermitted("Only the recorder edits the IRD record.")
    _record_open(ird)


@transaction.atomic
def ird_start(
    *,
    ird: Ird,
    by,
    reason: str,
    started_at: datetime | None = None,
    expected_version: int | None = None,
) -> Ird:
    ird = _lock(ird, expected_version)
    viewer = access.viewer(by, ird)
    if not (viewer.is_chair or viewer.is_recorder):
        raise NotPermitted("Only the chair or the recorder starts the IRD.")
    if ird.status != Status.SCHEDULED:
        raise IrdRefused(
            f"{ird.reference} is {ird.get_status_display().lower()}: only a "
            "scheduled IRD can start."
        )
    if not reason.strip():
        raise IrdRefused("Record why the IRD is being held.")
    now = timezone.now()
    ird.status = Status.IN_PROGRESS
    ird.started_at = started_at or now
    ird.reason = reason
    _save(ird, "status", "started_at", "reason")
    Revision.objects.create(
        ird=ird,
        key="reason",
        version=ird.record_version,
        text=f"Started {local_text(ird.started_at)}. {reason}",
        author=by,
        saved_at=now,
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"status": ird.status})
    return ird


@transaction.atomic
def section_save(*, ird: Ird, key: str, text: str, by, based_on: int) -> RecordSection:
    """Save one section as its writer types: the recorder any section, another participant
    their own agency's "information shared by" (access.Viewer.writable_sections). `based_on` is
    the version their text started from: if someone saved since, the save is refused
    (SectionConflict carries their text) and nothing is overwritten. The UPDATE itself is
    conditional on the version, so two saves can never both win."""
    ird = _lock(ird)  # waits for a sign-off under way, which then refuses this save
    if key not in RecordSection.Key.values:
        raise IrdRefused("There is no such section in the record.")
    _writing(ird, by, key)
    section = RecordSection.objects.select_related("updated_by").get(ird=ird, key=key)
    if section.version == based_on and section.text == text:
        return section  # nothing new (the field lost focus just after an autosave)
    now = timezone.now()
    saved = RecordSection.objects.filter(pk=section.pk, version=based_on).update(
        text=text, version=F("version") + 1, updated_by=by, updated_at=now
    )
    if not saved:
        raise SectionConflict(section)
    section.refresh_from_db()
    Revision.objects.create(
        ird=ird, key=key, version=section.version, text=text, author=by, saved_at=now
    )
    Ird.objects.filter(pk=ird.pk).update(record_version=F("record_version") + 1, updated_at=now)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"section": key, "version": section.version},
    )
    return section


@transaction.atomic
def attendance_add(
    *,
    ird: Ird,
    by,
    agency: Agency,
    name: str,
    role: str,
    joined_at: datetime,
    left_at: datetime | None = None,
    staff: Staff | None = None,
    seniority: str = "",
) -> Attendance:
    ird = _lock(ird)
    _recording(ird, by)
    if seniority and seniority not in Attendance.Seniority.values:
        raise IrdRefused("Choose the seniority: practitioner, first-line or senior manager.")
    if left_at is not None and left_at < joined_at:
        raise IrdRefused("The time someone left cannot be before the time they joined.")
    now = timezone.now()
    attendance = Attendance.objects.create(
        ird=ird,
        staff=staff,
        name=name,
        agency=agency,
        role=role,
        seniority=seniority,
        joined_at=joined_at,
        left_at=left_at,
        recorded_by=by,
        recorded_at=now,
    )
    described = ", ".join(
        part for part in (agency.name, role, attendance.get_seniority_display()) if part
    )
    _record_changed(
        ird,
        key="attendance",
        by=by,
        now=now,
        text=f"Attendance: {name} ({described}) "
        f"joined {local_text(joined_at)}"
        + (f", left {local_text(left_at)}" if left_at else "")
        + ".",
    )
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=ird, detail={"attendance": str(attendance.pk)}
    )
    return attendance


@transaction.atomic
def attendance_left(*, attendance: Attendance, by, left_at: datetime) -> Attendance:
    ird = _lock(attendance.ird)
    _recording(ird, by)
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    if left_at < attendance.joined_at:
        raise IrdRefused("The time someone left cannot be before the time they joined.")
    now = timezone.now()
    attendance.left_at = left_at
    attendance.save(update_fields=["left_at"])
    _record_changed(
        ird,
        key="attendance",
        by=by,
        now=now,
        text=f"Attendance: {attendance.name} left {local_text(left_at)}.",
    )
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=ird, detail={"attendance": str(attendance.pk)}
    )
    return attendance


@transaction.atomic
def absence_reason_record(*, ird: Ird, by, agency_kind: str, reason: str) -> AbsenceReason:
    ird = _lock(ird)
    _recording(ird, by)
    if agency_kind not in MUST_TAKE_PART:
        raise IrdRefused("Reasons for absence are recorded for police, health and social work.")
    if not reason.strip():
        raise IrdRefused("Record why the agency did not take part.")
    now = timezone.now()
    absence, _created = AbsenceReason.objects.update_or_create(
        ird=ird,
        agency_kind=agency_kind,
        defaults={"reason": reason, "recorded_by": by, "recorded_at": now},
    )
    _record_changed(
        ird,
        key="attendance",
        by=by,
        now=now,
        text=f"{Agency.Kind(agency_kind).label} did not take part: {reason}",
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"absence": agency_kind})
    return absence


@transaction.atomic
def record_details_save(*, ird: Ird, by, mode: str, chronology_considered: bool) -> Ird:
    """How the IRD was held, and the recorder's confirmation that the integrated chronology was
    before it. Unticking the confirmation withdraws it."""
    ird = _lock(ird)
    _recording(ird, by)
    if mode and mode not in Ird.Mode.values:
        raise IrdRefused("Choose how the IRD was held: teleconference, video call or in person.")
    now = timezone.now()
    ird.mode = mode
    if chronology_considered and ird.chronology_considered_at is None:
        ird.chronology_considered_at, ird.chronology_considered_by = now, by
    elif not chronology_considered:
        ird.chronology_considered_at = ird.chronology_considered_by = None
    _save(ird, "mode", "chronology_considered_at", "chronology_considered_by", record=False)
    _record_changed(
        ird,
        key="details",
        by=by,
        now=now,
        text=f"Held by {ird.get_mode_display().lower() or '(not recorded)'}. Integrated "
        f"chronology considered: {'yes' if chronology_considered else 'not confirmed'}.",
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"mode": mode, "chronology_considered": chronology_considered},
    )
    return ird


@transaction.atomic
def lead_professional_name(*, ird: Ird, by, lead: Staff) -> Ird:
    ird = _lock(ird)
    _recording(ird, by)
    if not access.can_lead(lead):
        raise IrdRefused(
            "The lead professional is a social worker (National Guidance 2021 para 3.40)."
        )
    now = timezone.now()
    ird.lead_professional = lead
    _save(ird, "lead_professional", record=False)
    _record_changed(
        ird,
        key="lead_professional",
        by=by,
        now=now,
        text=f"Lead professional: {lead.get_full_name() or lead.username}.",
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"lead_professional": str(lead.pk)},
    )
    return ird


@transaction.atomic
def decision_add(*, ird: Ird, by, code: DecisionCode, rationale: str) -> IrdDecision:
    ird = _lock(ird)
    _recording(ird, by)
    if not code.in_use_on():
        raise IrdRefused("That decision is not in use today.")
    if not rationale.strip():
        raise IrdRefused("Give the reasons for the decision.")
    now = timezone.now()
    try:
        with transaction.atomic():
            decision = IrdDecision.objects.create(
                ird=ird, code=code, rationale=rationale, recorded_by=by, recorded_at=now
            )
    except IntegrityError:
        raise IrdRefused(
            f"'{code.label}' is already recorded: change its reasons by "
            "removing it and recording it again."
        ) from None
    _record_changed(
        ird,
        key="decisions",
        by=by,
        now=now,
        text=f"Decision recorded: {code.label}. Reasons: {rationale}",
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"decision": code.code})
    return decision


@transaction.atomic
def decision_remove(*, decision: IrdDecision, by) -> None:
    ird = _lock(decision.ird)
    _recording(ird, by)
    label = decision.code.label
    deleted, _ = IrdDecision.objects.filter(pk=decision.pk).delete()
    if deleted:
        now = timezone.now()
        _record_changed(ird, key="decisions", by=by, now=now, text=f"Decision removed: {label}.")
        audit.record(
            actor=by,
            action=audit.Action.CHANGE,
            subject=ird,
            detail={"decision_removed": decision.code.code},
        )


def action_due_at(due_date: date) -> datetime:
    return datetime.combine(due_date, ACTION_DUE_TIME, tzinfo=LONDON)


@transaction.atomic
def action_add(
    *,
    ird: Ird,
    by,
    description: str,
    owner_agency: Agency,
    due_date: date,
    owner: Staff | None = None,
    holds_cppm: bool = False,
) -> IrdAction:
    """An action agreed at the IRD, tracked to its due date by the timescales engine."""
    ird = _lock(ird)
    _recording(ird, by)
    if not description.strip():
        raise IrdRefused("Describe the action.")
    if owner is not None and owner.agency_id != owner_agency.pk:
        raise IrdRefused(f"{owner} does not work for {owner_agency.name}.")
    today = timezone.localdate()
    if due_date < today:
        raise IrdRefused("The due date of an action cannot be in the past.")
    if due_date > today + ACTION_DUE_WITHIN:
        raise IrdRefused(
            "An action agreed at an IRD is due within a year: "
            f"set a due date by {today + ACTION_DUE_WITHIN:%d %B %Y}."
        )
    now = timezone.now()
    action = IrdAction.objects.create(
        ird=ird,
        description=description,
        owner_agency=owner_agency,
        owner=owner,
        due_date=due_date,
        holds_cppm=holds_cppm,
        created_by=by,
    )
    open_deadline(
        "ird_action",
        subject_type="ird_action",
        subject_id=str(action.pk),
        url=ird_url(ird),
        referral=ird.referral,
        owner=owner,
        team=owner.team if owner is not None and owner.team_id else ird.referral.team,
        starts_at=now,
        due_at=max(action_due_at(due_date), now),
    )
    _record_changed(
        ird,
        key="actions",
        by=by,
        now=now,
        text=f"Action for {owner_agency.name}"
        f"{' (' + owner.get_full_name() + ')' if owner else ''}, due "
        f"{due_date:%d %b %Y}: {description}",
    )
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=ird, detail={"action": str(action.pk)}
    )
    return action


def _actor_label(by) -> str:
    if getattr(by, "is_api_client", False):
        return str(by)
    return by.get_full_name() or by.username


@transaction.atomic
def action_update(
    *, action: IrdAction, by, status: str, completion_note: str = "", expected_version: int
) -> IrdAction:
    """The owning agency reports on its action. `expected_version` is the version the form or
    the partner's ETag was read at; the UPDATE is conditional on it, so of two updates from the
    same version exactly one wins and the other is refused (ActionConflict)."""
    ird = Ird.objects.select_related("referral").get(pk=action.ird_id)
    if getattr(by, "is_api_client", False):
        allowed = access.agency_may_update_action(by.agency_id, action)
    else:
        allowed = access.viewer(by, ird).can_update_action(action)
    if not allowed:
        raise NotPermitted("Only the agency that owns this action updates it.")
    if status not in IrdAction.Status.values:
        raise IrdRefused("Choose open, done or cancelled.")
    current = IrdAction.objects.get(pk=action.pk)
    if current.version != expected_version:
        raise ActionConflict(
            "This action was updated by someone else since you read it: "
            "read it again and repeat your change if it is still needed."
        )
    if current.status != IrdAction.Status.OPEN and status != current.status:
        raise IllegalTransition(  # 409: the action's state, not the request, is the obstacle
            f"This action is {current.get_status_display().lower()}: it cannot "
            "be changed again. Agree a new action instead."
        )
    if status == IrdAction.Status.DONE and not (completion_note or current.completion_note).strip():
        raise IrdRefused("Say what was done (completion note).")
    now = timezone.now()
    finished = status != IrdAction.Status.OPEN and current.status == IrdAction.Status.OPEN
    updated = IrdAction.objects.filter(pk=action.pk, version=expected_version).update(
        status=status,
        completion_note=completion_note or current.completion_note,
        completed_at=now if finished else current.completed_at,
        completed_by_label=_actor_label(by) if finished else current.completed_by_label,
        version=F("version") + 1,
        updated_at=now,
    )
    if not updated:
        raise ActionConflict(
            "This action was updated by someone else at the same moment: "
            "read it again and repeat your change if it is still needed."
        )
    action = IrdAction.objects.select_related("owner_agency", "owner").get(pk=action.pk)
    if finished and status == IrdAction.Status.DONE:
        deadlines.deadline_meet(
            kind="ird_action", subject_type="ird_action", subject_id=str(action.pk)
        )
        if action.holds_cppm:
            deadlines.deadline_meet(
                kind="cppm", subject_type="referral", subject_id=str(ird.referral_id)
            )
        chronology.chronology_add(
            people=_included_children(ird),
            kind=ChronologyEntry.Kind.ACTION,
            summary=f"IRD {ird.reference} action done ({action.owner_agency.name}): "
            f"{action.description[:200]}",
            occurred_at=now,
            referral=ird.referral,
            recorded_by=by if not getattr(by, "is_api_client", False) else None,
        )
    elif finished:
        deadlines.deadline_cancel(
            kind="ird_action", subject_type="ird_action", subject_id=str(action.pk)
        )
    change = (
        f"Action {action.get_status_display().lower()} ({_actor_label(by)}): "
        f"{action.description[:200]}"
        + (f" Note: {action.completion_note}" if action.completion_note else "")
    )
    if getattr(by, "is_api_client", False):
        # A partner system is no staff account to name as a revision's author: the audit row
        # below names it, and the watchers still see the change.
        Ird.objects.filter(pk=ird.pk).update(record_version=F("record_version") + 1, updated_at=now)
    else:
        _record_changed(ird, key="actions", by=by, now=now, text=change)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=action,
        object_type="irdaction",
        detail={"ird": str(ird.pk), "status": status, "version": action.version},
    )
    return action


def sign_off_problems(ird: Ird) -> list[str]:
    """What stops the chair signing off (empty: nothing). Guidance: police, health and social
    work take part (NG2021 3.18) - a reason for an absence explains it but does not make the
    IRD complete; the record holds the analysis of risk and need and the reasons for the
    decisions; the lead professional is named before closure (3.40)."""
    problems = []
    present = {attendance.agency.kind for attendance in ird.attendance.select_related("agency")}
    for kind in MUST_TAKE_PART:
        if kind not in present:
            problems.append(
                f"No one from {Agency.Kind(kind).label.lower()} is recorded as attending: "
                "police, health and social work must take part in an IRD."
            )
    if not ird.mode:
        problems.append("Record how the IRD was held (teleconference, video call or in person).")
    if ird.chronology_considered_at is None:
        problems.append("Confirm the integrated chronology was considered.")
    if ird.lead_professional_id is None:
        problems.append("Name the lead professional.")
    if not ird.decisions.exists():
        problems.append("Record at least one decision, with its reasons.")
    written = {
        key: bool(text.strip())
        for key, text in ird.sections.filter(key__in=REQUIRED_SECTIONS).values_list("key", "text")
    }
    for key, problem in REQUIRED_SECTIONS.items():
        if not written.get(key):
            problems.append(problem)
    if ird.children.filter(included__isnull=True).exists():
        problems.append(
            "Decide whether each proposed brother, sister or other child is "
            "included, or record why not."
        )
    return problems


@transaction.atomic
def ird_conclude(*, ird: Ird, by, expected_version: int | None = None) -> Ird:
    """The call has ended: the IRD is held. The record stays open for the recorder until the
    chair signs it off (its own deadline), and the follow-up checklist starts."""
    ird = _lock(ird, expected_version)
    viewer = access.viewer(by, ird)
    if not (viewer.is_chair or viewer.is_recorder):
        raise NotPermitted("Only the chair or the recorder concludes the IRD.")
    if ird.status != Status.IN_PROGRESS:
        raise IrdRefused(
            f"{ird.reference} is {ird.get_status_display().lower()}: only an IRD "
            "in progress can be concluded."
        )
    now = timezone.now()
    ird.status = Status.CONCLUDED
    ird.concluded_at = now
    _save(ird, "status", "concluded_at")
    _referral_step_done(ird, "ird_held")
    _referral_step_done(ird, "ird_full")
    _referral_step(ird, "ird_record", owner=ird.chair, starts_at=now)
    _ensure_follow_up(ird, now)
    _chronicle(
        ird,
        by=by,
        summary=f"IRD {ird.reference} held.",
        target=Referral.Status.IRD_HELD,
        occurred_at=ird.started_at or now,
    )
    audit.record(actor=by, action=audit.Action.CHANGE, subject=ird, detail={"status": ird.status})
    return ird


def _ensure_follow_up(ird: Ird, now: datetime) -> None:
    codes = list(FOLLOW_UP_ALWAYS)
    if ird.decisions.filter(code__medical_examination=True).exists():
        codes.append(FollowUpItem.Code.MEDICAL)
    existing = set(ird.follow_up.values_list("code", flat=True))
    owner = ird.lead_professional or ird.chair
    for code in codes:
        if code in existing:
            continue
        item = FollowUpItem(ird=ird, code=code, due_at=now)
        deadline = open_deadline(
            "ird_follow_up",
            subject_type="ird_follow_up",
            subject_id=str(item.pk),
            url=ird_url(ird),
            referral=ird.referral,
            owner=owner,
            team=ird.referral.team,
            starts_at=now,
        )
        item.due_at = deadline.due_at
        item.save()


@transaction.atomic
def ird_sign_off(
    *, ird: Ird, by, confirmed: bool = False, expected_version: int | None = None
) -> Ird:
    """The chair signs the record off, confirming it is accurate and complete (`confirmed`:
    the box on the page); from then on it changes only by addenda."""
    ird = _lock(ird, expected_version)
    if not access.viewer(by, ird).is_chair:
        raise NotPermitted("Only the chair signs the IRD record off.")
    if ird.status == Status.SIGNED_OFF:
        return ird  # a double submit: already done
    if ird.status != Status.CONCLUDED:
        raise IrdRefused("Conclude the IRD before signing its record off.")
    problems = sign_off_problems(ird)
    if not problems and not confirmed:
        problems = [CONFIRM_SIGN_OFF]
    if problems:
        raise SignOffRefused(problems)
    now = timezone.now()
    ird.status = Status.SIGNED_OFF
    ird.signed_off_at, ird.signed_off_by = now, by
    _save(ird, "status", "signed_off_at", "signed_off_by")
    _referral_step_done(ird, "ird_record")
    decisions = list(ird.decisions.select_related("code"))
    effects = {decision.code.cppm for decision in decisions}
    if DecisionCode.Cppm.NOT_NEEDED in effects and DecisionCode.Cppm.NEEDED not in effects:
        # The IRD decided no planning meeting is needed: its deadline stops chasing.
        deadlines.deadline_cancel(
            subject_type="referral", subject_id=str(ird.referral_id), kind="cppm"
        )
    _ensure_follow_up(ird, now)
    labels = "; ".join(decision.code.label for decision in decisions)
    _chronicle(
        ird,
        by=by,
        summary=f"IRD {ird.reference} record signed off. Decisions: {labels}.",
        occurred_at=now,
    )
    notify_people(
        _invited_staff(ird),
        title=f"IRD {ird.reference} record signed off",
        ird=ird,
        url=ird_url(ird, "ird:record"),
    )
    further = [decision for decision in decisions if decision.code.further_ird]
    if further and ird.referral.status != Referral.Status.CLOSED:
        ird_follow_on(
            ird=ird,
            by=by,
            route=Ird.Route.FURTHER,
            reason=f"{further[0].code.label}: {further[0].rationale}",
        )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=ird,
        detail={"status": ird.status, "decisions": [d.code.code for d in decisions]},
    )
    return ird


# --- After sign-off --------------------------------------------------------------------------


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


# --- The IRD procedure and its trials ------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _committee() -> list[Staff]:
    return list(Staff.objects.filter(role=Role.COMMITTEE, is_active=True))


def _open_review_reminders(procedure: ProcedureVersion, now: datetime) -> None:
    """One deadline per committee member: each is warned before the trial ends and chased
    after it (escalating to service managers), until the review is recorded."""
    due_at = datetime.combine(procedure.trial_ends_on, REVIEW_DUE_TIME, tzinfo=LONDON)
    for member in _committee():
        open_deadline(
            "ird_procedure_review",
            subject_type="ird_procedure",
            subject_id=str(procedure.pk),
            subject_label=f"the IRD procedure {procedure.version}",
            url=reverse("ird:procedure_detail", args=[procedure.pk]),
            owner=member,
            team=member.team,
            starts_at=min(now, due_at),
            due_at=due_at,
        )


def _committee_only(by) -> None:
    if not access.is_quality_staff(by):
        raise NotPermitted("IRD procedures are managed by the child protection committee.")


@transaction.atomic
def procedure_start(
    *,
    by,
    title: str,
    version: str,
    effective_from: date,
    text: str = "",
    document_reference: str = "",
    trial_months: int = 3,
    previous: ProcedureVersion | None = None,
) -> ProcedureVersion:
    """A new version of the IRD procedure starts its trial; the version it replaces (if any
    is in trial or adopted) is superseded."""
    _committee_only(by)
    if not title.strip() or not version.strip():
        raise IrdRefused("Give the procedure's title and version.")
    if not text.strip() and not document_reference.strip():
        raise IrdRefused("Give the procedure's text or where its document is kept.")
    if not 1 <= trial_months <= 24:
        raise IrdRefused("A trial lasts between 1 and 24 months.")
    if ProcedureVersion.objects.filter(version=version.strip()).exists():
        raise IrdRefused(f"Version {version} already exists: number the new version.")
    now = timezone.now()
    replaced = list(
        ProcedureVersion.objects.select_for_update().filter(
            status__in=[ProcedureVersion.Status.TRIAL, ProcedureVersion.Status.ADOPTED]
        )
    )
    procedure = ProcedureVersion.objects.create(
        title=title.strip(),
        version=version.strip(),
        effective_from=effective_from,
        trial_months=trial_months,
        trial_ends_on=add_months(effective_from, trial_months),
        text=text,
        document_reference=document_reference,
        previous=previous,
        created_by=by,
    )
    for old in replaced:
        old.status = ProcedureVersion.Status.SUPERSEDED
        old.save(update_fields=["status"])
        deadlines.deadline_cancel(subject_type="ird_procedure", subject_id=str(old.pk))
    _open_review_reminders(procedure, now)
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=procedure,
        object_type="irdprocedure",
        detail={"version": procedure.version},
    )
    return procedure


@transaction.atomic
def procedure_review(
    *,
    procedure: ProcedureVersion,
    by,
    outcome: str,
    notes: str,
    extended_until: date | None = None,
    next_version: dict | None = None,
) -> ProcedureReview:
    """Record the committee's review at the end of a trial: adopt, amend (the next version
    starts its own trial, now or later from the procedures page) or extend the trial."""
    _committee_only(by)
    procedure = ProcedureVersion.objects.select_for_update().get(pk=procedure.pk)
    if procedure.status != ProcedureVersion.Status.TRIAL:
        raise IrdRefused("Only a procedure version in its trial is reviewed.")
    if not notes.strip():
        raise IrdRefused("Record what the review found.")
    if outcome not in ProcedureReview.Outcome.values:
        raise IrdRefused("Choose adopt, amend or extend.")
    now = timezone.now()
    deadlines.deadline_meet(
        kind="ird_procedure_review", subject_type="ird_procedure", subject_id=str(procedure.pk)
    )
    review = ProcedureReview(
        procedure=procedure, outcome=outcome, notes=notes, reviewed_by=by, reviewed_at=now
    )
    if outcome == ProcedureReview.Outcome.EXTEND:
        if extended_until is None or extended_until <= procedure.trial_ends_on:
            raise IrdRefused(
                "Give a new end of the trial, after the current one "
                f"({procedure.trial_ends_on:%d %b %Y})."
            )
        procedure.trial_ends_on = extended_until
        procedure.save(update_fields=["trial_ends_on"])
        review.extended_until = extended_until
        _open_review_reminders(procedure, now)
    elif outcome == ProcedureReview.Outcome.ADOPT:
        procedure.status = ProcedureVersion.Status.ADOPTED
        procedure.save(update_fields=["status"])
    else:
        procedure.status = ProcedureVersion.Status.SUPERSEDED
        procedure.save(update_fields=["status"])
        if next_version:
            review.next_version = procedure_start(by=by, previous=procedure, **next_version)
    review.save()
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=procedure,
        object_type="irdprocedure",
        detail={"review": outcome},
    )
    return review
