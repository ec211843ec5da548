"""Screening: a social worker proposes a decision with reasons; a team manager approves it or
returns it; a decided referral is closed with a reason."""

from django.db import transaction
from django.utils import timezone

from referrals import (
    audit,
    chronology,
    cumulative_harm,
    deadlines,
    extensions,
    lifecycle,
    notifications,
)
from referrals.access import can_approve, can_screen, can_work_on, not_your_team
from referrals.api import webhooks
from referrals.errors import NotPermitted, ScreeningRefused
from referrals.models import (
    ChronologyEntry,
    CumulativeHarmFlag,
    Notification,
    Referral,
    ScreeningDecision,
)
from referrals.services import progress

Status = Referral.Status


@transaction.atomic
def screening_propose(
    *,
    referral: Referral,
    proposed_by,
    outcome: str,
    reasons: str,
    risk_analysis: str,
    needs_analysis: str,
    cumulative_harm_analysis: str = "",
    advice_given: str = "",
    expected_version: int | None = None,
) -> ScreeningDecision:
    if not can_screen(proposed_by):
        raise NotPermitted("Only social work staff can record a screening decision.")
    if not can_work_on(proposed_by, referral):
        raise NotPermitted(not_your_team(referral))
    referral = progress.referral_lock(referral, expected_version)
    if referral.status not in {Status.RECEIVED, Status.SCREENING}:
        raise ScreeningRefused(
            f"Referral {referral.reference} is {referral.get_status_display().lower()}: "
            "it is no longer open to screening."
        )
    if referral.screening_decisions.filter(state=ScreeningDecision.State.PROPOSED).exists():
        raise ScreeningRefused("A screening decision on this referral already awaits approval.")
    if cumulative_harm.open_flags_for(referral) and not cumulative_harm_analysis.strip():
        raise ScreeningRefused(
            "A child in this referral is flagged for possible cumulative harm: "
            "record your analysis of the cumulative harm."
        )
    if outcome == ScreeningDecision.Outcome.NO_FURTHER_ACTION and not advice_given.strip():
        raise ScreeningRefused("Record the advice or signposting given with no further action.")

    now = timezone.now()
    decision = ScreeningDecision.objects.create(
        referral=referral,
        outcome=outcome,
        reasons=reasons,
        risk_analysis=risk_analysis,
        needs_analysis=needs_analysis,
        cumulative_harm_analysis=cumulative_harm_analysis,
        advice_given=advice_given,
        proposed_by=proposed_by,
        proposed_at=now,
    )
    if referral.status == Status.RECEIVED:
        lifecycle.referral_move(referral, Status.SCREENING)
    progress.save_new_version(referral, "status")
    deadlines.referral_step_done(referral, "screening")
    deadlines.referral_step_open(referral, "manager_approval", starts_at=now)
    chronology.chronology_add(
        people=list(referral.children.all()),
        kind=ChronologyEntry.Kind.SCREENING_PROPOSED,
        summary=f"Screening decision proposed: {decision.get_outcome_display()}.",
        occurred_at=now,
        referral=referral,
        recorded_by=proposed_by,
    )
    notifications.notify(
        notifications.team_managers(referral.team),
        kind=Notification.Kind.APPROVAL_NEEDED,
        title=f"Screening decision to approve: {referral.reference}",
        body=decision.get_outcome_display(),
        referral=referral,
    )
    audit.record(
        actor=proposed_by,
        action=audit.Action.CREATE,
        subject=decision,
        detail={"referral": str(referral.pk), "outcome": outcome},
    )
    webhooks.concern_event(referral, webhooks.STATUS_CHANGED)
    return decision


def _locked_proposal(decision: ScreeningDecision, expected_version: int | None):
    referral = progress.referral_lock(decision.referral, expected_version)
    decision = ScreeningDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.state != ScreeningDecision.State.PROPOSED:
        raise ScreeningRefused(
            f"This screening decision has already been {decision.get_state_display().lower()}."
        )
    return referral, decision


_REVIEW_OUTCOMES = {
    ScreeningDecision.State.APPROVED: (
        ChronologyEntry.Kind.SCREENING_APPROVED,
        Notification.Kind.DECISION_APPROVED,
        "approved",
    ),
    ScreeningDecision.State.RETURNED: (
        ChronologyEntry.Kind.SCREENING_RETURNED,
        Notification.Kind.DECISION_RETURNED,
        "returned",
    ),
}


