"""Practice audits: a round draws its sample reproducibly from the records of its period, assigns
them to the panel with deadlines, takes each assignment's grades once, and sends the learning
summary."""

import secrets
from collections import defaultdict
from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from hub import access, sampling
from hub.models import (
    AuditAssignment,
    AuditGrade,
    AuditPanelMember,
    AuditRecord,
    AuditRound,
    HubSettings,
    Rubric,
)
from hub.services.common import AuditRefused, _deadline_open, rubric_in_use
from hub.services.reviews import AUDIT_ASSIGNMENT_SUBJECT, AUDIT_ROUND_SUBJECT, Score, _check_scores
from referrals import audit, deadlines, notifications
from referrals.errors import NotPermitted
from referrals.models import (
    Notification,
    ReferralChild,
    Role,
    Staff,
    Team,
)


def audit_population(records_from: datetime, records_to: datetime) -> list[tuple]:
    """Children referred in [records_from, records_to): ((person, referral), source agency),
    the referral being the child's latest in the window."""
    rows = (
        ReferralChild.objects.filter(
            referral__received_at__gte=records_from,
            referral__received_at__lt=records_to,
            person__merged_into__isnull=True,
        )
        .order_by("person_id", "-referral__received_at", "referral_id")
        .values_list("person_id", "referral_id", "referral__source_agency_id")
    )
    latest: dict = {}
    for person_id, referral_id, agency_id in rows:
        latest.setdefault(person_id, (referral_id, agency_id))
    return [
        ((person_id, referral_id), agency_id)
        for person_id, (referral_id, agency_id) in latest.items()
    ]


def audit_sample_draw(
    *, seed: int, size: int, records_from: datetime, records_to: datetime
) -> list[tuple]:
    """The sample a seed gives: [(person_id, referral_id, agency_id)] in drawing order."""
    population = audit_population(records_from, records_to)
    agency_of = dict(population)
    picked = sampling.stratified_sample(population, size, seed)
    return [
        (person_id, referral_id, agency_of[(person_id, referral_id)])
        for person_id, referral_id in picked
    ]


def audit_sample_reproduces(audit_round: AuditRound) -> bool:
    """Drawing again with the round's seed gives the records it holds."""
    again = audit_sample_draw(
        seed=audit_round.seed,
        size=audit_round.sample_size,
        records_from=audit_round.records_from,
        records_to=audit_round.records_to,
    )
    held = list(
        audit_round.records.order_by("position").values_list(
            "person_id", "referral_id", "source_agency_id"
        )
    )
    return again == held


