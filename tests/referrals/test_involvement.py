"""The history of involvement at intake: each earlier referral's categories, screening decision,
IRDs and flags, with a link to the chronology (issue 12)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import selectors
from tests.factories import make_referral, make_screened
from tests.referrals.test_pages import (  # noqa: F401 - fixtures
    known_child,
    step_two,
    sw_client,
    text,
    two_children,
)


def test_each_earlier_referral_shows_its_categories_and_decision(
    sw_client,  # noqa: F811
    social_work,
    duty_team,
    known_child,  # noqa: F811
    social_worker,
    team_manager,
):
    older = make_referral(team=duty_team, children=[known_child], categories=("neglect",))
    newer = make_referral(
        team=duty_team, children=[known_child], categories=("emotional_abuse", "neglect")
    )
    make_screened(older, social_worker, team_manager)

    response = step_two(sw_client, two_children(social_work, known_child))

    [(candidate, history, withheld)] = response.context["people"][0]["histories"]
    assert not withheld
    assert candidate.person == known_child
    assert [e.referral.pk for e in history.referrals] == [newer.pk, older.pk]
    assert sorted(history.referrals[0].categories) == ["Emotional abuse", "Neglect"]
    assert history.referrals[0].decision is None
    assert history.referrals[1].decision.outcome == "support"
    page = text(response)
    assert f"History of involvement: {known_child.full_name}" in page
    assert "Not yet screened." in page
    assert "Screening: Support through the child's plan or a single agency (approved)." in page
    assert f'href="/people/{known_child.pk}/"' in page


def test_open_cumulative_harm_flags_are_shown(
    sw_client,  # noqa: F811
    social_work,
    duty_team,
    known_child,  # noqa: F811
):
    for _ in range(3):
        make_referral(team=duty_team, children=[known_child])

    response = step_two(sw_client, two_children(social_work, known_child))

    [(_candidate, history, _withheld)] = response.context["people"][0]["histories"]
    assert history.open_flags
    assert "Cumulative harm" in text(response)


def test_involvement_is_read_in_a_fixed_number_of_queries(duty_team, known_child):  # noqa: F811
    make_referral(team=duty_team, children=[known_child])
    with CaptureQueriesContext(connection) as one:
        selectors.involvement_of([known_child.pk])
    for _ in range(4):
        make_referral(team=duty_team, children=[known_child])
    with CaptureQueriesContext(connection) as five:
        history = selectors.involvement_of([known_child.pk])
    assert len(history[known_child.pk].referrals) == 5
    assert len(five) == len(one)


def test_a_person_with_no_past_has_an_empty_history(db, known_child):  # noqa: F811
    history = selectors.involvement_of([known_child.pk])[known_child.pk]

    assert history.referrals == [] and history.open_flags == []
