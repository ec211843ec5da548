"""seed_ird_demo (called by seed_demo): a scheduled IRD with police, health, education and
social work invited, one held and signed off, a procedure version in trial; a second run adds
nothing."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ird.models import (
    CalendarMessage,
    CoreGroup,
    Cppm,
    Ird,
    PlanAction,
    ProcedureVersion,
    Registration,
    Revision,
)
from ird.reference_data import ensure_ird_reference_data
from referrals.models import ConcernCategory, CumulativeHarmRule, Deadline
from referrals.reference_data import ensure_reference_data

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        "irds": sorted(Ird.objects.values_list("reference", "status", "version")),
        "revisions": Revision.objects.count(),
        "calendar": CalendarMessage.objects.count(),
        "procedures": ProcedureVersion.objects.count(),
        "deadlines": Deadline.objects.count(),
        "cppms": sorted(Cppm.objects.values_list("reference", "status", "version")),
        "registrations": Registration.objects.count(),
        "core_groups": sorted(CoreGroup.objects.values_list("version", flat=True)),
        "plan_actions": PlanAction.objects.count(),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data(ConcernCategory, CumulativeHarmRule)
        ensure_ird_reference_data()
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_the_demo_has_a_scheduled_ird_with_every_agency_invited(seeded):
    assert "scheduled for" in seeded
    ird = Ird.objects.get(status=Ird.Status.SCHEDULED)
    invited = set(ird.invitations.values_list("staff__username", flat=True))
    assert invited == {"ird.police", "ird.health", "ird.education", "sw.duty", "tm.duty"}
    assert ird.recorder.username == "sw.duty" and ird.dial_in


def test_the_demo_has_a_signed_off_ird_and_a_procedure_in_trial(seeded):
    signed = Ird.objects.get(status=Ird.Status.SIGNED_OFF)
    assert signed.decisions.count() == 3 and signed.actions.count() == 3
    assert signed.circulation.exists()
    assert ProcedureVersion.objects.get(version="2.0").status == ProcedureVersion.Status.TRIAL
    assert Ird.objects.filter(status=Ird.Status.REQUESTED).exists()


def test_the_demo_has_a_registered_child_and_a_review_cppm_due(seeded):
    registration = Registration.objects.get(ended_on__isnull=True)
    initial = registration.registered_at
    assert initial.kind == Cppm.Kind.INITIAL and initial.record_issued_at is not None
    assert {c.code for c in registration.categories.all()} == {"neglect", "physical_abuse"}
    review = Cppm.objects.get(kind=Cppm.Kind.REVIEW, status=Cppm.Status.SCHEDULED)
    assert list(review.children.all()) == [registration.person]
    assert Deadline.objects.get(
        timescale__kind="cppm_review", subject_id=str(registration.pk), state="open"
    )
    # Soon, and with the people README's walk-through names: tm.duty chairs, police and health
    # are invited, education is not.
    assert timezone.now() < review.scheduled_for <= timezone.now() + timedelta(days=15)
    assert review.chair.username == "tm.duty"
    invited = set(review.invitations.values_list("staff__username", flat=True))
    assert {"ird.police", "ird.health"} <= invited and "ird.education" not in invited


def test_the_registered_child_has_a_core_group_that_met_and_a_plan_with_one_overdue(seeded):
    group = CoreGroup.objects.get()
    assert group.registration.ended_on is None and group.active
    meeting = group.meetings.get()
    assert meeting.held_on <= timezone.localdate() < meeting.next_meeting_on
    actions = list(group.plan_actions.order_by("due_date"))
    assert len(actions) == 2
    assert actions[0].due_date < timezone.localdate() <= actions[1].due_date
    assert (
        Deadline.objects.get(timescale__kind="core_group_first", subject_id=str(group.pk)).state
        == "met"
    )
    assert Deadline.objects.get(
        timescale__kind="core_group_meeting", subject_id=str(group.pk), state="open"
    )
    assert Deadline.objects.filter(timescale__kind="child_plan_action").count() == 2
    assert "one overdue" in seeded


def test_a_second_run_adds_nothing(seeded):
    before = counts()
    call_command("seed_ird_demo", stdout=io.StringIO())
    assert counts() == before
