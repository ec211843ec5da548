"""Child protection planning meetings (CPPMs) and the child protection register: every write,
one function per verb, guarded, audited and queued after commit as the IRD services are.

Practice (National Guidance for Child Protection in Scotland 2021 (2023), 3.130-3.138 and
Appendix D):
- an initial or pre-birth CPPM follows a signed-off IRD that decided one is needed, within 28
  calendar days (the referral's `cppm` deadline, opened at screening approval); a pre-birth CPPM
  also by 28 weeks' gestation. Later than that needs an accountable senior manager (a service
  manager), an interim safety plan and recorded reasons;
- invitees get 5 calendar days' notice where possible (a shorter notice records why);
- an inquorate CPPM is reconvened within 10 working days; the record is issued within 10
  working days of the meeting;
- a child registered at a pre-birth CPPM is reviewed within 3 months, otherwise within 6 months
  and 6-monthly after; a child registered elsewhere who moves here has a transfer CPPM within
  21 working days, registered here temporarily until then;
- only a review CPPM removes a child from the register; a child has one registration at a time.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ird import access, calendar, core_group, selectors, services
from ird.errors import CppmRefused
from ird.models import (
    CalendarMessage,
    Cppm,
    CppmInvitation,
    DecisionCode,
    Ird,
    IrdChild,
    Registration,
)
from referrals import audit, chronology, deadlines, notifications, references
from referrals.errors import EditConflict, NotPermitted
from referrals.models import (
    ChronologyEntry,
    ConcernCategory,
    Deadline,
    Notification,
    Person,
    Referral,
    Role,
    Staff,
)
from referrals.services import progress
from referrals.working_days import LONDON

Kind = Cppm.Kind
Status = Cppm.Status
NOTICE = timedelta(days=5)  # NG2023 Appendix D: 5 calendar days' notice where possible
SCHEDULE_WITHIN = timedelta(days=366)
GESTATION_LIMIT = timedelta(weeks=40 - 28)  # 28 weeks' gestation: 12 weeks before the due date
DUE_TIME = time(17, 0)
FIRST = frozenset({Kind.INITIAL, Kind.PRE_BIRTH})  # the ones the 28 days apply to
REGISTERS = frozenset({Kind.INITIAL, Kind.PRE_BIRTH, Kind.TRANSFER})

# Every change of a CPPM's status passes this table (as referrals.lifecycle for referrals).
CPPM_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SCHEDULED: frozenset({Status.HELD, Status.INQUORATE, Status.CANCELLED}),
    Status.HELD: frozenset(),
    Status.INQUORATE: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _move(cppm: Cppm, target: str) -> None:
    if target not in CPPM_TRANSITIONS.get(cppm.status, frozenset()):
        raise CppmRefused(
            f"{cppm.reference} is {cppm.get_status_display().lower()}: it cannot become "
            f"{Status(target).label.lower()}."
        )
    cppm.status = target


def cppm_url(cppm: Cppm) -> str:
    return reverse("ird:cppm_detail", args=[cppm.pk])


def _due(day: date) -> datetime:
    return datetime.combine(day, DUE_TIME, tzinfo=LONDON)


def _name(person: Person) -> str:
    return person.full_name


# --- What a referral's CPPM would be -------------------------------------------------------


def signed_off_ird(referral: Referral) -> Ird | None:
    return (
        Ird.objects.filter(referral=referral, status=Ird.Status.SIGNED_OFF)
        .order_by("-signed_off_at")
        .first()
    )


def ird_decided_cppm(ird: Ird) -> bool:
    return ird.decisions.filter(code__cppm=DecisionCode.Cppm.NEEDED).exists()


def active_registrations(people) -> dict:
    return {
        registration.person_id: registration
        for registration in Registration.objects.filter(
            person__in=list(people), ended_on__isnull=True
        )
    }


def _referral_children(referral: Referral, ird: Ird | None) -> list[Person]:
    """The children the IRD covered (brothers and sisters included), else the referral's."""
    if ird is not None:
        covered = [
            child.person
            for child in IrdChild.objects.filter(ird=ird, included=True).select_related("person")
        ]
        if covered:
            return covered
    return list(referral.children.all())


def cppm_children(referral: Referral, kind: str) -> list[Person]:
    """Who a CPPM of this kind about the referral would consider: a review, the children on
    the register; a transfer, those registered here temporarily; otherwise the IRD's children."""
    ird = signed_off_ird(referral)
    children = _referral_children(referral, ird)
    if kind in FIRST:
        return children
    registered = active_registrations(children)
    wanted_temporary = kind == Kind.TRANSFER
    return [
        child
        for child in children
        if child.pk in registered and registered[child.pk].temporary == wanted_temporary
    ]


