"""seed_hub_demo (called by seed_demo): reviews with feedback, decision reviews, last period's
audit round closed with its learning summary and this period's open; a second run adds
nothing."""

import io

import pytest
from django.core.management import call_command

from hub.models import AuditAssignment, AuditPanelMember, AuditRound, HubSettings, Review
from referrals.models import Notification, ReferralFeedback

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Review,
            ReferralFeedback,
            AuditRound,
            AuditAssignment,
            AuditPanelMember,
            Notification,
        )
    }


def test_the_hub_demo_loads_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Practice hub demo ready: 44 referral reviews" in out.getvalue()

    assert HubSettings.current().hub_team.name == "Practice hub"
    assert Review.objects.filter(kind="referral", state="submitted").count() == 44
    assert Review.objects.filter(kind="referral", state="queued").count() == 6
    assert Review.objects.filter(kind="decision", state="submitted").exists()
    assert ReferralFeedback.objects.filter(acknowledged_at__isnull=False).exists()
    assert ReferralFeedback.objects.filter(acknowledged_at__isnull=True).exists()
    past, current = AuditRound.objects.order_by("period_start")
    assert past.state == AuditRound.State.CLOSED and past.learning_summary
    assert past.records.exists() and past.seed == 20260101
    assert current.state == AuditRound.State.OPEN
    assert {a.auditor.agency.code for a in AuditAssignment.objects.filter(record__round=past)} >= {
        "police",
        "health",
    }
    # Replayed history was read long ago: nobody starts the demo with forty e-mails.
    assert not Notification.objects.filter(
        title__startswith="Practice hub feedback", read_at__isnull=True
    ).exists()

    before = counts()
    again = io.StringIO()
    call_command("seed_hub_demo", stdout=again)
    assert "0 referral reviews and 0 decision reviews completed now" in again.getvalue()
    assert counts() == before


def test_the_hub_demo_needs_the_core_demo():
    err = io.StringIO()
    call_command("seed_hub_demo", stderr=err)
    assert "Run seed_demo first" in err.getvalue()
    assert not Review.objects.exists()
