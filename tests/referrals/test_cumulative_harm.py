"""Cumulative harm rules: concerns adding up within a window flag the child."""

import datetime
import itertools

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals import cumulative_harm
from referrals.models import (
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
)
from tests.factories import PersonFactory, category, make_referral

pytestmark = pytest.mark.django_db

BASE = datetime.datetime(2025, 1, 15, 10, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
ANY_RULE = "Three concerns in twelve months"
NEGLECT_RULE = "Two neglect concerns in six months"


@pytest.fixture
def child():
    return PersonFactory(first_name="Isla", last_name="Ross")


@pytest.fixture
def refer(duty_team, social_worker):
    """Refer `child` with `categories` at `at` through the intake service."""

    def refer(child, at, categories=("domestic_abuse",), team=None, **kwargs):
        return make_referral(
            team=team or duty_team,
            received_by=social_worker,
            children=[child],
            categories=categories,
            received_at=at,
            **kwargs,
        )

    return refer


def _flags(person, rule_name=None):
    flags = CumulativeHarmFlag.objects.filter(person=person)
    if rule_name:
        flags = flags.filter(rule__name=rule_name)
    return flags


def test_default_rules_come_from_the_migration():
    rules = {rule.name: rule for rule in CumulativeHarmRule.objects.all()}

    assert rules[ANY_RULE].concern_count == 3
    assert rules[ANY_RULE].window_days == 365
    assert not rules[ANY_RULE].counts_neglect_only
    assert rules[ANY_RULE].category is None
    assert rules[NEGLECT_RULE].concern_count == 2
    assert rules[NEGLECT_RULE].window_days == 183
    assert rules[NEGLECT_RULE].counts_neglect_only
    assert all(rule.active for rule in rules.values())
    assert category("neglect").is_neglect


# --- three concerns in twelve months ----------------------------------------------------------


def test_third_concern_within_a_year_flags_the_child(child, refer):
    refer(child, BASE)
    second = refer(child, BASE + 100 * DAY)
    assert not _flags(child).exists()

    third = refer(child, BASE + 300 * DAY)

    flag = _flags(child).get()
    assert flag.rule.name == ANY_RULE
    assert flag.status == CumulativeHarmFlag.Status.OPEN
    assert flag.concern_count == 3
    assert flag.triggered_by == third
    assert flag.raised_at == third.received_at
    assert second.harm_flags.count() == 0


def test_concern_exactly_at_the_window_edge_counts(child, refer):
    refer(child, BASE)
    refer(child, BASE + 200 * DAY)

    refer(child, BASE + 365 * DAY)

    assert _flags(child, ANY_RULE).exists()


def test_concern_just_outside_the_window_does_not_count(child, refer):
    refer(child, BASE)
    refer(child, BASE + 200 * DAY)

    refer(child, BASE + 365 * DAY + SECOND)

    assert not _flags(child).exists()


def test_concerns_about_other_children_do_not_count(child, refer):
    sibling = PersonFactory(first_name="Rory", last_name="Ross")
    refer(sibling, BASE)
    refer(sibling, BASE + DAY)

    refer(child, BASE + 2 * DAY)

    assert not _flags(child).exists()
    assert not _flags(sibling).exists()


def test_each_child_in_a_referral_is_judged_on_their_own_history(
    duty_team, social_worker, child, refer
):
    refer(child, BASE)
    refer(child, BASE + DAY)
    newcomer = PersonFactory(first_name="Rory", last_name="Ross")

    make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[child, newcomer],
        categories=("domestic_abuse",),
        received_at=BASE + 2 * DAY,
    )

    assert _flags(child, ANY_RULE).exists()
    assert not _flags(newcomer).exists()


# --- two neglect concerns in six months -------------------------------------------------------


def test_second_neglect_concern_within_six_months_flags(child, refer):
    refer(child, BASE, categories=("neglect",))

    second = refer(child, BASE + 183 * DAY, categories=("neglect", "domestic_abuse"))

    flag = _flags(child).get()
    assert flag.rule.name == NEGLECT_RULE
    assert flag.concern_count == 2
    assert flag.triggered_by == second