def _live(kind: str, subject_type: str, subject_id) -> Deadline | None:
    return (
        deadlines.live_deadlines(subject_type=subject_type, subject_id=str(subject_id), kind=kind)
        .order_by("due_at")
        .first()
    )


def _registration_deadlines(children, kinds) -> list[Deadline]:
    ids = [str(registration.pk) for registration in active_registrations(children).values()]
    return list(
        Deadline.objects.filter(
            subject_type="cp_registration",
            subject_id__in=ids,
            timescale__kind__in=kinds,
            state__in=deadlines.LIVE_STATES,
        ).order_by("due_at")
    )


def cppm_due_at(referral: Referral, kind: str, children) -> datetime | None:
    """When the CPPM is due: the 28 days (or 28 weeks' gestation) for the first one, the
    registration's review or transfer deadline otherwise."""
    if kind in FIRST:
        found = _live("cppm", "referral", referral.pk)
        return found.due_at if found else None
    kinds = ["cppm_transfer"] if kind == Kind.TRANSFER else ["cppm_review", "cppm_review_pre_birth"]
    found = _registration_deadlines(children, kinds)
    return found[0].due_at if found else None


def _ensure_cppm_deadline(referral: Referral, ird: Ird, kind: str, children, by) -> None:
    """The 28 days open at screening approval; an IRD asked for on arrival may have none yet,
    so they start from the concern. A pre-birth CPPM is due by 28 weeks' gestation too."""
    subject = {"subject_type": "referral", "subject_id": str(referral.pk)}
    if not Deadline.objects.filter(timescale__kind="cppm", **subject).exists():
        services.open_deadline(
            "cppm",
            starts_at=ird.requested_at,
            owner=ird.lead_professional or by,
            team=referral.team,
            **deadlines.referral_subject(referral),
        )
    if kind != Kind.PRE_BIRTH:
        return
    due_dates = [
        child.expected_date_of_delivery
        for child in children
        if child.unborn and child.expected_date_of_delivery
    ]
    live = _live("cppm", "referral", referral.pk)
    if live is not None and due_dates:
        by_gestation = _due(min(due_dates) - GESTATION_LIMIT)
        if by_gestation < live.due_at:
            deadlines.deadline_extend(
                kind="cppm", due_at=max(by_gestation, live.starts_at), **subject
            )


# --- Scheduling -------------------------------------------------------------------------------


@dataclass
class CppmPlan:
    kind: str
    scheduled_for: datetime
    chair: Staff
    invitees: list = field(default_factory=list)
    duration_minutes: int = 90
    place: str = ""
    dial_in: str = ""
    short_notice_reason: str = ""
    extension_reasons: str = ""
    interim_safety_plan: str = ""


def _check_kind_in_use(kind: str) -> None:
    """A kind retired from the lookup (or not yet in use) is not chosen for a new CPPM."""
    if not selectors.cppm_types_in_use().filter(kind=kind).exists():
        raise CppmRefused(
            f"{Kind(kind).label} CPPMs are not in use now: choose another kind of CPPM."
        )


def _check_kind(referral: Referral, plan: CppmPlan, ird: Ird | None, children) -> None:
    if plan.kind not in Kind.values:
        raise CppmRefused("Choose the kind of CPPM: initial, pre-birth, review or transfer.")
    if ird is None and plan.kind != Kind.TRANSFER:
        raise CppmRefused(
            f"A CPPM comes after its IRD: referral {referral.reference} has no signed-off IRD. "
            "Hold the IRD and sign its record off first."
        )
    if plan.kind in FIRST:
        if referral.status == Referral.Status.CLOSED:
            raise CppmRefused(f"Referral {referral.reference} is closed.")
        if not ird_decided_cppm(ird):
            raise CppmRefused(
                f"The IRD {ird.reference} did not decide that a child protection planning "
                "meeting is needed."
            )
    if not children:
        raise CppmRefused(
            {
                Kind.REVIEW: "A review CPPM is for a child on the register: no child of "
                f"referral {referral.reference} is registered.",
                Kind.TRANSFER: "A transfer CPPM is for a child registered here temporarily: "
                "record the temporary registration first.",
            }.get(plan.kind, "The CPPM has no child to consider.")
        )
    if plan.kind == Kind.PRE_BIRTH and not any(
        child.unborn and child.expected_date_of_delivery for child in children
    ):
        raise CppmRefused(
            "A pre-birth CPPM is about an unborn child: record the expected date of delivery "
            "on the child's details first."
        )


