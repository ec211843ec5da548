"""Opening an IRD request: from an approved child protection screening decision, at once for a
concern of immediate risk or asking for one (any agency convenes), by a manager now, as a
follow-on after further enquiries, and the short initial discussion held out of hours. The
IRD clock starts when the concern arrived, not at approval."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ird import access, selectors
from ird.errors import (
    IrdRefused,
)
from ird.models import (
    Ird,
    IrdChild,
    RecordSection,
)
from ird.services.common import Status, _lock, _referral_step, _save, notify_people
from referrals import (
    audit,
    chronology,
    notifications,
    references,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Agency,
    ChronologyEntry,
    Referral,
    Role,
    ScreeningDecision,
    Staff,
)


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
    proposed = selectors.household_children(referral, timezone.localdate(now))
    IrdChild.objects.bulk_create(
        IrdChild(
            ird=ird,
            person=person,
            source=source,
            included=True if source == IrdChild.Source.REFERRAL else None,
            decided_at=now if source == IrdChild.Source.REFERRAL else None,
        )
        for person, source in proposed
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
        # The referral's children, as found for the proposals above.
        people=[person for person, source in proposed if source == IrdChild.Source.REFERRAL],
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
    (seam.ScreeningApproved)."""
    if decision.outcome == ScreeningDecision.Outcome.CHILD_PROTECTION:
        ird_request_open(referral=referral, decision=decision, by=decision.reviewed_by)


def on_referral_received(*, referral, actor=None) -> None:
    """seam.ReferralReceived: a concern from police, health or social
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