def test_neglect_concern_just_outside_six_months_does_not_count(child, refer):
    refer(child, BASE, categories=("neglect",))

    refer(child, BASE + 183 * DAY + SECOND, categories=("neglect",))

    assert not _flags(child).exists()


def test_other_categories_do_not_count_towards_the_neglect_rule(child, refer):
    refer(child, BASE, categories=("domestic_abuse", "parental_mental_health"))

    refer(child, BASE + DAY, categories=("neglect",))

    assert not _flags(child, NEGLECT_RULE).exists()


def test_a_referral_with_two_neglect_categories_counts_once(child, refer):
    CumulativeHarmRule.objects.filter(name=NEGLECT_RULE).update(concern_count=3)
    other_neglect = category("non_engaging_family")
    other_neglect.is_neglect = True
    other_neglect.save()
    refer(child, BASE, categories=("neglect", "non_engaging_family"))

    refer(child, BASE + DAY, categories=("neglect",))

    assert not _flags(child, NEGLECT_RULE).exists()


def test_both_rules_can_flag_the_same_concern(child, refer):
    refer(child, BASE, categories=("neglect",))
    refer(child, BASE + DAY, categories=("domestic_abuse",))

    refer(child, BASE + 2 * DAY, categories=("neglect",))

    assert set(_flags(child).values_list("rule__name", flat=True)) == {ANY_RULE, NEGLECT_RULE}
    assert (
        ChronologyEntry.objects.filter(
            person=child, kind=ChronologyEntry.Kind.CUMULATIVE_HARM
        ).count()
        == 2
    )


# --- configured rules -------------------------------------------------------------------------


def test_category_specific_rule_counts_only_that_category(child, refer):
    rule = CumulativeHarmRule.objects.create(
        name="Two domestic abuse concerns in a month",
        concern_count=2,
        window_days=30,
        category=category("domestic_abuse"),
    )
    refer(child, BASE, categories=("physical_abuse",))
    refer(child, BASE + DAY, categories=("domestic_abuse",))
    assert not _flags(child, rule.name).exists()

    refer(child, BASE + 30 * DAY, categories=("domestic_abuse", "neglect"))

    flag = _flags(child, rule.name).get()
    assert flag.concern_count == 2


def test_inactive_rule_raises_nothing(child, refer):
    CumulativeHarmRule.objects.update(active=False)

    for day in range(4):
        refer(child, BASE + day * DAY, categories=("neglect",))

    assert not _flags(child).exists()


def test_changed_threshold_applies_to_the_next_concern(child, refer):
    CumulativeHarmRule.objects.filter(name=ANY_RULE).update(concern_count=2, window_days=10)
    refer(child, BASE)

    refer(child, BASE + 10 * DAY)

    assert _flags(child, ANY_RULE).get().concern_count == 2


# --- one open flag per person and rule --------------------------------------------------------


def test_further_concerns_do_not_raise_a_second_open_flag(child, refer, team_manager):
    for day in range(5):
        refer(child, BASE + day * DAY)

    flag = _flags(child, ANY_RULE).get()
    assert flag.concern_count == 3
    assert ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.CUMULATIVE_HARM).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.CUMULATIVE_HARM).count() == 1


def test_after_a_flag_is_addressed_a_new_concern_flags_again(child, refer):
    for day in range(3):
        refer(child, BASE + day * DAY)
    _flags(child).update(status=CumulativeHarmFlag.Status.ADDRESSED)

    fourth = refer(child, BASE + 3 * DAY)

    assert _flags(child).filter(status=CumulativeHarmFlag.Status.ADDRESSED).count() == 1
    new = _flags(child).get(status=CumulativeHarmFlag.Status.OPEN)
    assert new.triggered_by == fourth
    assert new.concern_count == 4


