"""Screening: propose, approve, return, close; who may do each; stale forms are refused."""

import datetime

import pytest
from django.utils import timezone

from referrals.errors import EditConflict, IllegalTransition, NotPermitted, ScreeningRefused
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    CumulativeHarmFlag,
    Notification,
    Referral,
    Role,
    ScreeningDecision,
)
from referrals.services.screening import (
    referral_close,
    screening_approve,
    screening_propose,
    screening_return,
)
from tests.factories import PersonFactory, StaffFactory, TeamFactory, make_referral

pytestmark = pytest.mark.django_db

Status = Referral.Status
Outcome = ScreeningDecision.Outcome


def _propose(referral, by, **overrides):
    values = {
        "outcome": Outcome.WELFARE_ASSESSMENT,
        "reasons": "Pattern of missed appointments.",
        "risk_analysis": "No immediate risk.",
        "needs_analysis": "Health needs unmet.",
    }
    values.update(overrides)
    return screening_propose(referral=referral, proposed_by=by, **values)


def _snapshot(referral: Referral) -> dict:
    """Everything a screening step may change, to prove a refused step changed nothing."""
    fresh = Referral.objects.get(pk=referral.pk)
    return {
        "referral": (fresh.status, fresh.version, fresh.closed_at, fresh.closure_reason),
        "decisions": sorted(
            ScreeningDecision.objects.filter(referral=referral).values_list(
                "id", "state", "reviewed_by", "review_comment"
            )
        ),
        "chronology": ChronologyEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "audit": AuditEntry.objects.count(),
        "flags": sorted(CumulativeHarmFlag.objects.values_list("id", "status")),
    }


@pytest.fixture
def referral(social_worker):
    return make_referral(team=social_worker.team, received_by=social_worker)


@pytest.fixture
def flagged_referral(social_worker):
    """A child whose third concern in a year is this referral: an open cumulative harm flag."""
    child = PersonFactory()
    for days_ago in (300, 150):
        make_referral(
            team=social_worker.team,
            received_by=social_worker,
            children=[child],
            categories=("domestic_abuse",),
            received_at=timezone.now() - datetime.timedelta(days=days_ago),
        )
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[child],
        categories=("domestic_abuse",),
    )
    assert (
        CumulativeHarmFlag.objects.filter(
            person=child, status=CumulativeHarmFlag.Status.OPEN
        ).count()
        == 1
    )
    return referral


# --- proposing --------------------------------------------------------------------------------


def test_propose_records_the_decision_and_moves_to_screening(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)

    referral.refresh_from_db()
    assert referral.status == Status.SCREENING
    assert referral.version == 2
    assert decision.state == ScreeningDecision.State.PROPOSED
    assert decision.proposed_by == social_worker
    assert decision.outcome == Outcome.WELFARE_ASSESSMENT
    child = referral.children.get()
    assert ChronologyEntry.objects.filter(
        person=child, kind=ChronologyEntry.Kind.SCREENING_PROPOSED, referral=referral
    ).exists()
    notice = Notification.objects.get(kind=Notification.Kind.APPROVAL_NEEDED)
    assert notice.recipient == team_manager
    audit = AuditEntry.objects.get(object_type="screeningdecision")
    assert audit.action == AuditEntry.Action.CREATE
    assert audit.detail == {"referral": str(referral.pk), "outcome": Outcome.WELFARE_ASSESSMENT}


@pytest.mark.parametrize("role", [Role.HUB_REVIEWER, Role.COMMITTEE, Role.ADMINISTRATOR])
def test_only_social_work_staff_can_propose(referral, role, social_work):
    outsider = StaffFactory(role=role, team=None, agency=social_work)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        _propose(referral, outsider)

    assert _snapshot(referral) == before


def test_partner_agency_staff_cannot_propose(referral, police_participant):
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        _propose(referral, police_participant)

    assert _snapshot(referral) == before


def test_inactive_social_worker_cannot_propose(referral, social_worker):
    social_worker.is_active = False
    social_worker.save()
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        _propose(referral, social_worker)

    assert _snapshot(referral) == before


def test_no_further_action_needs_the_advice_given(referral, social_worker):
    before = _snapshot(referral)

    with pytest.raises(ScreeningRefused, match="advice"):
        _propose(referral, social_worker, outcome=Outcome.NO_FURTHER_ACTION, advice_given="  ")

    assert _snapshot(referral) == before
    decision = _propose(
        referral,
        social_worker,
        outcome=Outcome.NO_FURTHER_ACTION,
        advice_given="Signposted to family support.",
    )
    assert decision.advice_given == "Signposted to family support."


