"""Issue 13, points 1-3: who is told, and when, once a step is late.

1. Open deadlines follow an edit of their timescale's ladder (warning, manager, service manager):
   the stored next action moves with the edit, so no level fires late or two at once.
2. A ladder out of order (manager after the service manager) is refused, and a level is never
   skipped: a later level waits for the earlier one.
3. One escalation per subject and level, whoever the owners are.
"""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from referrals import deadlines
from referrals.models import Deadline, EscalationContact, Notification, Role, Timescale
from referrals.working_days import LONDON
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
Level = Deadline.Level


def at(day, hour, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def ladder(db):
    return Timescale.objects.create(
        kind="test_ladder",
        label="Test step done",
        task="Do the test step",
        amount=24,
        unit="hours",
        warning_before=timedelta(hours=4),
        escalate_to_manager_after=timedelta(days=1),
        escalate_to_service_manager_after=timedelta(days=3),
    )


@pytest.fixture
def late(ladder, social_worker, team_manager, service_manager):
    """Opened Mon 7 Dec 10:00, due Tue 8 Dec 10:00."""
    social_worker.team.service_manager = service_manager
    social_worker.team.save()
    return deadlines.deadline_open(
        kind="test_ladder",
        subject_type="test",
        subject_id="1",
        url="/x/",
        starts_at=at(7, 10),
        owner=social_worker,
        team=social_worker.team,
    )


def told(level) -> set:
    return set(
        Notification.objects.filter(alert__level=level).values_list("recipient_id", flat=True)
    )


def test_shortening_the_ladder_moves_open_deadlines_with_it(
    late, ladder, team_manager, service_manager
):
    deadlines.sweep(now=at(8, 10, 5))  # overdue: the owner is told
    ladder.escalate_to_manager_after = timedelta(hours=1)
    ladder.escalate_to_service_manager_after = timedelta(hours=2)
    ladder.save()
    deadlines.timescale_changed(ladder)

    deadlines.sweep(now=at(8, 11, 5))
    assert told(Level.MANAGER) == {team_manager.pk}
    assert told(Level.SERVICE_MANAGER) == set()
    deadlines.sweep(now=at(8, 12, 5))
    assert told(Level.SERVICE_MANAGER) == {service_manager.pk}


def test_saving_the_timescale_in_the_admin_moves_open_deadlines(
    client, administrator, late, ladder
):
    deadlines.sweep(now=at(8, 10, 5))  # overdue: next, the manager a day later
    late.refresh_from_db()
    assert late.next_action_at == at(9, 10)
    client.force_login(administrator)
    response = client.post(
        f"/admin/referrals/timescale/{ladder.pk}/change/",
        {
            "kind": ladder.kind,
            "label": ladder.label,
            "task": ladder.task,
            "amount": 24,
            "unit": "hours",
            "warning_before": "04:00:00",
            "escalate_to_manager_after": "01:00:00",
            "escalate_to_service_manager_after": "02:00:00",
            "source": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    late.refresh_from_db()
    assert late.next_action_at == at(8, 11)  # the manager, an hour after 10:00


@pytest.mark.parametrize(
    ("field", "value", "next_level", "next_at"),
    [
        # Opened Mon 7 Dec 10:00, due Tue 8 Dec 10:00; warned 4 h before, manager a day after,
        # service manager three days after. Each edit, longer or shorter, moves what is next.
        ("warning_before", timedelta(hours=8), Level.WARNED, at(8, 2)),
        ("warning_before", timedelta(hours=1), Level.WARNED, at(8, 9)),
        ("escalate_to_manager_after", timedelta(hours=3), Level.MANAGER, at(8, 13)),
        ("escalate_to_manager_after", timedelta(days=2), Level.MANAGER, at(10, 10)),
        ("escalate_to_service_manager_after", timedelta(days=1), Level.SERVICE_MANAGER, at(9, 10)),
        ("escalate_to_service_manager_after", timedelta(days=5), Level.SERVICE_MANAGER, at(13, 10)),
    ],
)
def test_every_ladder_field_edited_while_deadlines_are_open_is_followed(
    late, ladder, field, value, next_level, next_at
):
    if next_level > Level.WARNED:  # the owner has been warned and told: the managers are next
        deadlines.sweep(now=at(8, 10, 5))
    if next_level == Level.SERVICE_MANAGER:
        deadlines.sweep(now=at(9, 10, 5))
    setattr(ladder, field, value)
    ladder.save()
    deadlines.timescale_changed(ladder)

    late.refresh_from_db()
    assert late.next_action_at == next_at
    deadlines.sweep(now=next_at - timedelta(minutes=1))
    assert told(next_level) == set()
    deadlines.sweep(now=next_at + timedelta(minutes=1))
    assert told(next_level)


def test_a_ladder_out_of_order_is_refused(ladder, client, administrator):
    ladder.escalate_to_manager_after = timedelta(days=2)
    ladder.escalate_to_service_manager_after = timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        ladder.full_clean()
    assert "escalate_to_service_manager_after" in refused.value.message_dict


def test_a_later_level_never_skips_an_earlier_one(late, ladder, team_manager, service_manager):
    # Out of order in the database (an old row, or an edit that bypassed the admin).
    Timescale.objects.filter(pk=ladder.pk).update(
        escalate_to_manager_after=timedelta(days=2),
        escalate_to_service_manager_after=timedelta(days=1),
    )
    late.refresh_from_db()
    deadlines.timescale_changed(Timescale.objects.get(pk=ladder.pk))

    # A day late: the service manager's time, but not yet the manager's.
    deadlines.sweep(now=at(9, 10, 5))
    assert told(Level.SERVICE_MANAGER) == set()
    deadlines.sweep(now=at(10, 10, 5))
    assert told(Level.MANAGER) == {team_manager.pk}
    assert told(Level.SERVICE_MANAGER) == {service_manager.pk}


def test_one_escalation_per_subject_and_level_whoever_the_owners(
    ladder, social_work, service_manager, duty_team
):
    duty_team.service_manager = service_manager
    duty_team.save()
    owners = [StaffFactory(role=Role.COMMITTEE, team=duty_team) for _ in range(2)]
    for owner in owners:
        deadlines.deadline_open(
            kind="test_ladder",
            subject_type="ird_procedure",
            subject_id="7",
            subject_label="the IRD procedure 2.0",
            url="/x/",
            starts_at=at(7, 10),
            owner=owner,
            team=duty_team,
        )

    deadlines.sweep(now=at(12, 10))

    escalated = Notification.objects.filter(
        recipient=service_manager, alert__level=Level.SERVICE_MANAGER
    )
    assert escalated.count() == 1
    assert "for the IRD procedure 2.0" in escalated.get().title
    # Each owner is still told their own step is overdue.
    assert told(Level.DUE) == {owner.pk for owner in owners}


# --- 4. Another agency's overdue work ---------------------------------------------------------


@pytest.fixture
def police_action(ladder, police_participant, social_worker, team_manager, service_manager):
    """An IRD action owned by a police officer on a social work referral, overdue."""
    from tests.factories import make_referral  # noqa: PLC0415

    social_worker.team.service_manager = service_manager
    social_worker.team.save()
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    return deadlines.deadline_open(
        kind="test_ladder",
        subject_type="ird_action",
        subject_id="9",
        url="/x/",
        starts_at=at(7, 10),
        owner=police_participant,
        team=police_participant.team,
        referral=referral,
    )


@pytest.fixture
def superuser(db):
    return StaffFactory(is_superuser=True, is_staff=True, email="root@example.org")


def test_police_work_escalates_to_the_police_contact_and_the_lead_team_manager(
    police_action, police, team_manager, superuser, mailoutbox, django_capture_on_commit_callbacks
):
    police_inspector = StaffFactory(role=Role.IRD_PARTICIPANT, team=police_action.team)
    EscalationContact.objects.create(agency=police, staff=police_inspector)
    EscalationContact.objects.create(agency=police, mailbox="cp-desk@police.example")

    with django_capture_on_commit_callbacks(execute=True):
        deadlines.sweep(now=at(9, 10, 5))

    assert told(Level.MANAGER) == {police_inspector.pk, team_manager.pk}
    assert superuser.pk not in told(Level.MANAGER) | told(Level.SERVICE_MANAGER)
    escalation_mail = [m for m in mailoutbox if "Escalated to you" in m.subject]
    assert any("cp-desk@police.example" in m.to for m in escalation_mail), [
        m.to for m in escalation_mail
    ]


def test_without_a_contact_the_service_manager_is_told_never_a_superuser(
    police_action, team_manager, service_manager, superuser
):
    deadlines.sweep(now=at(9, 10, 5))

    assert told(Level.MANAGER) == {team_manager.pk}
    assert not Notification.objects.filter(recipient=superuser).exists()
    assert Notification.objects.filter(
        recipient=service_manager, title__startswith="No escalation contact for Police Scotland"
    ).exists()


def test_the_admin_lists_agencies_without_a_contact(client, administrator, police):
    client.force_login(administrator)

    page = client.get("/admin/referrals/escalationcontact/", follow=True).content.decode()

    assert "No escalation contact for: Police Scotland" in page


# --- 6. Quiet hours -----------------------------------------------------------------------------


def friday(hour, minute=0):
    return datetime(2026, 12, 11, hour, minute, tzinfo=LONDON)


@pytest.fixture
def friday_step(ladder, social_worker, team_manager, service_manager, settings):
    settings.REMINDER_HOURS = (time(8), time(18))
    """Due Fri 11 Dec 16:30; the team manager is told 4 hours later, at 20:30."""
    social_worker.team.service_manager = service_manager
    social_worker.team.save()
    Timescale.objects.filter(pk=ladder.pk).update(
        escalate_to_manager_after=timedelta(hours=4),
        escalate_to_service_manager_after=timedelta(hours=8),
    )
    return deadlines.deadline_open(
        kind="test_ladder",
        subject_type="test",
        subject_id="friday",
        url="/x/",
        starts_at=friday(9),
        due_at=friday(16, 30),
        owner=social_worker,
        team=social_worker.team,
    )


def test_an_escalation_out_of_hours_waits_for_the_next_working_morning(friday_step, team_manager):
    deadlines.sweep(now=friday(16, 35))
    assert told(Level.DUE)  # in hours: at once
    deadlines.sweep(now=friday(21))  # Friday evening
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 12, 12, tzinfo=LONDON))  # Saturday
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 14, 8, 1, tzinfo=LONDON))  # Monday morning
    assert told(Level.MANAGER) == {team_manager.pk}


