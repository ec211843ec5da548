"""The meeting and its live record: the recorder starts it; each invited agency writes its own
section and the recorder the rest, every save a compare-and-set on the section's version (a
conflict is refused with the other text shown); attendance, absences, the record's details
and the decisions taken."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ird import access
from ird.errors import (
    IrdRefused,
    RecordLocked,
    SectionConflict,
)
from ird.models import (
    AbsenceReason,
    Attendance,
    DecisionCode,
    Ird,
    IrdDecision,
    RecordSection,
    Revision,
)
from ird.services.common import MUST_TAKE_PART, Status, _lock, _record_changed, _save, local_text
from referrals import (
    audit,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Agency,
    Staff,
)


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