def test_open_flag_needs_a_cumulative_harm_analysis(flagged_referral, social_worker):
    before = _snapshot(flagged_referral)

    with pytest.raises(ScreeningRefused, match="cumulative harm"):
        _propose(flagged_referral, social_worker, cumulative_harm_analysis=" \n ")

    assert _snapshot(flagged_referral) == before
    decision = _propose(
        flagged_referral,
        social_worker,
        cumulative_harm_analysis="Three concerns in a year; pattern of neglect.",
    )
    assert decision.cumulative_harm_analysis.startswith("Three concerns")


def test_no_flag_no_analysis_needed(referral, social_worker):
    decision = _propose(referral, social_worker)

    assert decision.cumulative_harm_analysis == ""


def test_a_second_proposal_while_one_awaits_approval_is_refused(referral, social_worker):
    _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(ScreeningRefused, match="already awaits"):
        _propose(referral, social_worker, outcome=Outcome.SUPPORT)

    assert _snapshot(referral) == before


def test_stale_form_is_refused_with_an_edit_conflict(referral, social_worker):
    opened_at_version = referral.version
    Referral.objects.filter(pk=referral.pk).update(version=opened_at_version + 1)
    before = _snapshot(referral)

    with pytest.raises(EditConflict):
        _propose(referral, social_worker, expected_version=opened_at_version)

    assert _snapshot(referral) == before
    _propose(referral, social_worker, expected_version=opened_at_version + 1)


@pytest.mark.parametrize(
    "status", [Status.DECIDED, Status.IRD_SCHEDULED, Status.IRD_HELD, Status.CLOSED]
)
def test_a_referral_past_screening_cannot_be_screened_again(referral, social_worker, status):
    Referral.objects.filter(pk=referral.pk).update(status=status)
    before = _snapshot(referral)

    with pytest.raises(ScreeningRefused, match="no longer open"):
        _propose(referral, social_worker)

    assert _snapshot(referral) == before


# --- approving --------------------------------------------------------------------------------


def test_team_manager_approves(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)

    approved = screening_approve(
        decision=decision, approved_by=team_manager, comment="Agreed.", expected_version=2
    )

    referral.refresh_from_db()
    assert referral.status == Status.DECIDED
    assert referral.version == 3
    assert approved.state == ScreeningDecision.State.APPROVED
    assert approved.reviewed_by == team_manager
    assert approved.reviewed_at is not None
    assert approved.review_comment == "Agreed."
    assert ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.SCREENING_APPROVED).exists()
    notice = Notification.objects.get(kind=Notification.Kind.DECISION_APPROVED)
    assert notice.recipient == social_worker
    audit = AuditEntry.objects.get(object_type="screeningdecision", action=AuditEntry.Action.CHANGE)
    assert audit.actor == team_manager
    assert audit.detail == {"referral": str(referral.pk), "state": "approved"}


def test_service_manager_of_any_team_approves(referral, social_worker, service_manager):
    decision = _propose(referral, social_worker)

    screening_approve(decision=decision, approved_by=service_manager)

    referral.refresh_from_db()
    assert referral.status == Status.DECIDED


def test_manager_of_another_team_cannot_approve(referral, social_worker, other_team_manager):
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        screening_approve(decision=decision, approved_by=other_team_manager)

    assert _snapshot(referral) == before


@pytest.mark.parametrize(
    "role",
    [
        Role.SOCIAL_WORKER,
        Role.HUB_REVIEWER,
        Role.COMMITTEE,
        Role.ADMINISTRATOR,
        Role.IRD_PARTICIPANT,
    ],
)
def test_other_roles_cannot_approve_even_in_the_team(referral, social_worker, duty_team, role):
    colleague = StaffFactory(role=role, team=duty_team)
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        screening_approve(decision=decision, approved_by=colleague)

    assert _snapshot(referral) == before


def test_team_manager_of_a_partner_agency_cannot_approve(referral, social_worker, police):
    police_manager = StaffFactory(role=Role.TEAM_MANAGER, team=TeamFactory(agency=police))
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        screening_approve(decision=decision, approved_by=police_manager)

    assert _snapshot(referral) == before