def _check_time(plan: CppmPlan, due_at: datetime | None, by, now: datetime) -> bool:
    """Whether the plan extends the 28 days (refused unless a service manager agrees it)."""
    if plan.scheduled_for < now - timedelta(minutes=5):
        raise CppmRefused("Choose a time for the CPPM that has not passed.")
    if plan.scheduled_for > now + SCHEDULE_WITHIN:
        raise CppmRefused("Schedule the CPPM within the next year.")
    if plan.scheduled_for - now < NOTICE and not plan.short_notice_reason.strip():
        raise CppmRefused(
            "Invitees get 5 days' notice of a CPPM where possible: choose a later date, or say "
            "why it must be sooner."
        )
    if plan.kind not in FIRST or due_at is None or plan.scheduled_for <= due_at:
        return False
    due = timezone.localtime(due_at).strftime("%d %B %Y")
    if by.role != Role.SERVICE_MANAGER:
        raise CppmRefused(
            f"The CPPM is due by {due}: a later date extends the timescale, which only an "
            "accountable senior manager (a service manager) can agree, with an interim safety "
            "plan and the reasons."
        )
    if not plan.interim_safety_plan.strip() or not plan.extension_reasons.strip():
        raise CppmRefused(
            f"The CPPM is due by {due}: to hold it later, record the interim safety plan and "
            "the reasons for the extension."
        )
    return True


def _statutory_due(referral: Referral, kind: str, children, previous) -> datetime | None:
    # A meeting reconvened after an inquorate one is chased by its own 10 working days.
    return None if previous else cppm_due_at(referral, kind, children)


def _check_people(plan: CppmPlan) -> list[Staff]:
    everyone = {staff.pk: staff for staff in [plan.chair, *plan.invitees]}
    if not access.is_coordinator(plan.chair):
        raise CppmRefused("A social work team manager or service manager chairs the CPPM.")
    refused = [str(staff) for staff in everyone.values() if not access.can_be_invited(staff)]
    if refused:
        raise CppmRefused(f"These people cannot be invited to a CPPM: {', '.join(refused)}.")
    kinds = {staff.agency.kind for staff in everyone.values()}
    missing = [kind.label.lower() for kind in services.MUST_TAKE_PART if kind not in kinds]
    if missing:
        raise CppmRefused(
            f"Invite police, health and social work to the CPPM: add someone from "
            f"{' and '.join(missing)}."
        )
    return list(everyone.values())


def _queue_calendar(
    cppm: Cppm, people, now: datetime, method: str = CalendarMessage.Method.REQUEST
) -> None:
    """One calendar event per meeting (as for IRDs): a move is a REQUEST, a cancellation a
    CANCEL, both at the meeting's next SEQUENCE, e-mailed to each person after commit."""
    ics = calendar.cppm_ics(cppm=cppm, method=method, attendees=people, stamp=now)
    messages = CalendarMessage.objects.bulk_create(
        CalendarMessage(
            cppm=cppm,
            recipient=staff,
            method=method,
            sequence=cppm.calendar_sequence,
            ics=ics,
            created_at=now,
        )
        for staff in people
    )
    for message in messages:
        transaction.on_commit(partial(services.queue_calendar_send, message.pk), robust=True)


def _notify(people, *, title: str, cppm: Cppm, email: bool = False) -> None:
    notifications.notify(
        people,
        kind=Notification.Kind.GENERAL,
        title=title,
        referral=cppm.referral,
        url=cppm_url(cppm),
        email=email,
    )


def _chronicle(cppm: Cppm, children, *, by, summary: str, occurred_at: datetime) -> None:
    chronology.chronology_add(
        people=list(children),
        kind=ChronologyEntry.Kind.CPPM,
        summary=summary,
        occurred_at=occurred_at,
        referral=cppm.referral,
        recorded_by=by,
    )