def test_an_urgent_step_is_told_at_any_hour(friday_step, team_manager):
    Deadline.objects.filter(pk=friday_step.pk).update(urgent=True)
    friday_step.refresh_from_db()
    deadlines.timescale_changed(friday_step.timescale)

    deadlines.sweep(now=friday(16, 35))
    deadlines.sweep(now=friday(21))

    assert told(Level.MANAGER) == {team_manager.pk}


def test_a_referral_with_immediate_risk_opens_urgent_deadlines(duty_team, social_worker):
    from tests.factories import make_referral  # noqa: PLC0415

    risky = make_referral(team=duty_team, received_by=social_worker, immediate_risk=True)
    calm = make_referral(team=duty_team, received_by=social_worker)

    assert Deadline.objects.get(referral=risky, timescale__kind="screening").urgent is True
    assert Deadline.objects.get(referral=calm, timescale__kind="screening").urgent is False


# --- 5. Ladder steps in the timescale's own unit ------------------------------------------------


@pytest.fixture
def working_day_step(ladder, social_worker, team_manager, service_manager):
    """A working-day step due Fri 11 Dec 16:30; told to the team manager 1 working day after,
    the service manager 2 working days after (Mon 14 and Tue 15 Dec, 16:30)."""
    social_worker.team.service_manager = service_manager
    social_worker.team.save()
    Timescale.objects.filter(pk=ladder.pk).update(
        amount=2,
        unit="working_days",
        escalate_to_manager_after=timedelta(days=1),
        escalate_to_service_manager_after=timedelta(days=2),
    )
    return deadlines.deadline_open(
        kind="test_ladder",
        subject_type="test",
        subject_id="working",
        url="/x/",
        starts_at=friday(9),
        due_at=friday(16, 30),
        owner=social_worker,
        team=social_worker.team,
    )


