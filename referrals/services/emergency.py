"""Emergency measures: recorded against a referral and its child, each kept to its statutory
clock (Children's Hearings (Scotland) Act 2011). The measure's end is chased on
the timescales engine, and so is telling the Children's Reporter, until someone records it."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import access, audit, chronology, deadlines, extensions
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    EmergencyMeasure,
    EmergencyMeasureKind,
    Person,
    Referral,
)

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


def kinds_offered() -> list[tuple[str, str]]:
    """The kinds that may be chosen today, with their labels as configured (a kind with no row
    in the lookup is in use under its own label; rows cannot be deleted in the admin)."""
    rows = {row.code: row for row in EmergencyMeasureKind.objects.all()}
    return [
        (code, rows[code].label if code in rows else label)
        for code, label in Kind.choices
        if code not in rows or rows[code].in_use_on()
    ]


def kind_problems(kind: str) -> dict[str, str]:
    """A retired (or not yet valid) kind cannot be chosen for a new measure."""
    row = EmergencyMeasureKind.objects.filter(code=kind).first()
    if row is not None and not row.in_use_on():
        return {"kind": f"{row.label} is not in use now: choose another kind of measure."}
    return {}


def may_record(by, referral: Referral) -> bool:
    """The referral's team; a partner system on a concern its agency sent; anyone ird/ says may
    (a participant invited to the referral's IRD: police removing a child under s.56)."""
    if getattr(by, "is_api_client", False):
        return Referral.objects.filter(
            pk=referral.pk, partner_submission__client__agency_id=by.agency_id
        ).exists()
    return access.can_work_on(by, referral) or extensions.may_record_emergency_measure(by, referral)


def _require_may_record(by, referral: Referral) -> None:
    if not may_record(by, referral):
        raise PermissionDenied(access.not_your_team(referral))


def _who(by) -> tuple[object, str]:
    """The staff account (none for a partner system) and the name shown on the measure."""
    if getattr(by, "is_api_client", False):
        return None, str(by)[:200]
    return by, (by.get_full_name() or by.username)[:200]


def measures_of(referral: Referral) -> list[EmergencyMeasure]:
    """The referral's measures as its page and its IRDs' pages show them, in one query."""
    return list(referral.emergency_measures.select_related("child", "recorded_by_agency"))


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
    _require_may_record(by, referral)
    if not referral.child_links.filter(person=child).exists():
        raise ValidationError({"child": "Choose a child named in this referral."})
    problems = kind_problems(kind) or measure_problems(
        kind=kind, granted_at=granted_at, starts_at=starts_at, ends_at=ends_at
    )
    if not reason.strip():
        problems["reason"] = "Say why the measure was needed."
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    staff, label = _who(by)
    measure = EmergencyMeasure.objects.create(
        referral=referral,
        child=child,
        kind=kind,
        granted_at=granted_at,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        recorded_by=staff,
        recorded_by_label=label,
        recorded_by_agency_id=by.agency_id,
        recorded_at=now,
    )
    subject = {
        "subject_type": SUBJECT_TYPE,
        "subject_id": str(measure.pk),
        "url": reverse("referral_detail", args=[referral.pk]),
        "referral": referral,
        # Chased to whoever recorded it, if staff; always to the referral's team.
        "owner": staff,
        "team": referral.team,
        "urgent": True,  # an emergency measure is chased at any hour
    }
    steps = []
    if ends_at is not None:
        steps.append({"kind": "emergency_measure_ends", "due_at": ends_at})
    if kind in REPORTER_TOLD:
        steps.append({"kind": "reporter_told"})
    deadlines.deadlines_open([{**step, "starts_at": starts_at, **subject} for step in steps])
    ends = f" until {timezone.localtime(ends_at):%d %B %Y %H:%M}" if ends_at else ""
    chronology.chronology_add(
        people=[child],
        kind=ChronologyEntry.Kind.EMERGENCY_MEASURE,
        summary=f"{measure.get_kind_display()}{ends}.",
        occurred_at=starts_at,
        referral=referral,
        recorded_by=staff,
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
    _require_may_record(by, measure.referral)
    if measure.kind not in REPORTER_TOLD:
        raise ValidationError(
            {"kind": "A voluntary s.25 accommodation is not notified to the Reporter."}
        )
    if measure.reporter_told_at is not None:
        raise ValidationError("The Reporter has already been recorded as told.")
    staff, label = _who(by)
    measure.reporter_told_at, measure.reporter_told_by = timezone.now(), staff
    measure.reporter_told_by_label = label
    measure.save(update_fields=["reporter_told_at", "reporter_told_by", "reporter_told_by_label"])
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