def test_the_proposer_cannot_approve_their_own_decision(referral, team_manager):
    decision = _propose(referral, team_manager)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted, match="someone other"):
        screening_approve(decision=decision, approved_by=team_manager)

    assert _snapshot(referral) == before


def test_approval_from_a_stale_page_is_an_edit_conflict(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(EditConflict):
        screening_approve(decision=decision, approved_by=team_manager, expected_version=1)

    assert _snapshot(referral) == before


def test_a_decision_is_approved_only_once(referral, social_worker, team_manager, service_manager):
    decision = _propose(referral, social_worker)
    screening_approve(decision=decision, approved_by=team_manager)
    before = _snapshot(referral)

    with pytest.raises(ScreeningRefused, match="already been approved"):
        screening_approve(decision=decision, approved_by=service_manager)
    with pytest.raises(ScreeningRefused):
        screening_return(decision=decision, returned_by=service_manager, comment="Redo.")

    assert _snapshot(referral) == before


def test_approval_with_analysis_addresses_the_open_flag(
    flagged_referral, social_worker, team_manager
):
    decision = _propose(
        flagged_referral, social_worker, cumulative_harm_analysis="Considered the whole chronology."
    )

    screening_approve(decision=decision, approved_by=team_manager)

    flag = CumulativeHarmFlag.objects.get()
    assert flag.status == CumulativeHarmFlag.Status.ADDRESSED
    assert flag.addressed_by == decision
    assert flag.addressed_at is not None


def test_approval_without_analysis_leaves_a_later_flag_open(social_worker, team_manager):
    """The flag was raised after the decision was proposed, so nobody analysed it yet."""
    child = PersonFactory()
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[child],
        categories=("neglect",),
    )
    decision = _propose(referral, social_worker)
    make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[child],
        categories=("neglect",),
    )
    flag = CumulativeHarmFlag.objects.get(person=child)

    screening_approve(decision=decision, approved_by=team_manager)

    flag.refresh_from_db()
    assert flag.status == CumulativeHarmFlag.Status.OPEN
    assert flag.addressed_by is None


# --- returning --------------------------------------------------------------------------------


def test_return_sends_the_decision_back_with_a_comment(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)

    returned = screening_return(
        decision=decision,
        returned_by=team_manager,
        comment="Speak to the school first.",
        expected_version=2,
    )

    referral.refresh_from_db()
    assert referral.status == Status.SCREENING
    assert referral.version == 3
    assert returned.state == ScreeningDecision.State.RETURNED
    assert returned.review_comment == "Speak to the school first."
    notice = Notification.objects.get(kind=Notification.Kind.DECISION_RETURNED)
    assert notice.recipient == social_worker
    assert notice.body == "Speak to the school first."
    assert ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.SCREENING_RETURNED).exists()
    # The worker can now propose again, and the new proposal can be approved.
    again = _propose(referral, social_worker, outcome=Outcome.SUPPORT)
    screening_approve(decision=again, approved_by=team_manager)
    referral.refresh_from_db()
    assert referral.status == Status.DECIDED