def _record_review(
    *, referral: Referral, decision: ScreeningDecision, reviewer, state: str, comment: str, now
) -> None:
    """What approving and returning share: the decision's new state, the children's
    chronology, word to the proposer and the audit row."""
    decision.state = state
    decision.reviewed_by = reviewer
    decision.reviewed_at = now
    decision.review_comment = comment
    decision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    chronology_kind, notification_kind, verb = _REVIEW_OUTCOMES[state]
    chronology.chronology_add(
        people=list(referral.children.all()),
        kind=chronology_kind,
        summary=f"Screening decision {verb}: {decision.get_outcome_display()}.",
        occurred_at=now,
        referral=referral,
        recorded_by=reviewer,
    )
    notifications.notify(
        [decision.proposed_by],
        kind=notification_kind,
        title=f"Screening decision {verb}: {referral.reference}",
        body=comment,
        referral=referral,
    )
    audit.record(
        actor=reviewer,
        action=audit.Action.CHANGE,
        subject=decision,
        detail={"referral": str(referral.pk), "state": state},
    )


@transaction.atomic
def screening_approve(
    *,
    decision: ScreeningDecision,
    approved_by,
    comment: str = "",
    expected_version: int | None = None,
) -> ScreeningDecision:
    referral, decision = _locked_proposal(decision, expected_version)
    if not can_approve(approved_by, referral):
        raise NotPermitted("Only a manager of the referral's team can approve its screening.")
    if decision.proposed_by_id == approved_by.pk:
        raise NotPermitted(
            "A screening decision must be approved by someone other than "
            "the person who proposed it."
        )
    now = timezone.now()
    lifecycle.referral_move(referral, Status.DECIDED)
    progress.save_new_version(referral, "status")
    _record_review(
        referral=referral,
        decision=decision,
        reviewer=approved_by,
        state=ScreeningDecision.State.APPROVED,
        comment=comment,
        now=now,
    )
    deadlines.referral_step_done(referral, "manager_approval")
    if decision.outcome == ScreeningDecision.Outcome.CHILD_PROTECTION:
        deadlines.referral_step_open(referral, "cppm", owner=decision.proposed_by, starts_at=now)
    if decision.cumulative_harm_analysis:
        CumulativeHarmFlag.objects.filter(
            person__referral_links__referral=referral, status=CumulativeHarmFlag.Status.OPEN
        ).update(
            status=CumulativeHarmFlag.Status.ADDRESSED, addressed_by=decision, addressed_at=now
        )
    webhooks.concern_event(referral, webhooks.DECISION_APPROVED)
    # hub queues the decision for review; ird opens the IRD request a child protection outcome needs
    extensions.screening_approved(referral=referral, decision=decision)
    return decision


@transaction.atomic
def screening_return(
    *,
    decision: ScreeningDecision,
    returned_by,
    comment: str,
    expected_version: int | None = None,
) -> ScreeningDecision:
    referral, decision = _locked_proposal(decision, expected_version)
    if not can_approve(returned_by, referral):
        raise NotPermitted("Only a manager of the referral's team can return its screening.")
    if not comment.strip():
        raise ScreeningRefused("Say what needs more work before returning the decision.")
    now = timezone.now()
    progress.save_new_version(referral)
    _record_review(
        referral=referral,
        decision=decision,
        reviewer=returned_by,
        state=ScreeningDecision.State.RETURNED,
        comment=comment,
        now=now,
    )
    deadlines.referral_step_done(referral, "manager_approval")
    deadlines.referral_step_open(referral, "screening", owner=decision.proposed_by, starts_at=now)
    return decision


@transaction.atomic
def referral_close(
    *, referral: Referral, closed_by, reason: str, expected_version: int | None = None
) -> Referral:
    if not can_screen(closed_by):
        raise NotPermitted("Only social work staff can close a referral.")
    if not can_work_on(closed_by, referral):
        raise NotPermitted(not_your_team(referral))
    if not reason.strip():
        raise ScreeningRefused("Give the reason for closing the referral.")
    referral = progress.referral_lock(referral, expected_version)
    lifecycle.referral_move(referral, Status.CLOSED)
    referral.closed_at = timezone.now()
    referral.closure_reason = reason
    progress.save_new_version(referral, "status", "closed_at", "closure_reason")
    deadlines.referral_steps_cancel(referral)
    chronology.chronology_add(
        people=list(referral.children.all()),
        kind=ChronologyEntry.Kind.REFERRAL_CLOSED,
        summary="Referral closed.",
        occurred_at=referral.closed_at,
        referral=referral,
        recorded_by=closed_by,
    )
    audit.record(
        actor=closed_by,
        action=audit.Action.CHANGE,
        subject=referral,
        detail={"status": referral.status},
    )
    webhooks.concern_event(referral, webhooks.STATUS_CHANGED)
    return referral