@transaction.atomic
def cppm_schedule(*, referral: Referral, by, plan: CppmPlan, previous: Cppm | None = None) -> Cppm:
    """Schedule a CPPM about the referral's children and send the invitations (with their
    calendar entry) after commit. `previous`: the inquorate meeting this one reconvenes."""
    if not access.may_coordinate(by, referral):
        raise NotPermitted("A social work manager of the referral's team schedules its CPPMs.")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)  # one at a time
    if previous is not None:
        previous = Cppm.objects.select_for_update().get(pk=previous.pk)
        if previous.status != Status.INQUORATE or previous.referral_id != referral.pk:
            raise CppmRefused("Only an inquorate CPPM of this referral is reconvened.")
        if Cppm.objects.filter(previous=previous).exists():
            raise CppmRefused(f"{previous.reference} has already been reconvened.")
        plan.kind = previous.kind  # reconvening is no new choice: a retired kind carries on
    elif plan.kind in Kind.values:
        _check_kind_in_use(plan.kind)
    ird = signed_off_ird(referral)
    children = list(previous.children.all()) if previous else cppm_children(referral, plan.kind)
    _check_kind(referral, plan, ird, children)
    if plan.kind in FIRST:
        _ensure_cppm_deadline(referral, ird, plan.kind, children, by)
    now = timezone.now()
    due_at = _statutory_due(referral, plan.kind, children, previous)
    extended = _check_time(plan, due_at, by, now)
    everyone = _check_people(plan)

    cppm = Cppm.objects.create(
        reference=references.next_reference("CPPM", "cppm", now),
        referral=referral,
        ird=ird,
        previous=previous,
        kind=plan.kind,
        scheduled_for=plan.scheduled_for.replace(second=0, microsecond=0),
        duration_minutes=plan.duration_minutes,
        place=plan.place,
        dial_in=plan.dial_in,
        chair=plan.chair,
        coordinator=by,
        short_notice_reason=plan.short_notice_reason,
        extended_by=by if extended else None,
        extension_reasons=plan.extension_reasons if extended else "",
        interim_safety_plan=plan.interim_safety_plan if extended else "",
    )
    cppm.children.set(children)
    CppmInvitation.objects.bulk_create(
        CppmInvitation(
            cppm=cppm,
            staff=staff,
            agency=staff.agency,
            role_in_cppm="Chair" if staff.pk == plan.chair.pk else staff.job_title or "",
            invited_at=now,
        )
        for staff in everyone
    )
    if extended:
        deadlines.deadline_extend(
            kind="cppm",
            subject_type="referral",
            subject_id=str(referral.pk),
            due_at=cppm.ends_at,
        )
    _queue_calendar(cppm, everyone, now)
    when = services.local_text(cppm.scheduled_for)
    _notify(everyone, title=f"CPPM invitation: {cppm.reference} on {when}", cppm=cppm)
    _chronicle(
        cppm,
        children,
        by=by,
        summary=f"{cppm.get_kind_display()} child protection planning meeting {cppm.reference} "
        f"scheduled for {when}." + (" The 28 days were extended." if extended else ""),
        occurred_at=now,
    )
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=cppm,
        detail={
            "referral": str(referral.pk),
            "kind": cppm.kind,
            "ird": str(ird.pk) if ird else None,
            "previous": str(previous.pk) if previous else None,
            "extended": extended,
            "invited": sorted(str(staff.pk) for staff in everyone),
        },
    )
    return cppm


# --- Moving or calling off a scheduled meeting -----------------------------------------------


def _lock_scheduled(cppm: Cppm, by, expected_version: int | None, verb: str, done: str) -> Cppm:
    """Lock at the version the user saw; who may schedule the CPPM moves or cancels it."""
    if not access.may_coordinate(by, cppm.referral):
        raise NotPermitted(f"A social work manager of the referral's team {verb} its CPPMs.")
    cppm = _lock(cppm, expected_version)
    if cppm.status != Status.SCHEDULED:
        raise CppmRefused(
            f"{cppm.reference} is {cppm.get_status_display().lower()}: only a scheduled CPPM "
            f"is {done}."
        )
    return cppm


def _invited(cppm: Cppm) -> list[Staff]:
    return [invitation.staff for invitation in cppm.invitations.select_related("staff")]


