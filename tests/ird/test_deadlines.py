"""IRD deadlines on the core's timescales engine: IRD held within the configured time of the
decision, the record completed within the configured time of the IRD, each action by its due
date, the follow-up checklist, the child protection planning meeting as the IRD decided, and
the procedure review at the end of a trial (warning before, escalation after)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from ird import services
from ird.errors import ActionConflict, IrdRefused
from ird.models import DecisionCode, IrdAction, ProcedureVersion
from referrals import deadlines
from referrals.errors import NotPermitted
from referrals.models import Deadline, DeadlineAlert, Notification, Role, Timescale
from referrals.services import screening
from referrals.working_days import LONDON, add_working_days
from tests.factories import StaffFactory, make_referral
from tests.ird.conftest import approve_child_protection, complete_record

pytestmark = pytest.mark.django_db
Level = Deadline.Level


def deadline(kind: str, **filters) -> Deadline:
    return Deadline.objects.select_related("timescale").get(timescale__kind=kind, **filters)


def test_ird_held_is_due_a_working_day_after_the_decision(requested_ird):
    held = deadline("ird_held", referral=requested_ird.referral)
    decision = requested_ird.requested_by_decision

    assert held.state == Deadline.State.OPEN
    assert held.starts_at == requested_ird.requested_at
    assert held.due_at == add_working_days(held.starts_at, 1, deadlines.closure_days())
    assert held.url == f"/ird/{requested_ird.pk}/"
    assert held.team == requested_ird.referral.team
    assert held.owner == decision.reviewed_by


def test_concluding_meets_ird_held_and_opens_the_record_deadline(concluded_ird, chair):
    referral = concluded_ird.referral
    assert deadline("ird_held", referral=referral).state == Deadline.State.MET
    record = deadline("ird_record", referral=referral)
    assert record.state == Deadline.State.OPEN and record.owner == chair
    assert record.due_at == add_working_days(
        concluded_ird.concluded_at, 1, deadlines.closure_days()
    )


def test_signing_off_meets_the_record_deadline(signed_ird):
    assert deadline("ird_record", referral=signed_ird.referral).state == Deadline.State.MET


def test_cancelling_cancels_ird_held(scheduled_ird, team_manager):
    services.ird_cancel(ird=scheduled_ird, by=team_manager, reason="Moved away.")
    assert deadline("ird_held", referral=scheduled_ird.referral).state == Deadline.State.CANCELLED


def test_closing_the_referral_cancels_ird_held(requested_ird, social_worker):
    screening.referral_close(
        referral=requested_ird.referral,
        closed_by=social_worker,
        reason="Transferred to another council.",
    )
    assert deadline("ird_held", referral=requested_ird.referral).state == Deadline.State.CANCELLED


def test_an_overdue_ird_is_escalated_by_the_sweep(requested_ird, team_manager):
    held = deadline("ird_held", referral=requested_ird.referral)
    # A working-day step: its manager is told 2 working hours after it is due, which is later
    # than 2 elapsed hours when the due time falls outside the working day.
    deadlines.sweep(now=deadlines.level_moments(held)[Level.MANAGER] + timedelta(minutes=1))
    assert DeadlineAlert.objects.filter(deadline=held, level=Level.MANAGER).exists()
    assert Notification.objects.filter(recipient=team_manager, alert__deadline=held).exists()


# --- Actions --------------------------------------------------------------------------------


@pytest.fixture
def action(started_ird, recorder, health_participant):
    return services.action_add(
        ird=started_ird,
        by=recorder,
        description="Paediatric examination.",
        owner_agency=health_participant.agency,
        owner=health_participant,
        due_date=timezone.localdate() + timedelta(days=3),
    )


def test_each_action_is_chased_to_its_due_date(action, health_participant):
    chased = deadline("ird_action", subject_id=str(action.pk))
    assert chased.due_at == datetime.combine(action.due_date, time(17), tzinfo=LONDON)
    assert chased.owner == health_participant
    assert chased.referral == action.ird.referral
    assert chased.warn_at == chased.due_at - timedelta(days=1)


@pytest.mark.parametrize(
    ("days", "refused"), [(-1, "cannot be in the past"), (367, "due within a year")]
)
def test_an_action_is_due_from_today_to_a_year_ahead(
    started_ird, recorder, health_participant, days, refused
):
    """A year ahead at most: an IRD agrees the next steps, and a due date near the calendar's
    end overflowed its deadline's escalations (issue 15)."""
    with pytest.raises(IrdRefused, match=refused):
        services.action_add(
            ird=started_ird,
            by=recorder,
            description="Paediatric examination.",
            owner_agency=health_participant.agency,
            due_date=timezone.localdate() + timedelta(days=days),
        )
    assert not IrdAction.objects.exists()
    assert not Deadline.objects.filter(subject_type="ird_action").exists()
    year_ahead = services.action_add(
        ird=started_ird,
        by=recorder,
        description="Review at a year.",
        owner_agency=health_participant.agency,
        due_date=timezone.localdate() + timedelta(days=366),
    )
    assert deadline("ird_action", subject_id=str(year_ahead.pk)).state == Deadline.State.OPEN


