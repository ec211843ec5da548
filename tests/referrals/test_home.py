"""Every role's home page shows its own work: the steps it owes first (issue 12, defect 6)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.deadlines import deadline_reassign
from referrals.models import Deadline
from tests.factories import make_referral


def _owe(referral, staff, *, due_in: timedelta) -> Deadline:
    [deadline] = Deadline.objects.filter(referral=referral)
    deadline = deadline_reassign(deadline=deadline, owner=staff)
    Deadline.objects.filter(pk=deadline.pk).update(due_at=timezone.now() + due_in)
    return deadline


def test_home_lists_the_steps_a_person_owes_with_the_overdue_first(
    client, social_worker, duty_team
):
    late = make_referral(team=duty_team, received_by=social_worker)
    soon = make_referral(team=duty_team, received_by=social_worker)
    later = make_referral(team=duty_team, received_by=social_worker)
    _owe(late, social_worker, due_in=-timedelta(hours=3))
    _owe(soon, social_worker, due_in=timedelta(days=2))
    _owe(later, social_worker, due_in=timedelta(days=20))
    client.force_login(social_worker)

    response = client.get("/")

    owed = [deadline.referral.pk for deadline in response.context["steps_owed"]]
    assert owed == [late.pk, soon.pk]  # overdue first; nothing beyond the next 7 days


def test_steps_owed_by_someone_else_are_not_shown(client, social_worker, team_manager, duty_team):
    referral = make_referral(team=duty_team, received_by=social_worker)
    _owe(referral, team_manager, due_in=timedelta(hours=1))
    client.force_login(social_worker)

    assert client.get("/").context["steps_owed"] == []


def test_a_partner_s_home_has_no_placeholder_and_no_case_lists(client, police_participant):
    client.force_login(police_participant)

    page = client.get("/").content.decode()

    assert "Work for your role will appear here" not in page
    assert "Steps you owe" in page
    assert "Nothing of yours is overdue or due in the next 7 days." in page


def test_the_administrator_s_home_leads_to_the_administration(client, administrator):
    client.force_login(administrator)

    page = client.get("/").content.decode()

    assert "Site administration" in page
    assert 'href="/admin/"' in page


def test_home_queries_do_not_grow_with_the_steps_owed(
    client, social_worker, duty_team, django_assert_max_num_queries
):
    def owe_one():
        _owe(
            make_referral(team=duty_team, received_by=social_worker),
            social_worker,
            due_in=timedelta(hours=1),
        )

    owe_one()
    client.force_login(social_worker)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(4):
        owe_one()
    with django_assert_max_num_queries(len(one)):
        client.get("/")