@transaction.atomic
def cppm_reschedule(
    *,
    cppm: Cppm,
    by,
    scheduled_for: datetime,
    reason: str,
    expected_version: int | None = None,
    short_notice_reason: str = "",
    extension_reasons: str = "",
    interim_safety_plan: str = "",
) -> Cppm:
    """Move a scheduled CPPM: everyone invited gets the same calendar event at the next
    SEQUENCE after commit. Later than the statutory due date is held to the same rule as
    scheduling it there (a service manager, an interim safety plan and the reasons)."""
    cppm = _lock_scheduled(cppm, by, expected_version, "reschedules", "moved")
    if not reason.strip():
        raise CppmRefused("Give the reason for moving the CPPM.")
    children = list(cppm.children.all())
    plan = CppmPlan(
        kind=cppm.kind,
        scheduled_for=scheduled_for.replace(second=0, microsecond=0),
        chair=cppm.chair,
        duration_minutes=cppm.duration_minutes,
        short_notice_reason=short_notice_reason,
        extension_reasons=extension_reasons,
        interim_safety_plan=interim_safety_plan,
    )
    if plan.scheduled_for == cppm.scheduled_for:
        raise CppmRefused(f"{cppm.reference} is already at that time: choose the new time.")
    now = timezone.now()
    due_at = _statutory_due(cppm.referral, cppm.kind, children, cppm.previous)
    extended = _check_time(plan, due_at, by, now)
    moved_from = cppm.scheduled_for
    cppm.scheduled_for, cppm.reschedule_reason = plan.scheduled_for, reason
    cppm.calendar_sequence += 1
    if short_notice_reason.strip():
        cppm.short_notice_reason = short_notice_reason
    if extended:  # an earlier extension's reasons stay, the new ones follow
        cppm.extended_by = by
        stamp = f"{timezone.localdate(now):%d %B %Y}: "
        cppm.extension_reasons = "\n\n".join(
            part for part in (cppm.extension_reasons, stamp + extension_reasons) if part
        )
        cppm.interim_safety_plan = "\n\n".join(
            part for part in (cppm.interim_safety_plan, stamp + interim_safety_plan) if part
        )
        deadlines.deadline_extend(
            kind="cppm",
            subject_type="referral",
            subject_id=str(cppm.referral_id),
            due_at=cppm.ends_at,
        )
    progress.save_new_version(
        cppm,
        "scheduled_for",
        "reschedule_reason",
        "calendar_sequence",
        "short_notice_reason",
        "extended_by",
        "extension_reasons",
        "interim_safety_plan",
    )
    invited = _invited(cppm)
    _queue_calendar(cppm, invited, now)
    when = services.local_text(cppm.scheduled_for)
    _notify(invited, title=f"CPPM {cppm.reference} rescheduled: now {when}", cppm=cppm)
    _chronicle(
        cppm,
        children,
        by=by,
        summary=f"CPPM {cppm.reference} moved from {services.local_text(moved_from)} to "
        f"{when}: {reason}" + (" The 28 days were extended." if extended else ""),
        occurred_at=now,
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=cppm,
        detail={
            "rescheduled_from": moved_from.isoformat(),
            "scheduled_for": cppm.scheduled_for.isoformat(),
            "extended": extended,
            "sequence": cppm.calendar_sequence,
        },
    )
    return cppm


@transaction.atomic
def cppm_cancel(*, cppm: Cppm, by, reason: str, expected_version: int | None = None) -> Cppm:
    """Call off a scheduled CPPM: everyone invited gets the calendar cancellation after
    commit, and the meeting's own deadlines close. The clock that asked for a CPPM (the 28
    days, a review, a transfer, a reconvening) stays open: only a CPPM held meets it."""
    cppm = _lock_scheduled(cppm, by, expected_version, "cancels", "cancelled")
    if not reason.strip():
        raise CppmRefused("Give the reason for cancelling the CPPM.")
    now = timezone.now()
    _move(cppm, Status.CANCELLED)
    cppm.cancelled_at, cppm.cancelled_by, cppm.cancellation_reason = now, by, reason
    cppm.calendar_sequence += 1
    progress.save_new_version(
        cppm,
        "status",
        "cancelled_at",
        "cancelled_by",
        "cancellation_reason",
        "calendar_sequence",
    )
    deadlines.deadline_cancel(subject_type="cppm", subject_id=str(cppm.pk))
    invited = _invited(cppm)
    _queue_calendar(cppm, invited, now, CalendarMessage.Method.CANCEL)
    _notify(invited, title=f"CPPM {cppm.reference} cancelled", cppm=cppm, email=True)
    _chronicle(
        cppm,
        cppm.children.all(),
        by=by,
        summary=f"CPPM {cppm.reference} cancelled: {reason}",
        occurred_at=now,
    )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=cppm,
        detail={"status": cppm.status, "sequence": cppm.calendar_sequence},
    )
    return cppm


# --- The meeting's outcome ----------------------------------------------------------------


@dataclass
class Outcome:
    quorate: bool
    held_at: datetime
    register: list = field(default_factory=list)  # children placed on the register
    deregister: list = field(default_factory=list)  # children removed (a review CPPM only)
    categories: list = field(default_factory=list)
    lead_professional: Staff | None = None
    reporter_referral: bool | None = None
    reporter_note: str = ""


def _lock(cppm: Cppm, expected_version: int | None) -> Cppm:
    locked = Cppm.objects.select_for_update(of=("self",)).select_related("referral").get(pk=cppm.pk)
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(
            f"{locked.reference} was changed by someone else while you were working on it. "
            "Check the CPPM as it is now and submit again."
        )
    return locked


