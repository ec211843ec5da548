"""Sign-off: the chair concludes and signs off only a complete record (police, health and
social work attended; the analysis of risk and need and the reasons for the decisions
written; how it was held and the chronology considered; confirmed). Signing off locks the
record, moves the referral on and opens what the decisions need."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ird import access
from ird.errors import (
    IrdRefused,
    SignOffRefused,
)
from ird.models import (
    DecisionCode,
    FollowUpItem,
    Ird,
)
from ird.services.common import (
    CONFIRM_SIGN_OFF,
    FOLLOW_UP_ALWAYS,
    MUST_TAKE_PART,
    REQUIRED_SECTIONS,
    Status,
    _chronicle,
    _invited_staff,
    _lock,
    _referral_step,
    _referral_step_done,
    _save,
    ird_url,
    notify_people,
    open_deadline,
)
from ird.services.requests import ird_follow_on
from referrals import (
    audit,
    deadlines,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Agency,
    Referral,
)


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
