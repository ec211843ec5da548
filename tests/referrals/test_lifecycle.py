"""The referral lifecycle: every pair of statuses is either an allowed edge or refused."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.errors import IllegalTransition
from referrals.lifecycle import ALLOWED_TRANSITIONS, can_move, referral_move
from referrals.models import Referral
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

Status = Referral.Status
ALL_STATUSES = list(Status.values)

# Written out by hand from DESIGN.md "The flow" so the table is checked, not copied.
EXPECTED_EDGES = {
    (Status.RECEIVED, Status.SCREENING),
    (Status.SCREENING, Status.DECIDED),
    (Status.DECIDED, Status.IRD_SCHEDULED),
    (Status.DECIDED, Status.CLOSED),
    (Status.IRD_SCHEDULED, Status.IRD_HELD),
    (Status.IRD_SCHEDULED, Status.DECIDED),  # an IRD cancelled
    (Status.IRD_HELD, Status.CLOSED),
}
ALL_PAIRS = list(itertools.product(ALL_STATUSES, repeat=2))
LEGAL_PAIRS = [pair for pair in ALL_PAIRS if pair in EXPECTED_EDGES]
ILLEGAL_PAIRS = [pair for pair in ALL_PAIRS if pair not in EXPECTED_EDGES]


def _unsaved(status: str) -> Referral:
    return Referral(status=status, reference="CW-2026-000001")


def test_table_covers_every_status_and_only_the_expected_edges():
    assert set(ALLOWED_TRANSITIONS) == set(ALL_STATUSES)
    table_edges = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table_edges == EXPECTED_EDGES


def test_closed_is_terminal():
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()


@pytest.mark.parametrize(("current", "target"), LEGAL_PAIRS)
def test_allowed_move_sets_the_status(current, target):
    referral = _unsaved(current)

    moved = referral_move(referral, target)

    assert moved is referral
    assert referral.status == target
    assert can_move(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL_PAIRS)
def test_illegal_move_is_refused_and_leaves_the_status(current, target):
    referral = _unsaved(current)

    with pytest.raises(IllegalTransition) as refused:
        referral_move(referral, target)

    assert referral.status == current
    assert not can_move(current, target)
    # The message names the referral and both states in words a user understands.
    assert "CW-2026-000001" in str(refused.value)
    assert Status(target).label.lower() in str(refused.value)


def test_illegal_move_of_a_stored_referral_changes_nothing_in_the_database(social_worker):
    referral = make_referral(team=social_worker.team, received_by=social_worker)

    with pytest.raises(IllegalTransition):
        referral_move(referral, Status.CLOSED)

    referral.refresh_from_db()
    assert referral.status == Status.RECEIVED
    assert referral.version == 1


@settings(max_examples=50, deadline=None)
@given(attempts=st.lists(st.sampled_from(ALL_STATUSES), max_size=30))
def test_any_sequence_of_attempts_only_walks_allowed_edges(attempts):
    referral = _unsaved(Status.RECEIVED)
    path = [referral.status]

    for target in attempts:
        before = referral.status
        try:
            referral_move(referral, target)
        except IllegalTransition:
            assert referral.status == before
            assert target not in ALLOWED_TRANSITIONS[before]
        else:
            assert target in ALLOWED_TRANSITIONS[before]
            path.append(referral.status)

    assert set(path) <= set(ALL_STATUSES)
    for a, b in itertools.pairwise(path):
        assert (a, b) in EXPECTED_EDGES
    # Once closed, nothing moves a referral again.
    if Status.CLOSED in path:
        assert path[-1] == Status.CLOSED
        assert path.count(Status.CLOSED) == 1


@settings(max_examples=50, deadline=None)
@given(attempts=st.lists(st.sampled_from(ALL_STATUSES), max_size=30))
def test_every_reachable_state_is_reachable_in_the_table(attempts):
    """Breadth-first reachability from RECEIVED bounds whatever a sequence can reach."""
    reachable, frontier = {Status.RECEIVED}, [Status.RECEIVED]
    while frontier:
        current = frontier.pop()
        for target in ALLOWED_TRANSITIONS[current] - reachable:
            reachable.add(target)
            frontier.append(target)
    referral = _unsaved(Status.RECEIVED)
    for target in attempts:
        try:
            referral_move(referral, target)
        except IllegalTransition:
            pass
        assert referral.status in reachable


def test_unknown_target_status_is_refused_as_an_illegal_transition():
    referral = _unsaved(Status.RECEIVED)

    with pytest.raises(IllegalTransition):
        referral_move(referral, "reopened")

    assert referral.status == Status.RECEIVED
