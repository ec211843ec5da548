"""generate_volume: the shape of the generated data at a small size (counts, households,
deadlines that match each referral's state, IRDs and hub reviews, an intact audit chain), the
same data for the same seed, and the refusals that keep it out of real databases."""

import io
from datetime import datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from hub.models import Review
from ird.models import Ird
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    Deadline,
    Person,
    Referral,
    ReferralChild,
    Relationship,
    ScreeningDecision,
)
from referrals.volume import SCREENING_WINDOW
from tests.factories import TeamFactory, make_referral

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 10, 30).astimezone()
SIZE = ["--people", "80", "--referrals", "150", "--years", "2"]


def generate(*extra: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("generate_volume", *SIZE, "--force", *extra, stdout=out)
    return out.getvalue()


def test_counts_and_households():
    output = generate()
    assert "Generated 80 children and 150 referrals" in output
    assert Person.objects.count() == 80
    assert Referral.objects.count() == 150
    # Each referral is about all the children of one household.
    for referral in Referral.objects.prefetch_related("children"):
        children = list(referral.children.all())
        assert children
        assert len({(c.address_line1, c.postcode) for c in children}) == 1
    siblings = Relationship.objects.select_related("person", "relative")
    assert siblings.exists()
    for link in siblings:
        assert link.person.postcode == link.relative.postcode
        assert link.person.address_line1 == link.relative.address_line1
    # Repeat concerns: some children are in more than one referral.
    assert ReferralChild.objects.filter(match=ReferralChild.Match.MATCHED).exists()
    assert ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.CONCERN).count() == (
        ReferralChild.objects.count()
    )


def test_each_referral_has_deadlines_matching_its_state():
    generate()
    states = set()
    for referral in Referral.objects.prefetch_related("deadlines", "screening_decisions"):
        [deadline] = referral.deadlines.all()
        decisions = list(referral.screening_decisions.all())
        states.add(deadline.state)
        if referral.status in {Referral.Status.RECEIVED, Referral.Status.SCREENING}:
            assert NOW - referral.received_at < SCREENING_WINDOW
            assert not decisions
            expected = Deadline.State.BREACHED if deadline.due_at <= NOW else Deadline.State.OPEN
            assert deadline.state == expected
        elif not decisions:
            assert referral.status == Referral.Status.CLOSED
            assert deadline.state == Deadline.State.CANCELLED
        else:
            [decision] = decisions
            assert decision.state == ScreeningDecision.State.APPROVED
            assert deadline.state == Deadline.State.MET
            assert deadline.completed_at == decision.reviewed_at
            assert (deadline.breached_at is not None) == (decision.reviewed_at > deadline.due_at)
        if referral.status == Referral.Status.CLOSED:
            assert referral.closed_at is not None
    assert {Deadline.State.MET, Deadline.State.CANCELLED} <= states


def test_irds_and_hub_reviews():
    generate("--referrals", "400")
    protection = ScreeningDecision.objects.filter(
        outcome=ScreeningDecision.Outcome.CHILD_PROTECTION
    )
    assert protection.exists()
    assert Ird.objects.count() == protection.count()
    for ird in Ird.objects.prefetch_related("decisions", "children"):
        if ird.status == Ird.Status.SIGNED_OFF:
            assert ird.decisions.exists()
            assert ird.children.exists()
            assert ird.signed_off_at > ird.requested_at
    assert Review.objects.filter(state=Review.State.SUBMITTED, scores__isnull=False).exists()


def test_the_audit_chain_holds():
    generate()
    assert AuditEntry.objects.filter(object_type="referral", action="create").count() == 150
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "The audit chain holds" in out.getvalue()


def snapshot():
    return (
        list(
            Person.objects.order_by("id").values_list("id", "first_name", "last_name", "postcode")
        ),
        list(Referral.objects.order_by("reference").values_list("id", "status", "received_at")),
        list(Deadline.objects.order_by("id").values_list("state", "due_at")),
    )


def test_the_same_seed_gives_the_same_data():
    taken = []
    for seed in ["3", "3", "4"]:
        with transaction.atomic():
            generate("--seed", seed)
            taken.append(snapshot())
            transaction.set_rollback(True)
    assert taken[0] == taken[1]
    assert taken[0] != taken[2]


def test_refuses_a_database_with_referrals_unless_forced():
    make_referral(team=TeamFactory())
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="holds referrals"):
        call_command("generate_volume", *SIZE, stdout=io.StringIO())
    assert Referral.objects.count() == 1


def test_refuses_when_debug_is_off_unless_forced():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG is off"):
        call_command("generate_volume", *SIZE, stdout=io.StringIO())
    assert not Person.objects.exists()


def test_never_in_production_even_forced():
    with (
        override_settings(SETTINGS_MODULE="config.production", DEBUG=True),
        pytest.raises(CommandError, match="production"),
    ):
        call_command("generate_volume", *SIZE, "--force", stdout=io.StringIO())
    assert not Person.objects.exists()
