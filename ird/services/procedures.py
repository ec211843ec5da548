"""The IRD procedure and its trials: a version starts on a date, a trial version is reviewed by
the committee when its months are up (reminded beforehand)."""

import calendar as month_calendar
from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ird import access
from ird.errors import (
    IrdRefused,
)
from ird.models import (
    ProcedureReview,
    ProcedureVersion,
)
from ird.services.common import REVIEW_DUE_TIME, open_deadline
from referrals import (
    audit,
    deadlines,
)
from referrals.errors import NotPermitted
from referrals.models import (
    Role,
    Staff,
)
from referrals.working_days import LONDON


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
