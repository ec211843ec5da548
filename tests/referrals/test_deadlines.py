"""The deadline engine: opened and met by the referral steps, swept level by level, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import deadlines
from referrals.models import Deadline, DeadlineAlert, Notification, Role, Timescale
from referrals.services import screening
from tests.factories import StaffFactory, make_referral

pytestmark = pytest.mark.django_db
Level = Deadline.Level


@pytest.fixture
def hourly(db):
    """A timescale in hours so that moments are easy to reason about."""
    return Timescale.objects.create(
        kind="test_hourly",
        label="Test step",
        amount=10,
        unit="hours",
        warning_before=timedelta(hours=2),
        escalate_to_manager_after=timedelta(hours=4),
        escalate_to_service_manager_after=timedelta(hours=8),
    )


@pytest.fixture
def deadline(hourly, social_worker, team_manager, service_manager):
    social_worker.team.service_manager = service_manager
    social_worker.team.save()
    start = timezone.now() - timedelta(days=30)
    return deadlines.deadline_open(
        kind="test_hourly",
        subject_type="test",
        subject_id="1",
        url="/somewhere/",
        starts_at=start,
        owner=social_worker,
        team=social_worker.team,
    )


def recipients(level):
    return {n.recipient for n in Notification.objects.filter(alert__level=level)}


def test_opening_computes_warning_due_and_next_action(deadline):
    assert deadline.due_at - deadline.starts_at == timedelta(hours=10)
    assert deadline.warn_at == deadline.due_at - timedelta(hours=2)
    assert deadline.next_action_at == deadline.warn_at
    assert deadline.state == Deadline.State.OPEN


def test_each_level_fires_once_at_its_moment(
    deadline, social_worker, team_manager, service_manager
):
    start = deadline.starts_at
    assert deadlines.sweep(now=start + timedelta(hours=7)) == []

    deadlines.sweep(now=start + timedelta(hours=8, minutes=1))
    assert recipients(Level.WARNED) == {social_worker}
    assert deadlines.sweep(now=start + timedelta(hours=9)) == []  # nothing new

    deadlines.sweep(now=start + timedelta(hours=10, minutes=1))
    deadline.refresh_from_db()
    assert deadline.state == Deadline.State.BREACHED
    assert deadline.breached_at == deadline.due_at
    assert recipients(Level.DUE) == {social_worker}

    deadlines.sweep(now=start + timedelta(hours=14, minutes=1))
    assert recipients(Level.MANAGER) == {team_manager}

    deadlines.sweep(now=start + timedelta(hours=18, minutes=1))
    assert recipients(Level.SERVICE_MANAGER) == {service_manager}
    deadline.refresh_from_db()
    assert deadline.next_action_at is None
    assert DeadlineAlert.objects.count() == 4
    assert deadlines.sweep(now=start + timedelta(days=20)) == []


def test_a_sweep_after_a_long_outage_sends_every_level_due_but_no_stale_warning(deadline):
    """Beat down for hours: the first sweep catches up; a warning after the due time is noise."""
    deadlines.sweep(now=deadline.starts_at + timedelta(hours=19))
    levels = set(DeadlineAlert.objects.values_list("level", flat=True))
    assert levels == {Level.DUE, Level.MANAGER, Level.SERVICE_MANAGER}


def test_met_deadlines_are_not_chased(deadline):
    deadlines.deadline_meet(kind="test_hourly", subject_type="test", subject_id="1")
    assert deadlines.sweep(now=deadline.starts_at + timedelta(days=3)) == []
    deadline.refresh_from_db()
    assert deadline.state == Deadline.State.MET


def test_two_sweeps_never_alert_a_level_twice(deadline):
    moment = deadline.starts_at + timedelta(hours=11)
    first = deadlines.sweep(now=moment)
    Deadline.objects.filter(pk=deadline.pk).update(level=Level.NONE, next_action_at=moment)
    second = deadlines.sweep(now=moment)  # a stale second sweep re-reads the same level
    assert len(first) == 1 and second == []
    assert DeadlineAlert.objects.count() == 1
    assert Notification.objects.filter(alert__isnull=False).count() == 1


def test_the_database_refuses_a_second_alert_for_a_level(deadline):
    DeadlineAlert.objects.create(deadline=deadline, level=Level.DUE)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlineAlert.objects.create(deadline=deadline, level=Level.DUE)


def test_alert_email_is_sent_once_after_commit(deadline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [alert_id] = deadlines.sweep(now=deadline.starts_at + timedelta(hours=11))
    assert callbacks, "the e-mail is queued only once the sweep commits"
    assert len(mail.outbox) == 1  # CELERY_TASK_ALWAYS_EAGER in tests runs it in-process
    assert "Overdue" in mail.outbox[0].subject
    deadlines.alert_email(alert_id=alert_id)  # the broker delivers it again
    assert len(mail.outbox) == 1


def test_nobody_to_tell_goes_up_the_chain(hourly, duty_team, service_manager):
    duty_team.service_manager = service_manager
    duty_team.save()
    deadline = deadlines.deadline_open(
        kind="test_hourly",
        subject_type="test",
        subject_id="2",
        url="/",
        team=duty_team,
        starts_at=timezone.now() - timedelta(days=1),
    )
    deadlines.sweep(now=deadline.starts_at + timedelta(hours=11))
    assert recipients(Level.DUE) == {service_manager}


def test_referral_steps_open_and_close_deadlines(social_worker, team_manager):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    [screening_deadline] = Deadline.objects.filter(referral=referral)
    assert screening_deadline.timescale.kind == "screening"
    assert screening_deadline.owner == social_worker

    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="child_protection",
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
    )
    by_kind = {d.timescale.kind: d for d in Deadline.objects.filter(referral=referral)}
    assert by_kind["screening"].state == Deadline.State.MET
    assert by_kind["manager_approval"].state == Deadline.State.OPEN

    screening.screening_approve(decision=decision, approved_by=team_manager)
    by_kind = {d.timescale.kind: d for d in Deadline.objects.filter(referral=referral)}
    assert by_kind["manager_approval"].state == Deadline.State.MET
    assert by_kind["cppm"].state == Deadline.State.OPEN
    assert by_kind["cppm"].due_at - by_kind["cppm"].starts_at >= timedelta(days=27, hours=23)


def test_returned_decision_reopens_screening_for_the_proposer(social_worker, team_manager):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="support",
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
    )
    screening.screening_return(decision=decision, returned_by=team_manager, comment="More")
    live = Deadline.objects.filter(referral=referral, state=Deadline.State.OPEN)
    assert [(d.timescale.kind, d.owner) for d in live] == [("screening", social_worker)]


def test_closing_a_referral_cancels_its_deadlines(social_worker, team_manager):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="child_protection",
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
    )
    screening.screening_approve(decision=decision, approved_by=team_manager)
    screening.referral_close(referral=referral, closed_by=social_worker, reason="Done")
    assert not Deadline.objects.filter(referral=referral, state=Deadline.State.OPEN).exists()


def test_team_work_page_lists_overdue_work_for_managers(client, social_worker, team_manager):
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        received_at=timezone.now() - timedelta(days=10),
    )
    client.force_login(team_manager)
    page = client.get("/team/work/")
    assert page.status_code == 200
    assert referral.reference in page.content.decode()
    client.force_login(social_worker)
    assert client.get("/team/work/").status_code == 403


def test_sweep_cost_follows_due_rows_not_open_rows(
    hourly, social_worker, django_assert_max_num_queries
):
    future = timezone.now() + timedelta(days=30)
    for number in range(50):
        deadlines.deadline_open(
            kind="test_hourly",
            subject_type="test",
            subject_id=str(number),
            url="/",
            starts_at=future,
            owner=social_worker,
            team=social_worker.team,
        )
    # The closure days, one batch query, one each for unsent alert and notification e-mail:
    # never one per row.
    with django_assert_max_num_queries(6):
        assert deadlines.sweep() == []


def test_sweep_command_time_travels_forward(deadline, capsys):
    from django.core.management import call_command

    call_command("sweep_deadlines", "--as-of", "+1d")
    assert "new alerts" in capsys.readouterr().out
    assert DeadlineAlert.objects.filter(deadline=deadline).exists()


def test_recipients_use_role_not_names(deadline):
    # Guard for the escalation chain: staff in other roles are never told.
    StaffFactory(role=Role.HUB_REVIEWER, team=deadline.team)
    deadlines.sweep(now=deadline.starts_at + timedelta(days=2))
    assert not Notification.objects.filter(recipient__role=Role.HUB_REVIEWER).exists()


def test_an_alert_names_the_step_as_a_task_and_its_referral(social_worker, duty_team):
    """Issue 12 defect 4: "Due soon: Screening decision recorded" read like finished work."""
    referral = make_referral(team=duty_team, received_by=social_worker)
    deadline = Deadline.objects.get(referral=referral, timescale__kind="screening")

    deadlines.sweep(now=deadline.warn_at + timedelta(minutes=1))

    [warning] = Notification.objects.filter(recipient=social_worker, alert__deadline=deadline)
    assert warning.title.startswith(
        f"Due soon: Record the screening decision for {referral.reference} (due "
    )
    assert "recorded" not in warning.title


def test_an_alert_about_no_referral_names_its_subject_in_words_never_a_code(hourly, social_worker):
    opened = deadlines.deadline_open(
        kind="test_hourly",
        subject_type="ird_procedure",
        subject_id="1",
        subject_label="the IRD procedure 2.0",
        url="/somewhere/",
        starts_at=timezone.now() - timedelta(days=1),
        owner=social_worker,
    )
    Timescale.objects.filter(pk=hourly.pk).update(task="Review the test step")
    opened.refresh_from_db()

    assert deadlines.alert_title(opened, Level.DUE).startswith(
        "Overdue: Review the test step for the IRD procedure 2.0 (was due "
    )
    unnamed = deadlines.deadline_open(
        kind="test_hourly", subject_type="x_code", subject_id="2", url="/", starts_at=timezone.now()
    )
    assert "x_code" not in deadlines.alert_title(unnamed, Level.WARNED)


def test_deadlines_gathered_in_one_change_are_written_together_at_its_end(hourly, duty_team):
    """Issue 14: an intake's deadlines (opened by the core, the hub and the IRD) go in one
    INSERT when the change ends; a block that fails writes none."""
    start = timezone.now()

    def open_one(number):
        return deadlines.deadline_open(
            kind="test_hourly",
            subject_type="test",
            subject_id=str(number),
            url="/",
            team=duty_team,
            starts_at=start,
        )

    with CaptureQueriesContext(connection) as queries, deadlines.gathered():
        opened = [open_one(number) for number in range(3)]
        assert not Deadline.objects.filter(subject_type="test").exists()
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "referrals_deadline"')]
    assert len(inserts) == 1
    assert set(Deadline.objects.filter(subject_type="test").values_list("pk", flat=True)) == {
        deadline.pk for deadline in opened
    }

    with pytest.raises(RuntimeError), deadlines.gathered():
        open_one(9)
        raise RuntimeError("the change fails")
    assert not Deadline.objects.filter(subject_id="9").exists()