def test_return_needs_a_comment(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(ScreeningRefused):
        screening_return(decision=decision, returned_by=team_manager, comment="   ")

    assert _snapshot(referral) == before


def test_only_a_manager_of_the_team_can_return(referral, social_worker, other_team_manager):
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(NotPermitted):
        screening_return(decision=decision, returned_by=other_team_manager, comment="No.")
    with pytest.raises(NotPermitted):
        screening_return(decision=decision, returned_by=social_worker, comment="No.")

    assert _snapshot(referral) == before


def test_return_from_a_stale_page_is_an_edit_conflict(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker)
    before = _snapshot(referral)

    with pytest.raises(EditConflict):
        screening_return(
            decision=decision, returned_by=team_manager, comment="Redo.", expected_version=1
        )

    assert _snapshot(referral) == before


def test_returning_does_not_address_the_flag(flagged_referral, social_worker, team_manager):
    decision = _propose(flagged_referral, social_worker, cumulative_harm_analysis="Considered.")

    screening_return(decision=decision, returned_by=team_manager, comment="Not enough.")

    assert CumulativeHarmFlag.objects.get().status == CumulativeHarmFlag.Status.OPEN


# --- closing ----------------------------------------------------------------------------------


@pytest.fixture
def decided_referral(referral, social_worker, team_manager):
    decision = _propose(referral, social_worker, outcome=Outcome.SUPPORT)
    screening_approve(decision=decision, approved_by=team_manager)
    referral.refresh_from_db()
    return referral


def test_decided_referral_is_closed_with_a_reason(decided_referral, social_worker):
    closed = referral_close(
        referral=decided_referral,
        closed_by=social_worker,
        reason="Support in place.",
        expected_version=3,
    )

    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert closed.version == 4
    assert closed.closure_reason == "Support in place."
    assert closed.closed_at is not None
    entry = ChronologyEntry.objects.get(kind=ChronologyEntry.Kind.REFERRAL_CLOSED)
    assert entry.occurred_at == closed.closed_at
    assert AuditEntry.objects.filter(
        object_type="referral",
        object_id=str(closed.pk),
        action=AuditEntry.Action.CHANGE,
        detail={"status": "closed"},
    ).exists()


def test_close_needs_a_reason(decided_referral, social_worker):
    before = _snapshot(decided_referral)

    with pytest.raises(ScreeningRefused):
        referral_close(referral=decided_referral, closed_by=social_worker, reason=" ")

    assert _snapshot(decided_referral) == before


def test_close_by_someone_outside_social_work_is_refused(decided_referral, hub_reviewer):
    before = _snapshot(decided_referral)

    with pytest.raises(NotPermitted):
        referral_close(referral=decided_referral, closed_by=hub_reviewer, reason="Done.")

    assert _snapshot(decided_referral) == before


def test_close_from_a_stale_page_is_an_edit_conflict(decided_referral, social_worker):
    before = _snapshot(decided_referral)

    with pytest.raises(EditConflict):
        referral_close(
            referral=decided_referral, closed_by=social_worker, reason="Done.", expected_version=2
        )

    assert _snapshot(decided_referral) == before


@pytest.mark.parametrize(
    "status", [Status.RECEIVED, Status.SCREENING, Status.IRD_SCHEDULED, Status.CLOSED]
)
def test_only_decided_or_discussed_referrals_can_be_closed(referral, social_worker, status):
    Referral.objects.filter(pk=referral.pk).update(status=status)
    before = _snapshot(referral)

    with pytest.raises(IllegalTransition):
        referral_close(referral=referral, closed_by=social_worker, reason="Done.")

    assert _snapshot(referral) == before


def test_referral_after_its_ird_can_be_closed(referral, social_worker):
    Referral.objects.filter(pk=referral.pk).update(status=Status.IRD_HELD)

    referral_close(referral=referral, closed_by=social_worker, reason="IRD: single agency.")

    referral.refresh_from_db()
    assert referral.status == Status.CLOSED


def test_every_step_bumps_the_version_once(referral, social_worker, team_manager):
    """The version the next form must carry: 1 received, 2 proposed, 3 returned, 4 proposed,
    5 approved, 6 closed."""
    versions = [Referral.objects.get(pk=referral.pk).version]
    first = _propose(referral, social_worker)
    versions.append(Referral.objects.get(pk=referral.pk).version)
    screening_return(
        decision=first, returned_by=team_manager, comment="More.", expected_version=versions[-1]
    )
    versions.append(Referral.objects.get(pk=referral.pk).version)
    second = _propose(referral, social_worker, expected_version=versions[-1])
    versions.append(Referral.objects.get(pk=referral.pk).version)
    screening_approve(decision=second, approved_by=team_manager, expected_version=versions[-1])
    versions.append(Referral.objects.get(pk=referral.pk).version)
    referral_close(
        referral=referral, closed_by=social_worker, reason="Done.", expected_version=versions[-1]
    )
    versions.append(Referral.objects.get(pk=referral.pk).version)

    assert versions == [1, 2, 3, 4, 5, 6]


def test_another_team_may_not_screen_or_close_and_is_told_whom_to_ask(
    duty_team, other_team, team_manager
):
    referral = make_referral(team=duty_team)
    outsider = StaffFactory(role="social_worker", team=other_team)

    with pytest.raises(NotPermitted) as refused:
        screening_propose(
            referral=referral,
            proposed_by=outsider,
            outcome="support",
            reasons="r",
            risk_analysis="r",
            needs_analysis="n",
        )
    assert f"allocated to {duty_team.name}" in str(refused.value)
    assert team_manager.get_full_name() in str(refused.value)
    with pytest.raises(NotPermitted):
        referral_close(referral=referral, closed_by=outsider, reason="x")