def _audit_panel() -> dict:
    panel: dict = defaultdict(list)
    members = AuditPanelMember.objects.filter(active=True, staff__is_active=True)
    for staff_id, agency_id in members.values_list("staff_id", "staff__agency_id"):
        panel[agency_id].append(staff_id)
    if not panel:
        # No panel yet: the quality staff read the records themselves.
        quality = Staff.objects.filter(is_active=True, role__in=[Role.COMMITTEE, Role.HUB_REVIEWER])
        for staff_id, agency_id in quality.values_list("pk", "agency_id"):
            panel[agency_id].append(staff_id)
    return panel


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def audit_round_open(
    *, now: datetime | None = None, opened_by=None, seed: int | None = None
) -> tuple[AuditRound, bool]:
    """Open the round of the audit period that `now` falls in, unless it is open already
    (beat runs this every hour; two beats, or a committee member pressing the button at the
    same time, still make one round: period_start is unique). Returns (round, created)."""
    if opened_by is not None and not access.can_run_audits(opened_by):
        raise NotPermitted("Only the child protection committee opens practice audit rounds.")
    now = now or timezone.now()
    settings = HubSettings.current()
    period_start = sampling.audit_period_start(timezone.localdate(now), settings.audit_every_months)
    existing = AuditRound.objects.filter(period_start=period_start).first()
    if existing is not None:
        return existing, False
    rubric = rubric_in_use(Rubric.Kind.AUDIT)
    try:
        with transaction.atomic():
            audit_round = AuditRound.objects.create(
                period_start=period_start,
                opened_at=now,
                opened_by=opened_by,
                seed=seed if seed is not None else secrets.randbits(62),
                sample_size=settings.audit_sample_size,
                records_from=_local_midnight(
                    sampling.months_before(period_start, settings.audit_lookback_months)
                ),
                records_to=_local_midnight(period_start),
                rubric=rubric,
            )
    except IntegrityError:
        return AuditRound.objects.get(period_start=period_start), False

    sample = audit_sample_draw(
        seed=audit_round.seed,
        size=audit_round.sample_size,
        records_from=audit_round.records_from,
        records_to=audit_round.records_to,
    )
    records = AuditRecord.objects.bulk_create(
        AuditRecord(
            round=audit_round,
            person_id=person_id,
            referral_id=referral_id,
            source_agency_id=agency_id,
            position=position,
        )
        for position, (person_id, referral_id, agency_id) in enumerate(sample, start=1)
    )
    plan = sampling.assign_auditors(
        len(records), _audit_panel(), settings.auditors_per_record, audit_round.seed
    )
    staff = Staff.objects.in_bulk({pk for auditors in plan for pk in auditors})
    for record, auditors in zip(records, plan, strict=True):
        for auditor_id in auditors:
            auditor = staff[auditor_id]
            assignment = AuditAssignment.objects.create(record=record, auditor=auditor)
            assignment.deadline = _deadline_open(
                "audit_grading",
                subject_type=AUDIT_ASSIGNMENT_SUBJECT,
                subject_id=str(assignment.pk),
                subject_label=(
                    f"record {record.position} of the practice audit of "
                    f"{audit_round.period_start:%B %Y}"
                ),
                url=reverse("hub:audit_assignment", args=[assignment.pk]),
                starts_at=now,
                owner=auditor,
                team=auditor.team,
            )
            assignment.save(update_fields=["deadline"])
    audit_round.summary_deadline = _deadline_open(
        "audit_summary",
        subject_type=AUDIT_ROUND_SUBJECT,
        subject_id=str(audit_round.pk),
        subject_label=f"the practice audit of {audit_round.period_start:%B %Y}",
        url=reverse("hub:audit_round", args=[audit_round.pk]),
        starts_at=now,
        owner=opened_by,
        team=settings.hub_team,
    )
    audit_round.save(update_fields=["summary_deadline"])

    notifications.notify(
        staff.values(),
        kind=Notification.Kind.GENERAL,
        title=f"{audit_round}: records for you to grade",
        body="You are one of this round's auditors. Grade each record on the quality "
        "indicators and record your findings and learning points.",
        url=reverse("hub:audit_list"),
        email=True,
    )
    notifications.notify(
        Staff.objects.filter(role=Role.COMMITTEE, is_active=True),
        kind=Notification.Kind.GENERAL,
        title=f"{audit_round} has opened",
        body=f"{len(records)} children's records sampled.",
        url=reverse("hub:audit_round", args=[audit_round.pk]),
    )
    audit.record(
        actor=opened_by,
        action=audit.Action.CREATE,
        subject=audit_round,
        detail={
            "seed": audit_round.seed,
            "records": len(records),
            "assignments": sum(len(a) for a in plan),
        },
    )
    return audit_round, True


