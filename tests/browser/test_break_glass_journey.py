"""Break-glass in a real browser (issue 9): a manager restricts a child's record; a colleague
meets the break-glass page, states why and sees the record; the information governance officer
reviews the use. axe-core checks each page on the way."""

import re

import pytest
from playwright.sync_api import expect

from referrals.models import AuditEntry, BreakGlass, Notification, Role
from tests.browser.test_referral_journey import checked, fieldset, sign_in, sign_out
from tests.factories import StaffFactory, make_referral

pytestmark = pytest.mark.django_db(transaction=True)


def test_restrict_break_the_glass_and_review(
    page, browser_problems, social_worker, team_manager, duty_team, social_work
):
    referral = make_referral(team=duty_team, received_by=social_worker)
    child = referral.children.get()
    colleague = StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team)
    officer = StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)
    scanned: set[str] = set()

    # The team manager restricts the record to the allocated social worker.
    sign_in(page, team_manager)
    page.goto(f"/people/{child.pk}/")
    page.get_by_role("link", name="Restrict this record").click()
    checked(page, browser_problems, scanned, "restriction form")
    fieldset(page, "Why is the record restricted?").get_by_label(
        "A member of staff's own family"
    ).check()
    page.get_by_label(social_worker.get_full_name()).check()
    page.get_by_role("button", name="Restrict the record").click()
    expect(page.locator(".govuk-tag--red", has_text="Restricted")).to_be_visible()
    sign_out(page)

    # A colleague opening the referral meets the break-glass page, then sees it.
    sign_in(page, colleague)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This record is restricted")
    checked(page, browser_problems, scanned, "break-glass")
    page.get_by_role("button", name="Open the record for 30 minutes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose why")
    fieldset(page, "Why do you need to see this record?").get_by_label(
        "Duty work on a new concern about this child"
    ).check()
    page.get_by_label("Explain", exact=True).fill(
        "A new police concern about this child arrived on duty."
    )
    page.get_by_role("button", name="Open the record for 30 minutes").click()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    checked(page, browser_problems, scanned, "referral after break-glass")
    sign_out(page)
    assert AuditEntry.objects.filter(action="break_glass", actor=colleague).count() == 1
    assert Notification.objects.filter(recipient=officer, person=child).exists()

    # Information governance reviews it.
    sign_in(page, officer)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Break-glass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Break-glass access to restricted records"
    )
    checked(page, browser_problems, scanned, "break-glass report")
    page.get_by_label("Outcome").select_option(label="Justified")
    page.get_by_label("Note").fill("Duty work, confirmed with the team manager.")
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-tag--green", has_text="Justified")).to_be_visible()
    assert BreakGlass.objects.get().review == "justified"