def test_an_action_done_meets_its_deadline(action, health_participant):
    services.action_update(
        action=action,
        by=health_participant,
        status="done",
        completion_note="Examined; no fracture.",
        expected_version=action.version,
    )
    assert deadline("ird_action", subject_id=str(action.pk)).state == Deadline.State.MET


def test_an_action_cancelled_cancels_its_deadline(action, chair):
    services.action_update(
        action=action,
        by=chair,
        status="cancelled",
        completion_note="No longer needed.",
        expected_version=action.version,
    )
    assert deadline("ird_action", subject_id=str(action.pk)).state == Deadline.State.CANCELLED


def test_a_done_action_needs_a_note_and_cannot_be_reopened(action, health_participant):
    with pytest.raises(IrdRefused, match="what was done"):
        services.action_update(
            action=action, by=health_participant, status="done", expected_version=action.version
        )
    done = services.action_update(
        action=action,
        by=health_participant,
        status="done",
        completion_note="Done.",
        expected_version=action.version,
    )
    with pytest.raises(NotPermitted):  # a finished action is no longer updated
        services.action_update(
            action=done, by=health_participant, status="open", expected_version=done.version
        )


# --- The child protection planning meeting ----------------------------------------------------


def test_a_decision_that_no_cppm_is_needed_cancels_its_deadline(
    started_ird, recorder, chair, social_worker
):
    complete_record(
        started_ird, recorder=recorder, lead=social_worker, decision_code="cppm_not_needed"
    )
    ird = services.ird_sign_off(
        ird=services.ird_conclude(ird=started_ird, by=recorder), by=chair, confirmed=True
    )
    assert deadline("cppm", referral=ird.referral).state == Deadline.State.CANCELLED


def test_a_cppm_to_be_held_keeps_its_deadline_even_beside_single_agency_work(
    started_ird, recorder, chair, social_worker
):
    complete_record(started_ird, recorder=recorder, lead=social_worker)  # investigation
    services.decision_add(
        ird=started_ird,
        by=recorder,
        rationale="Health follow-up.",
        code=DecisionCode.objects.get(code="single_agency_response"),
    )
    ird = services.ird_sign_off(
        ird=services.ird_conclude(ird=started_ird, by=recorder), by=chair, confirmed=True
    )
    assert deadline("cppm", referral=ird.referral).state == Deadline.State.OPEN


def test_the_action_that_holds_the_cppm_meets_its_deadline(started_ird, recorder, social_worker):
    meeting = services.action_add(
        ird=started_ird,
        by=recorder,
        description="Hold the CPPM.",
        owner_agency=social_worker.agency,
        owner=social_worker,
        due_date=timezone.localdate() + timedelta(days=20),
        holds_cppm=True,
    )
    services.action_update(
        action=meeting,
        by=social_worker,
        status="done",
        completion_note="CPPM held; child registered.",
        expected_version=meeting.version,
    )
    assert deadline("cppm", referral=started_ird.referral).state == Deadline.State.MET


# --- Follow-up --------------------------------------------------------------------------------


def test_follow_up_items_have_deadlines_met_when_ticked(signed_ird, recorder):
    items = list(signed_ird.follow_up.all())
    live = Deadline.objects.filter(subject_type="ird_follow_up", state=Deadline.State.OPEN)
    assert live.count() == len(items) == 5
    assert {d.owner for d in live} == {signed_ird.lead_professional}
    services.follow_up_done(item=items[0], by=recorder)
    assert deadline("ird_follow_up", subject_id=str(items[0].pk)).state == Deadline.State.MET


# --- Procedure review ------------------------------------------------------------------------


@pytest.fixture
def committee(committee_member, social_work):
    return [committee_member, StaffFactory(role=Role.COMMITTEE, team=None, agency=social_work)]


@pytest.fixture
def procedure(committee):
    return services.procedure_start(
        by=committee[0],
        title="IRD procedure",
        version="2.0",
        effective_from=timezone.localdate(),
        text="Convene.",
    )


