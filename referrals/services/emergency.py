"""Emergency measures: recorded against a referral and its child, each kept to its statutory
clock (DOMAIN.md §2; Children's Hearings (Scotland) Act 2011). The measure's end is chased on
the timescales engine, and so is telling the Children's Reporter, until someone records it."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import access, audit, chronology, deadlines
from referrals.models import AuditEntry, ChronologyEntry, EmergencyMeasure, Person, Referral

Kind = EmergencyMeasure.Kind
SUBJECT_TYPE = "emergencymeasure"

# Kind -> (latest start after the grant, longest it may last counted from the start or the
# grant, counted from); None where the statute sets no limit the system can check.
CLOCKS: dict[str, tuple[timedelta | None, timedelta | None, str]] = {
    Kind.POLICE_REMOVAL: (timedelta(0), timedelta(hours=24), "start"),  # s.56: max 24 h
    Kind.CHILD_ASSESSMENT_ORDER: (timedelta(hours=24), timedelta(days=3), "start"),  # s.35
    Kind.JUSTICE_OF_THE_PEACE_ORDER: (timedelta(hours=12), timedelta(hours=24), "grant"),  # s.55
    Kind.CHILD_PROTECTION_ORDER: (None, None, "start"),  # s.37: until the hearing decides
    Kind.EXCLUSION_ORDER: (None, None, "start"),  # the court sets its end
    Kind.ACCOMMODATION: (None, None, "start"),  # voluntary: reviewed, not timed
}
ENDS_REQUIRED = {
    Kind.POLICE_REMOVAL,
    Kind.CHILD_ASSESSMENT_ORDER,
    Kind.JUSTICE_OF_THE_PEACE_ORDER,
    Kind.EXCLUSION_ORDER,
}
# The Principal Reporter is told of every compulsory measure; s.25 accommodation is voluntary.
REPORTER_TOLD = set(Kind.values) - {Kind.ACCOMMODATION}


def measure_problems(
    *, kind: str, granted_at: datetime, starts_at: datetime, ends_at: datetime | None
) -> dict[str, str]:
    """What is wrong with a measure's times for its kind, by field (empty: nothing)."""
    if kind not in CLOCKS:
        return {"kind": "Choose the kind of emergency measure."}
    problems = {}
    latest_start, longest, counted_from = CLOCKS[kind]
    label = EmergencyMeasure.Kind(kind).label
    if starts_at < granted_at:
        problems["starts_at"] = "A measure cannot be in effect before it was granted or taken."
    elif latest_start is not None and starts_at > granted_at + latest_start:
        problems["starts_at"] = (
            f"A {label} must be in effect within {_words(latest_start)} of being granted."
            if latest_start
            else f"A {label} is in effect from the moment it is taken: use the same time."
        )
    if ends_at is None:
        if kind in ENDS_REQUIRED:
            problems["ends_at"] = f"Enter when the {label} ends."
        return problems
    if ends_at < starts_at:
        problems["ends_at"] = "The end cannot be before the start."
    elif longest is not None:
        base = starts_at if counted_from == "start" else granted_at
        if ends_at > base + longest:
            problems["ends_at"] = (
                f"A {label} lasts at most {_words(longest)} from its "
                f"{'start' if counted_from == 'start' else 'grant'}."
            )
    return problems


def _words(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"


@transaction.atomic
def measure_record(
    *,
    referral: Referral,
    child: Person,
    by,
    kind: str,
    granted_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    reason: str,
) -> EmergencyMeasure:
    if not access.can_work_on(by, referral):
        raise PermissionDenied(access.not_your_team(referral))
    if not referral.child_links.filter(person=child).exists():
        raise ValidationError({"child": "Choose a child named in this referral."})
    problems = measure_problems(
        kind=kind, granted_at=granted_at, starts_at=starts_at, ends_at=ends_at
    )
    if not reason.strip():
        problems["reason"] = "Say why the measure was needed."
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    measure = EmergencyMeasure.objects.create(
        referral=referral,
        child=child,
        kind=kind,
        granted_at=granted_at,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        recorded_by=by,
        recorded_at=now,
    )
    subject = {
        "subject_type": SUBJECT_TYPE,
        "subject_id": str(measure.pk),
        "url": reverse("referral_detail", args=[referral.pk]),
        "referral": referral,
        "owner": by,
        "team": referral.team,
        "urgent": True,  # an emergency measure is chased at any hour
    }
    if ends_at is not None:
        deadlines.deadline_open(
            kind="emergency_measure_ends", starts_at=starts_at, due_at=ends_at, **subject
        )
    if kind in REPORTER_TOLD:
        deadlines.deadline_open(kind="reporter_told", starts_at=starts_at, **subject)
    ends = f" until {timezone.localtime(ends_at):%d %B %Y %H:%M}" if ends_at else ""
    chronology.chronology_add(
        people=[child],
        kind=ChronologyEntry.Kind.EMERGENCY_MEASURE,
        summary=f"{measure.get_kind_display()}{ends}.",
        occurred_at=starts_at,
        referral=referral,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        subject=measure,
        detail={"referral": str(referral.pk), "kind": kind},
    )
    return measure


@transaction.atomic
def reporter_told(*, measure: EmergencyMeasure, by) -> EmergencyMeasure:
    measure = EmergencyMeasure.objects.select_for_update().get(pk=measure.pk)
    if not access.can_work_on(by, measure.referral):
        raise PermissionDenied(access.not_your_team(measure.referral))
    if measure.kind not in REPORTER_TOLD:
        raise ValidationError("A voluntary s.25 accommodation is not notified to the Reporter.")
    if measure.reporter_told_at is not None:
        raise ValidationError("The Reporter has already been recorded as told.")
    measure.reporter_told_at, measure.reporter_told_by = timezone.now(), by
    measure.save(update_fields=["reporter_told_at", "reporter_told_by"])
    deadlines.deadline_meet(
        kind="reporter_told", subject_type=SUBJECT_TYPE, subject_id=str(measure.pk)
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CHANGE,
        subject=measure,
        detail={"event": "reporter_told"},
    )
    return measure