def test_database_refuses_a_second_open_flag_for_the_same_rule(child, refer):
    for day in range(3):
        refer(child, BASE + day * DAY)
    flag = _flags(child).get()

    with pytest.raises(IntegrityError), transaction.atomic():
        CumulativeHarmFlag.objects.create(
            person=child,
            rule=flag.rule,
            raised_at=BASE,
            triggered_by=flag.triggered_by,
            concern_count=3,
        )

    assert _flags(child).count() == 1
    # An addressed flag does not block a new open one.
    CumulativeHarmFlag.objects.create(
        person=child,
        rule=flag.rule,
        raised_at=BASE,
        triggered_by=flag.triggered_by,
        concern_count=3,
        status=CumulativeHarmFlag.Status.ADDRESSED,
    )
    assert _flags(child).count() == 2


# --- who hears of it --------------------------------------------------------------------------


def test_team_managers_are_told_and_the_chronology_shows_it(
    child, refer, team_manager, other_team_manager, social_worker
):
    refer(child, BASE)
    refer(child, BASE + DAY)

    third = refer(child, BASE + 2 * DAY)

    notice = Notification.objects.get(kind=Notification.Kind.CUMULATIVE_HARM)
    assert notice.recipient == team_manager  # not the other team's manager, not the worker
    assert notice.referral == third
    assert notice.person == child
    assert third.reference in notice.title
    entry = ChronologyEntry.objects.get(kind=ChronologyEntry.Kind.CUMULATIVE_HARM)
    assert entry.person == child
    assert entry.referral == third
    assert entry.occurred_at == third.received_at
    assert "3 concerns" in entry.summary
    assert ANY_RULE in entry.summary


def test_managers_of_the_team_holding_the_new_referral_are_told(
    child, refer, other_team, other_team_manager, team_manager
):
    refer(child, BASE)
    refer(child, BASE + DAY)

    refer(child, BASE + 2 * DAY, team=other_team)

    notice = Notification.objects.get(kind=Notification.Kind.CUMULATIVE_HARM)
    assert notice.recipient == other_team_manager


def test_open_flags_for_lists_the_flags_of_the_referral_children(child, refer):
    for day in range(3):
        refer(child, BASE + day * DAY)
    unrelated = refer(PersonFactory(), BASE)
    latest = child.referral_links.order_by("-referral__received_at").first().referral

    assert [flag.person for flag in cumulative_harm.open_flags_for(latest)] == [child]
    assert cumulative_harm.open_flags_for(unrelated) == []


# --- property: the flag is raised exactly when three concerns fall within a year ------------


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=6))
def test_flag_raised_exactly_when_three_concerns_fall_within_365_days(refer, gaps):
    # A fresh child per example: examples share the test's transaction.
    child = PersonFactory()
    days = list(itertools.accumulate(gaps))
    for day in days:
        refer(child, BASE + day * DAY)

    expected = any(days[i] - days[i - 2] <= 365 for i in range(2, len(days)))
    assert _flags(child, ANY_RULE).exists() == expected
    assert not _flags(child, NEGLECT_RULE).exists()


def test_backdated_referral_does_not_count_later_concerns(child, refer):
    refer(child, BASE + 500 * DAY)
    refer(child, BASE + 600 * DAY)

    # A letter received a year and a half earlier is entered now: that concern and the two
    # recent ones are not three concerns within twelve months.
    refer(child, BASE)

    assert not _flags(child).exists()


def test_a_concern_outside_a_rule_does_not_raise_that_rule_again(child, refer):
    refer(child, BASE, categories=("neglect",))
    refer(child, BASE + DAY, categories=("neglect",))
    _flags(child, NEGLECT_RULE).update(status=CumulativeHarmFlag.Status.ADDRESSED)

    refer(child, BASE + 2 * DAY, categories=("domestic_abuse",))

    assert not _flags(child, NEGLECT_RULE).filter(status=CumulativeHarmFlag.Status.OPEN).exists()
