"""Issue 14: reference data looked up once per change, and only within it."""

import datetime

import pytest

from referrals import deadlines, memo, notifications
from referrals.models import ClosureDay, Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_within_one_change_the_first_answer_is_remembered(django_assert_num_queries):
    with memo.one_change():
        with django_assert_num_queries(1):
            first = deadlines.closure_days()
            assert deadlines.closure_days() == first


def test_outside_a_change_every_call_asks_the_database(django_assert_num_queries):
    assert datetime.date(2031, 12, 25) not in deadlines.closure_days()
    ClosureDay.objects.create(date=datetime.date(2031, 12, 25), name="Christmas Day")
    with django_assert_num_queries(1):
        assert datetime.date(2031, 12, 25) in deadlines.closure_days()


def test_team_managers_are_looked_up_once_per_change_and_each_caller_has_its_own_list(
    duty_team, team_manager, django_assert_num_queries
):
    with memo.one_change(), django_assert_num_queries(1):
        first = notifications.team_managers(duty_team)
        first.append(StaffFactory.build(role=Role.TEAM_MANAGER))
        assert notifications.team_managers(duty_team) == [team_manager]


def test_a_missing_answer_is_not_remembered():
    with memo.one_change():
        assert memo.remembered("absent", lambda: None) is None
        assert memo.remembered("absent", lambda: "restored") == "restored"