def test_a_working_day_ladder_skips_the_weekend(working_day_step, team_manager, service_manager):
    deadlines.sweep(now=datetime(2026, 12, 12, 16, 31, tzinfo=LONDON))  # Saturday
    deadlines.sweep(now=datetime(2026, 12, 13, 16, 31, tzinfo=LONDON))  # Sunday
    assert told(Level.MANAGER) == told(Level.SERVICE_MANAGER) == set()

    deadlines.sweep(now=datetime(2026, 12, 14, 16, 29, tzinfo=LONDON))
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 14, 16, 31, tzinfo=LONDON))  # Monday
    assert told(Level.MANAGER) == {team_manager.pk}
    assert told(Level.SERVICE_MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 15, 16, 31, tzinfo=LONDON))  # Tuesday
    assert told(Level.SERVICE_MANAGER) == {service_manager.pk}


def test_a_working_day_ladder_skips_holidays_too(working_day_step, team_manager):
    """Due Thu 24 Dec: Christmas Day and Boxing Day's substitute (Mon 28) are not counted."""
    Deadline.objects.filter(pk=working_day_step.pk).update(
        due_at=datetime(2026, 12, 24, 16, 30, tzinfo=LONDON)
    )
    deadlines.timescale_changed(working_day_step.timescale)

    deadlines.sweep(now=datetime(2026, 12, 28, 16, 31, tzinfo=LONDON))
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 29, 16, 31, tzinfo=LONDON))
    assert told(Level.MANAGER) == {team_manager.pk}


