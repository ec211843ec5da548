"""Every deadline of the pathway past the first IRD is chased like an IRD step: the sweep warns,
marks it due, tells the manager and then the service manager, each exactly once however often
it runs (RELIABILITY.md; referrals.deadlines). One test, parametrised over the steps: each step
is reached through its own service, as a user's action would reach it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ird import cppm
from ird.models import CoreGroup, Registration
from referrals import deadlines
from referrals.models import Deadline, DeadlineAlert, Notification
from referrals.models.emergency import EmergencyMeasure
from referrals.services import emergency
from tests.factories import category
from tests.ird.conftest import outcome
from tests.ird.test_core_group import add_action, record_meeting

pytestmark = pytest.mark.django_db
Level = Deadline.Level
EVERY_LEVEL = [Level.WARNED, Level.DUE, Level.MANAGER, Level.SERVICE_MANAGER]


def open_deadline(kind: str, **filters) -> Deadline:
    return Deadline.objects.select_related("timescale").get(
        timescale__kind=kind, state__in=deadlines.LIVE_STATES, **filters
    )


def _group(request) -> CoreGroup:
    request.getfixturevalue("registered")
    return CoreGroup.objects.select_related("registration", "referral").get()


def _measure(request) -> EmergencyMeasure:
    referral = request.getfixturevalue("cp_referral")
    now = timezone.now()
    return emergency.measure_record(
        referral=referral,
        child=referral.child_links.get().person,
        by=request.getfixturevalue("social_worker"),
        kind=EmergencyMeasure.Kind.POLICE_REMOVAL,
        granted_at=now,
        starts_at=now,
        ends_at=now + timedelta(hours=20),
        reason="Found alone at home at night.",
    )


def cppm_due(request) -> Deadline:
    """The IRD decided on a CPPM: it is due within 28 days."""
    return open_deadline("cppm", referral=request.getfixturevalue("signed_ird").referral)


def cppm_reconvene(request) -> Deadline:
    meeting = request.getfixturevalue("scheduled")
    by = request.getfixturevalue("team_manager")
    cppm.cppm_outcome_record(cppm=meeting, by=by, outcome=outcome(quorate=False))
    return open_deadline("cppm_reconvene", subject_id=str(meeting.pk))


def cppm_record(request) -> Deadline:
    return open_deadline("cppm_record", subject_id=str(request.getfixturevalue("registered").pk))


def registration_review(request) -> Deadline:
    """The review CPPM of a registered child."""
    request.getfixturevalue("registered")
    return open_deadline("cppm_review", subject_id=str(Registration.objects.get().pk))


def cppm_transfer(request) -> Deadline:
    referral = request.getfixturevalue("cp_referral")
    registration = cppm.registration_temporary_record(
        referral=referral,
        person=referral.child_links.get().person,
        by=request.getfixturevalue("team_manager"),
        from_authority="Fife Council",
        registered_on=timezone.localdate(),
        categories=[category("neglect")],
        moved_here=True,
    )
    return open_deadline("cppm_transfer", subject_id=str(registration.pk))


def core_group_first(request) -> Deadline:
    return open_deadline("core_group_first", subject_id=str(_group(request).pk))


def core_group_meeting(request) -> Deadline:
    group = _group(request)
    record_meeting(group, request.getfixturevalue("social_worker"))
    return open_deadline("core_group_meeting", subject_id=str(group.pk))


def child_plan_action(request) -> Deadline:
    action = add_action(_group(request), request.getfixturevalue("social_worker"))
    return open_deadline("child_plan_action", subject_id=str(action.pk))


def emergency_measure_ends(request) -> Deadline:
    return open_deadline("emergency_measure_ends", subject_id=str(_measure(request).pk))


def reporter_told(request) -> Deadline:
    return open_deadline("reporter_told", subject_id=str(_measure(request).pk))


STEPS = [
    cppm_due,
    cppm_reconvene,
    cppm_record,
    registration_review,
    cppm_transfer,
    core_group_first,
    core_group_meeting,
    child_plan_action,
    emergency_measure_ends,
    reporter_told,
]


@pytest.mark.parametrize("step", STEPS, ids=[step.__name__ for step in STEPS])
def test_each_step_is_warned_due_and_escalated_exactly_once(
    request, step, settings, service_manager
):
    settings.REMINDER_HOURS = None  # the ladder only, without the extra reminders
    assert service_manager.is_active  # the last rung tells the service managers
    chased = step(request)
    # Working-day steps escalate in working time: the moments come from the ladder itself.
    moments = sorted(m for m in deadlines.level_moments(chased).values() if m is not None)
    for moment in (*moments, moments[-1] + timedelta(days=1)):
        deadlines.sweep(now=moment + timedelta(minutes=1))
        sent = Notification.objects.filter(alert__deadline=chased).count()
        deadlines.sweep(now=moment + timedelta(minutes=2))  # a second sweep adds nothing
        assert Notification.objects.filter(alert__deadline=chased).count() == sent

    levels = list(
        DeadlineAlert.objects.filter(deadline=chased)
        .order_by("level")
        .values_list("level", flat=True)
    )
    assert levels == EVERY_LEVEL
    told = Notification.objects.filter(alert__deadline=chased)
    assert {level for level in EVERY_LEVEL if told.filter(alert__level=level).exists()} == set(
        EVERY_LEVEL
    )  # someone was told at each level