def test_a_new_version_starts_a_three_month_trial_with_reminders_for_the_committee(
    procedure, committee
):
    assert procedure.status == ProcedureVersion.Status.TRIAL
    assert procedure.trial_ends_on == services.add_months(procedure.effective_from, 3)
    reminders = Deadline.objects.filter(subject_type="ird_procedure", subject_id=str(procedure.pk))
    assert {d.owner for d in reminders} == set(committee)
    due = datetime.combine(procedure.trial_ends_on, time(9), tzinfo=LONDON)
    assert {d.due_at for d in reminders} == {due}


def test_the_review_reminder_fires_at_the_end_of_the_trial(procedure, committee, service_manager):
    due = Deadline.objects.filter(subject_type="ird_procedure").first().due_at

    deadlines.sweep(now=due - timedelta(days=13))  # warned before the end
    warned = Notification.objects.filter(recipient__in=committee, title__startswith="Due soon")
    assert warned.count() == 2
    # Issue 12 defect 4: the task and its subject in words, not "for ird_procedure".
    assert {n.title.split(" (due")[0] for n in warned} == {
        "Due soon: Review the IRD procedure at the end of its trial for the IRD procedure 2.0"
    }
    deadlines.sweep(now=due + timedelta(hours=1))  # the trial has ended: overdue
    assert (
        Notification.objects.filter(recipient__in=committee, title__startswith="Overdue").count()
        == 2
    )
    deadlines.sweep(now=due + timedelta(days=15))  # still no review: escalated
    assert Notification.objects.filter(
        recipient=service_manager, alert__deadline__subject_type="ird_procedure"
    ).exists()


def test_recording_the_review_meets_the_reminders(procedure, committee):
    services.procedure_review(
        procedure=procedure,
        by=committee[1],
        outcome="adopt",
        notes="Teleconference worked; adopted.",
    )
    procedure.refresh_from_db()
    assert procedure.status == ProcedureVersion.Status.ADOPTED
    assert not Deadline.objects.filter(
        subject_type="ird_procedure", state=Deadline.State.OPEN
    ).exists()


def test_extending_the_trial_moves_the_reminders(procedure, committee):
    new_end = procedure.trial_ends_on + timedelta(days=30)
    services.procedure_review(
        procedure=procedure,
        by=committee[0],
        outcome="extend",
        notes="Too few IRDs to judge.",
        extended_until=new_end,
    )
    live = Deadline.objects.filter(subject_type="ird_procedure", state=Deadline.State.OPEN)
    assert live.count() == 2
    assert {d.due_at.astimezone(LONDON).date() for d in live} == {new_end}


def test_amending_starts_the_next_version_and_its_own_trial(procedure, committee):
    review = services.procedure_review(
        procedure=procedure,
        by=committee[0],
        outcome="amend",
        notes="Add out-of-hours.",
        next_version={
            "title": procedure.title,
            "version": "2.1",
            "effective_from": timezone.localdate(),
            "text": "Convene; out of hours.",
        },
    )
    procedure.refresh_from_db()
    assert procedure.status == ProcedureVersion.Status.SUPERSEDED
    assert review.next_version.version == "2.1"
    assert review.next_version.previous == procedure
    assert (
        Deadline.objects.filter(
            subject_id=str(review.next_version.pk), state=Deadline.State.OPEN
        ).count()
        == 2
    )


def test_only_the_committee_manages_procedures(team_manager, procedure):
    with pytest.raises(NotPermitted):
        services.procedure_start(
            by=team_manager, title="x", version="9", text="x", effective_from=timezone.localdate()
        )
    with pytest.raises(NotPermitted):
        services.procedure_review(procedure=procedure, by=team_manager, outcome="adopt", notes="x")


# --- Configuration ---------------------------------------------------------------------------


def test_a_missing_ird_timescale_is_restored_with_its_default(social_worker, team_manager):
    Timescale.objects.filter(kind="ird_held").delete()
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    approve_child_protection(referral, social_worker, team_manager)
    assert deadline("ird_held", referral=referral).timescale.amount == 1


def test_action_versions_refuse_a_stale_update(action, health_participant):
    services.action_update(
        action=action,
        by=health_participant,
        status="open",
        completion_note="Booked for Tuesday.",
        expected_version=action.version,
    )
    with pytest.raises(ActionConflict):
        services.action_update(
            action=action,
            by=health_participant,
            status="done",
            completion_note="Done.",
            expected_version=action.version,
        )
    assert IrdAction.objects.get(pk=action.pk).status == "open"