def test_hours_on_a_working_day_ladder_are_working_hours(working_day_step, team_manager, settings):
    """Due Fri 16:30, the team manager 4 working hours after: 1.5 h on Friday and 2.5 h on
    Monday morning, so Monday 10:30 (not Friday 20:30, nor Monday 08:00)."""
    settings.REMINDER_HOURS = (time(8), time(18))
    Timescale.objects.filter(pk=working_day_step.timescale_id).update(
        escalate_to_manager_after=timedelta(hours=4)
    )
    deadlines.timescale_changed(Timescale.objects.get(pk=working_day_step.timescale_id))

    deadlines.sweep(now=datetime(2026, 12, 14, 8, 1, tzinfo=LONDON))
    deadlines.sweep(now=datetime(2026, 12, 14, 10, 29, tzinfo=LONDON))
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 14, 10, 31, tzinfo=LONDON))
    assert told(Level.MANAGER) == {team_manager.pk}


def test_working_hours_are_counted_even_where_reminders_go_at_any_hour(working_day_step):
    """REMINDER_HOURS=any sends reminders at any hour, but a working hour is still one of the
    working day (08:00-18:00): 1 day 3 hours after Fri 16:30 is Mon 16:30, then Tue 09:30."""
    Timescale.objects.filter(pk=working_day_step.timescale_id).update(
        escalate_to_service_manager_after=timedelta(days=1, hours=3)
    )
    working_day_step.refresh_from_db()

    moments = deadlines.level_moments(working_day_step)

    assert moments[Level.SERVICE_MANAGER] == datetime(2026, 12, 15, 9, 30, tzinfo=LONDON)


def test_an_urgent_step_escalates_in_elapsed_hours_whatever_the_unit(
    working_day_step, team_manager
):
    Deadline.objects.filter(pk=working_day_step.pk).update(urgent=True)
    deadlines.timescale_changed(working_day_step.timescale)

    deadlines.sweep(now=datetime(2026, 12, 12, 16, 31, tzinfo=LONDON))  # Saturday

    assert told(Level.MANAGER) == {team_manager.pk}


def test_an_hour_step_escalates_in_elapsed_hours(late, team_manager):
    """The ladder fixture counts in hours: its escalations do too, weekend or not."""
    assert deadlines.level_moments(late)[Level.MANAGER] == at(9, 10)


def test_a_working_day_ladder_skips_council_closure_days_in_the_sweep(
    working_day_step, team_manager
):
    """The sweep read closure days only when quiet hours were on (REMINDER_HOURS): with them
    off, a council closure day counted as a working day for the ladder."""
    from referrals.models import ClosureDay

    ClosureDay.objects.create(date=datetime(2026, 12, 14).date(), name="Local holiday")

    deadlines.sweep(now=datetime(2026, 12, 14, 16, 31, tzinfo=LONDON))
    assert told(Level.MANAGER) == set()
    deadlines.sweep(now=datetime(2026, 12, 15, 16, 31, tzinfo=LONDON))
    assert told(Level.MANAGER) == {team_manager.pk}
