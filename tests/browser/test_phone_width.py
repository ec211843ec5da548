"""Issue 12 defect 9: at 390 px wide (a phone) no page scrolls sideways: wide tables scroll
inside their own box and long words wrap."""

import pytest
from django.utils import timezone

from referrals.models import Notification
from referrals.services import screening
from tests.browser.test_referral_journey import sign_in
from tests.factories import make_referral

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def sideways(page) -> int:
    """How many pixels the page is wider than the screen (0: none)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_no_page_scrolls_sideways_on_a_phone(
    new_page, social_worker, team_manager, service_manager, duty_team
):
    referral = make_referral(team=duty_team, received_by=social_worker)
    referral.referrer_email = "a.very.long.address.of.a.referrer@primary-school.example.gov.uk"
    referral.save(update_fields=["referrer_email"])
    screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="support",
        reasons="Support offered.",
        risk_analysis="Low.",
        needs_analysis="Food.",
    )
    Notification.objects.create(
        recipient=team_manager,
        kind=Notification.Kind.DEADLINE,
        title="Due soon: Record the screening decision for " + referral.reference,
        created_at=timezone.now(),
    )
    child = referral.children.get()
    page = new_page(viewport=PHONE)
    sign_in(page, team_manager)

    for path in (
        "/",
        f"/referrals/{referral.pk}/",
        f"/people/{child.pk}/",
        "/search/?q=Smith",
        "/notifications/?show=all",
        "/team/work/",
        "/referrals/new/",
    ):
        page.goto(path)
        assert sideways(page) <= 0, f"{path} scrolls {sideways(page)} px sideways"

    page = new_page(viewport=PHONE)
    sign_in(page, service_manager)
    for path in ("/hub/reports/", "/ird/", "/ird/procedures/"):
        page.goto(path)
        assert sideways(page) <= 0, f"{path} scrolls {sideways(page)} px sideways"