@transaction.atomic
def audit_assignment_submit(
    *,
    assignment: AuditAssignment,
    auditor,
    grades: dict[int, Score],
    findings: str,
    learning_points: str = "",
    now: datetime | None = None,
) -> AuditAssignment:
    """An auditor's grades for one record. They can be corrected until the round closes."""
    now = now or timezone.now()
    assignment = AuditAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.auditor_id != auditor.pk:
        raise NotPermitted("Only the auditor asked to grade this record can grade it.")
    audit_round = AuditRound.objects.get(records__assignments=assignment)
    if audit_round.state != AuditRound.State.OPEN:
        raise AuditRefused(f"{audit_round} is closed: its grades can no longer change.")
    if not findings.strip():
        raise AuditRefused("Record your findings.")
    criteria = list(audit_round.rubric.criteria.all())
    _check_scores(criteria, grades)
    AuditGrade.objects.filter(assignment=assignment).delete()
    AuditGrade.objects.bulk_create(
        AuditGrade(
            assignment=assignment,
            criterion=c,
            score=grades[c.pk].score,
            comment=grades[c.pk].comment.strip(),
        )
        for c in criteria
    )
    first_time = assignment.state == AuditAssignment.State.ASSIGNED
    assignment.findings = findings.strip()
    assignment.learning_points = learning_points.strip()
    assignment.state = AuditAssignment.State.SUBMITTED
    assignment.submitted_at = now
    assignment.save(update_fields=["findings", "learning_points", "state", "submitted_at"])
    if first_time:
        deadlines.deadline_meet(
            kind="audit_grading",
            subject_type=AUDIT_ASSIGNMENT_SUBJECT,
            subject_id=str(assignment.pk),
        )
    audit.record(
        actor=auditor,
        action=audit.Action.CHANGE if not first_time else audit.Action.CREATE,
        subject=assignment,
        detail={"round": str(audit_round.pk), "person": str(assignment.record.person_id)},
    )
    return assignment


@transaction.atomic
def audit_summary_send(
    *, audit_round: AuditRound, sent_by, summary: str, now: datetime | None = None
) -> AuditRound:
    """Close the round with its learning summary and send it to the teams whose referrals were
    read, and to the round's auditors."""
    if not access.can_run_audits(sent_by):
        raise NotPermitted("Only the child protection committee sends the learning summary.")
    now = now or timezone.now()
    audit_round = AuditRound.objects.select_for_update().get(pk=audit_round.pk)
    if audit_round.summary_sent_at is not None:
        raise AuditRefused(f"The learning summary of {audit_round} has already been sent.")
    if not summary.strip():
        raise AuditRefused("Write the learning summary.")
    audit_round.learning_summary = summary.strip()
    audit_round.summary_sent_at = now
    audit_round.summary_sent_by = sent_by
    audit_round.state = AuditRound.State.CLOSED
    audit_round.save(
        update_fields=["learning_summary", "summary_sent_at", "summary_sent_by", "state"]
    )
    ungraded = AuditAssignment.objects.filter(
        record__round=audit_round, state=AuditAssignment.State.ASSIGNED
    )
    for assignment_id in ungraded.values_list("pk", flat=True):
        deadlines.deadline_cancel(
            subject_type=AUDIT_ASSIGNMENT_SUBJECT,
            subject_id=str(assignment_id),
            kind="audit_grading",
        )
    deadlines.deadline_meet(
        kind="audit_summary", subject_type=AUDIT_ROUND_SUBJECT, subject_id=str(audit_round.pk)
    )
    teams = Team.objects.filter(pk__in=audit_round.records.values("referral__team"))
    recipients = list(Staff.objects.filter(is_active=True, team__in=teams)) + list(
        Staff.objects.filter(
            is_active=True, audit_assignments__record__round=audit_round
        ).distinct()
    )
    notifications.notify(
        recipients,
        kind=Notification.Kind.GENERAL,
        title=f"Learning from {audit_round}",
        body="The practice audit's learning summary for your team is ready to read.",
        url=reverse("hub:audit_learning", args=[audit_round.pk]),
        email=True,
    )
    audit.record(
        actor=sent_by,
        action=audit.Action.CHANGE,
        subject=audit_round,
        detail={"state": audit_round.state, "teams": sorted(t.pk for t in teams)},
    )
    return audit_round
