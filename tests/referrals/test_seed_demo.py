"""seed_demo: the demo data loads, and loading it again adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from referrals import second_factor
from referrals.management.commands.seed_demo import DEMO_PASSWORD
from referrals.models import (
    Agency,
    AuditEntry,
    ChronologyEntry,
    ConcernCategory,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
    Person,
    ReferenceCounter,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
    ScreeningDecision,
    Staff,
    Team,
)
from referrals.reference_data import ensure_reference_data

pytestmark = pytest.mark.django_db

COUNTED = [
    Agency,
    Team,
    Staff,
    Person,
    Referral,
    ReferralChild,
    ReferralAdult,
    Relationship,
    ChronologyEntry,
    CumulativeHarmFlag,
    ScreeningDecision,
    Notification,
    AuditEntry,
]


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["counters"] = sorted(ReferenceCounter.objects.values_list("name", "value"))
    return counts


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Loading the demo takes seconds, so it is loaded once for this module, inside a
    transaction rolled back after the last test; each test runs in a savepoint within it."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data(ConcernCategory, CumulativeHarmRule)
        yield _seed()
        transaction.set_rollback(True)


def test_first_run_reports_what_it_loaded(seeded):
    assert "50 new referrals" in seeded
    assert DEMO_PASSWORD in seeded
    for username in ("sw.duty", "tm.duty", "sm.children", "admin"):
        assert username in seeded


def test_second_run_adds_nothing(seeded):
    first = _counts()

    output = _seed()

    assert _counts() == first
    assert "0 new referrals" in output


def test_a_user_for_every_role_who_can_sign_in(seeded):
    for role in Role.values:
        users = Staff.objects.filter(role=role, is_active=True)
        assert users.exists(), role
        assert all(user.check_password(DEMO_PASSWORD) for user in users)
        assert all(second_factor.is_enrolled(user) for user in users)  # demo_code prints it
        assert all(user.agency_id is not None for user in users)
    admin = Staff.objects.get(role=Role.ADMINISTRATOR)
    assert admin.is_staff and admin.is_superuser
    assert not Staff.objects.exclude(role=Role.ADMINISTRATOR).filter(is_staff=True).exists()


def test_one_agency_of_each_kind_and_the_community_sources(seeded):
    agencies = dict(Agency.objects.values_list("code", "kind"))

    assert agencies == {
        "social-work": Agency.Kind.SOCIAL_WORK,
        "police": Agency.Kind.POLICE,
        "health": Agency.Kind.HEALTH,
        "education": Agency.Kind.EDUCATION,
        "public": Agency.Kind.COMMUNITY,
        "family": Agency.Kind.COMMUNITY,
        "child-or-young-person": Agency.Kind.COMMUNITY,
        "anonymous": Agency.Kind.COMMUNITY,
    }
    assert list(Agency.objects.filter(anonymous=True).values_list("code", flat=True)) == [
        "anonymous"
    ]


def test_teams_have_managers_and_one_takes_partner_concerns(seeded):
    social_work_teams = Team.objects.filter(agency__code="social-work")
    assert social_work_teams.exists()
    assert not social_work_teams.filter(service_manager__isnull=True).exists()
    assert Team.objects.filter(receives_partner_concerns=True).count() == 1


def test_about_fifty_referrals_at_every_stage(seeded):
    assert Referral.objects.count() == 50
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {
        Referral.Status.RECEIVED,
        Referral.Status.SCREENING,
        Referral.Status.DECIDED,
        Referral.Status.CLOSED,
    } <= statuses
    assert ScreeningDecision.objects.filter(state=ScreeningDecision.State.PROPOSED).exists()
    assert ScreeningDecision.objects.filter(state=ScreeningDecision.State.APPROVED).exists()
    references = list(Referral.objects.values_list("reference", flat=True))
    assert len(set(references)) == 50
    assert not Referral.objects.filter(child_links__isnull=True).exists()


def test_some_children_are_flagged_for_cumulative_harm(seeded):
    assert CumulativeHarmFlag.objects.exists()
    assert CumulativeHarmFlag.objects.filter(status=CumulativeHarmFlag.Status.OPEN).exists()
    repeat = Person.objects.filter(harm_flags__isnull=False).distinct()
    for person in repeat:
        assert (
            ChronologyEntry.objects.filter(person=person, kind=ChronologyEntry.Kind.CONCERN).count()
            >= 2
        )


def test_history_is_replayed_in_the_past(seeded):
    """Each step is dated when it happened, not when the demo was loaded."""
    for referral in Referral.objects.exclude(closed_at=None)[:5]:
        assert referral.closed_at > referral.received_at
        assert referral.created_at == referral.received_at
    oldest, newest = (
        Referral.objects.order_by(order).first().received_at
        for order in ("received_at", "-received_at")
    )
    assert (newest - oldest).days > 300


def test_children_are_matched_not_duplicated_on_repeat_referrals(seeded):
    live = Person.objects.filter(merged_into__isnull=True)
    keys = list(live.values_list("first_name", "last_name", "date_of_birth"))
    assert len(keys) == len(set(keys))
    assert ReferralChild.objects.filter(match=ReferralChild.Match.MATCHED).exists()