def _check_outcome(cppm: Cppm, outcome: Outcome, children: dict, registered: dict) -> None:
    now = timezone.now()
    if outcome.held_at > now + timedelta(minutes=5):
        raise CppmRefused("The meeting's time cannot be in the future.")
    if outcome.held_at < cppm.scheduled_for - timedelta(days=1):
        raise CppmRefused("The meeting was held when it was scheduled, not days before.")
    if not outcome.quorate:
        return
    strangers = [
        _name(person)
        for person in [*outcome.register, *outcome.deregister]
        if person.pk not in children
    ]
    if strangers:
        raise CppmRefused(f"The CPPM did not consider {', '.join(strangers)}.")
    both = {person.pk for person in outcome.register} & {p.pk for p in outcome.deregister}
    if both:
        raise CppmRefused("A child is either registered or removed from the register, not both.")
    if outcome.deregister and cppm.kind != Kind.REVIEW:
        raise CppmRefused(
            "Only a review CPPM can remove a child from the child protection register."
        )
    if outcome.register and cppm.kind not in REGISTERS:
        raise CppmRefused(
            "A review CPPM keeps or removes registrations: the children it considers are "
            "already on the register."
        )
    for person in outcome.deregister:
        if person.pk not in registered:
            raise CppmRefused(f"{_name(person)} is not on the child protection register.")
    for person in outcome.register:
        current = registered.get(person.pk)
        if current is not None and not (current.temporary and cppm.kind == Kind.TRANSFER):
            raise CppmRefused(
                f"{_name(person)} is already on the child protection register (since "
                f"{current.registered_on:%d %B %Y}): a child has one registration at a time."
            )
    if outcome.register and not outcome.categories:
        raise CppmRefused("Record the categories of concern for the registration.")
    if (outcome.register or cppm.kind == Kind.REVIEW) and outcome.lead_professional is None:
        raise CppmRefused("Name the lead professional for the child's plan.")
    if outcome.lead_professional is not None and not access.can_lead(outcome.lead_professional):
        raise CppmRefused("The lead professional of a registered child is a social worker.")
    if outcome.reporter_referral is None or not outcome.reporter_note.strip():
        raise CppmRefused(
            "Record whether a referral to the Principal Reporter was made, with the reasons "
            "(National Guidance 2021 para 3.138)."
        )


def _register(cppm: Cppm, person: Person, outcome: Outcome, by, replacing=None) -> Registration:
    day = timezone.localdate(outcome.held_at)
    if replacing is not None:  # a transfer CPPM: the temporary registration becomes ours
        replacing.ended_on, replacing.ended_at = day, cppm
        replacing.save(update_fields=["ended_on", "ended_at"])
        deadlines.deadline_meet(
            kind="cppm_transfer", subject_type="cp_registration", subject_id=str(replacing.pk)
        )
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                person=person,
                referral=cppm.referral,
                registered_on=day,
                registered_at=cppm,
                recorded_by=by,
            )
    except IntegrityError:
        raise CppmRefused(
            f"{_name(person)} is already on the child protection register: a child has one "
            "registration at a time."
        ) from None
    registration.categories.set(outcome.categories)
    _open_review(registration, cppm, by, outcome)
    core_group.core_group_form(
        registration=registration,
        cppm=cppm,
        by=by,
        lead_professional=outcome.lead_professional,
        formed_at=outcome.held_at,
    )
    return registration


def _open_review(registration: Registration, cppm: Cppm, by, outcome: Outcome) -> None:
    kind = "cppm_review_pre_birth" if cppm.kind == Kind.PRE_BIRTH else "cppm_review"
    deadline = services.open_deadline(
        kind,
        subject_type="cp_registration",
        subject_id=str(registration.pk),
        subject_label=f"the registration from {cppm.reference}",
        url=reverse("ird:register"),
        referral=cppm.referral,
        owner=outcome.lead_professional or cppm.chair,
        team=cppm.referral.team,
        starts_at=outcome.held_at,
    )
    registration.review_due_on = timezone.localdate(deadline.due_at)
    registration.save(update_fields=["review_due_on"])


def _meet_reviews(registrations) -> None:
    for registration in registrations:
        for kind in ("cppm_review", "cppm_review_pre_birth"):
            deadlines.deadline_meet(
                kind=kind, subject_type="cp_registration", subject_id=str(registration.pk)
            )


@transaction.atomic
def cppm_outcome_record(
    *, cppm: Cppm, by, outcome: Outcome, expected_version: int | None = None
) -> Cppm:
    """The chair records the meeting: inquorate (to be reconvened within 10 working days) or
    held, with who is registered or removed from the register, the categories, the lead
    professional and whether the Principal Reporter was referred to. Nothing is saved if any
    part is refused."""
    cppm = _lock(cppm, expected_version)
    if not access.cppm_viewer(by, cppm).is_chair:
        raise NotPermitted("Only the chair records the CPPM's outcome.")
    if cppm.status != Status.SCHEDULED:
        raise CppmRefused(f"The outcome of {cppm.reference} is already recorded.")
    children = {person.pk: person for person in cppm.children.all()}
    registered = {
        registration.person_id: registration
        for registration in Registration.objects.select_for_update().filter(
            person_id__in=list(children), ended_on__isnull=True
        )
    }
    _check_outcome(cppm, outcome, children, registered)
    cppm.held_at, cppm.outcome_recorded_by = outcome.held_at, by
    subject = {"subject_type": "cppm", "subject_id": str(cppm.pk)}
    if not outcome.quorate:
        _move(cppm, Status.INQUORATE)
        progress.save_new_version(cppm, "status", "held_at", "outcome_recorded_by")
        services.open_deadline(
            "cppm_reconvene",
            url=cppm_url(cppm),
            referral=cppm.referral,
            owner=cppm.coordinator,
            team=cppm.referral.team,
            starts_at=outcome.held_at,
            **subject,
        )
        _chronicle(
            cppm,
            children.values(),
            by=by,
            summary=f"CPPM {cppm.reference} inquorate: to be reconvened within 10 working days.",
            occurred_at=outcome.held_at,
        )
        audit.record(
            actor=by, action=audit.Action.CHANGE, subject=cppm, detail={"status": "inquorate"}
        )
        return cppm

    _move(cppm, Status.HELD)
    cppm.lead_professional = outcome.lead_professional
    cppm.reporter_referral, cppm.reporter_note = outcome.reporter_referral, outcome.reporter_note
    progress.save_new_version(
        cppm,
        "status",
        "held_at",
        "outcome_recorded_by",
        "lead_professional",
        "reporter_referral",
        "reporter_note",
    )
    cppm.categories.set(outcome.categories)
    if cppm.kind in FIRST:
        deadlines.referral_step_done(cppm.referral, "cppm")
    if cppm.previous_id:
        deadlines.deadline_meet(
            kind="cppm_reconvene", subject_type="cppm", subject_id=str(cppm.previous_id)
        )
    registered_now = [
        _register(cppm, person, outcome, by, replacing=registered.get(person.pk))
        for person in outcome.register
    ]
    if cppm.kind == Kind.REVIEW:
        _meet_reviews(registered.values())
    ended = _end_registrations(cppm, outcome, registered, by)
    if cppm.kind == Kind.REVIEW:
        for person_id, registration in registered.items():
            if person_id not in ended:
                if outcome.categories:
                    registration.categories.set(outcome.categories)
                _open_review(registration, cppm, by, outcome)
    services.open_deadline(
        "cppm_record",
        url=cppm_url(cppm),
        referral=cppm.referral,
        owner=cppm.chair,
        team=cppm.referral.team,
        starts_at=outcome.held_at,
        **subject,
    )
    _chronicle_outcome(cppm, children, outcome, by, registered_now, ended)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=cppm,
        detail={
            "status": cppm.status,
            "registered": sorted(str(r.person_id) for r in registered_now),
            "deregistered": sorted(str(pk) for pk in ended),
            "categories": sorted(c.code for c in outcome.categories),
            "reporter_referral": outcome.reporter_referral,
        },
    )
    return cppm


def _end_registrations(cppm: Cppm, outcome: Outcome, registered, by) -> set:
    """Removed at a review; at a transfer CPPM a temporary registration not made ours lapses.
    The child's core group closes with the registration."""
    day = timezone.localdate(outcome.held_at)
    ending = {person.pk for person in outcome.deregister}
    if cppm.kind == Kind.TRANSFER:
        kept = {person.pk for person in outcome.register}
        ending |= {pk for pk, reg in registered.items() if reg.temporary and pk not in kept}
    for person_id in ending:
        registration = registered[person_id]
        registration.ended_on, registration.ended_at = day, cppm
        registration.save(update_fields=["ended_on", "ended_at"])
        deadlines.deadline_cancel(subject_type="cp_registration", subject_id=str(registration.pk))
        core_group.core_group_close(registration=registration, cppm=cppm, by=by, day=day)
    return ending


def _chronicle_outcome(cppm, children, outcome, by, registered_now, ended) -> None:
    registered_ids = {registration.person_id for registration in registered_now}
    for person in children.values():
        if person.pk in registered_ids:
            what = "placed on the child protection register"
        elif person.pk in ended:
            what = "removed from the child protection register"
        elif cppm.kind == Kind.REVIEW:
            what = "remains on the child protection register"
        else:
            what = "not registered"
        _chronicle(
            cppm,
            [person],
            by=by,
            summary=f"{cppm.get_kind_display()} CPPM {cppm.reference} held: {what}. Referral "
            f"to the Principal Reporter: {'yes' if outcome.reporter_referral else 'no'}.",
            occurred_at=outcome.held_at,
        )


# --- The record ---------------------------------------------------------------------------


@transaction.atomic
def cppm_record_save(*, cppm: Cppm, by, text: str, based_on: int, issue: bool = False) -> Cppm:
    """Save the record of the meeting, and issue it when `issue`. `based_on` is the version the
    text started from: the UPDATE is conditional on it, so of two saves from one version one
    wins and the other is refused (EditConflict), nothing overwritten."""
    cppm = Cppm.objects.select_related("referral").get(pk=cppm.pk)
    if not access.cppm_viewer(by, cppm).can_write_record:
        if cppm.record_issued_at is not None:
            raise CppmRefused(f"The record of {cppm.reference} was issued: it no longer changes.")
        raise NotPermitted(
            "The chair or a coordinator writes the record once the meeting has been held."
        )
    if issue and not text.strip():
        raise CppmRefused("Write the record before issuing it.")
    now = timezone.now()
    saved = Cppm.objects.filter(pk=cppm.pk, version=based_on, record_issued_at__isnull=True).update(
        record=text,
        record_issued_at=now if issue else None,
        version=F("version") + 1,
        updated_at=now,
    )
    if not saved:
        raise EditConflict(
            f"The record of {cppm.reference} was changed by someone else while you were "
            "writing. Your text is still in the box: check the record as it is now, combine "
            "them and save again."
        )
    cppm.refresh_from_db()
    if issue:
        deadlines.deadline_meet(kind="cppm_record", subject_type="cppm", subject_id=str(cppm.pk))
        invited = [inv.staff for inv in cppm.invitations.select_related("staff")]
        _notify(
            invited, title=f"CPPM {cppm.reference}: the record is issued", cppm=cppm, email=True
        )
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=cppm,
        detail={"record_version": cppm.version, "issued": issue},
    )
    return cppm


# --- Temporary registration -------------------------------------------------------------


@transaction.atomic
def registration_temporary_record(
    *,
    referral: Referral,
    person: Person,
    by,
    from_authority: str,
    registered_on: date,
    categories: list[ConcernCategory],
    moved_here: bool,
) -> Registration:
    """A child on another authority's register stays here: registered here temporarily. If
    the child has moved here to live, a transfer CPPM is due within 21 working days."""
    if not access.may_coordinate(by, referral):
        raise NotPermitted("A social work manager of the referral's team records registrations.")
    if not referral.child_links.filter(person=person).exists():
        raise CppmRefused(f"{_name(person)} is not a child of referral {referral.reference}.")
    if not from_authority.strip():
        raise CppmRefused("Name the authority whose register the child is on.")
    if not categories:
        raise CppmRefused("Record the categories of concern the child is registered under.")
    today = timezone.localdate()
    if registered_on > today:
        raise CppmRefused("The registration cannot start in the future.")
    current = active_registrations([person]).get(person.pk)
    if current is not None:
        raise CppmRefused(
            f"{_name(person)} is already on the child protection register (since "
            f"{current.registered_on:%d %B %Y}): a child has one registration at a time."
        )
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                person=person,
                referral=referral,
                temporary=True,
                from_authority=from_authority.strip(),
                registered_on=registered_on,
                recorded_by=by,
            )
    except IntegrityError:
        raise CppmRefused(f"{_name(person)} is already on the child protection register.") from None
    registration.categories.set(categories)
    now = timezone.now()
    if moved_here:
        deadline = services.open_deadline(
            "cppm_transfer",
            subject_type="cp_registration",
            subject_id=str(registration.pk),
            subject_label=f"the temporary registration on {referral.reference}",
            url=reverse("ird:register"),
            referral=referral,
            owner=by,
            team=referral.team,
            starts_at=now,
        )
        registration.review_due_on = timezone.localdate(deadline.due_at)
        registration.save(update_fields=["review_due_on"])
    chronology.chronology_add(
        people=[person],
        kind=ChronologyEntry.Kind.REGISTER,
        summary=f"Registered temporarily on the child protection register (registered by "
        f"{registration.from_authority})."
        + (" A transfer CPPM is due within 21 working days." if moved_here else ""),
        occurred_at=now,
        referral=referral,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=registration,
        object_type="cp_registration",
        detail={"person": str(person.pk), "temporary": True, "moved_here": moved_here},
    )
    return registration
