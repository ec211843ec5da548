"""The main journey of DESIGN.md "The flow" 1-3, in a real browser: a social worker enters a
referral for two children (one already known, found by CHI number), screens it and sends the
decision for approval; the team manager approves it; the known child's chronology shows both
concerns and the decision in time order. Every page on the way is checked with axe-core."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.chi import chi_mod11_check_digit
from referrals.models import Person, Referral
from tests.browser.conftest import axe_scan, enter_code, with_authenticator
from tests.factories import DEFAULT_PASSWORD, PersonFactory, make_referral

pytestmark = pytest.mark.django_db(transaction=True)

KNOWN_DOB = datetime.date(2016, 5, 1)
NEW_DOB = datetime.date(2019, 9, 14)
SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOT_DIR")  # e.g. /tmp, to look at the pages


def valid_chi(date_of_birth: datetime.date, sex_digit: int = 2) -> str:
    """A CHI number for `date_of_birth` that passes the mod-11 check."""
    prefix = date_of_birth.strftime("%d%m%y")
    for serial in range(37, 100):
        nine = f"{prefix}{serial:02d}{sex_digit}"
        check = chi_mod11_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"
    raise AssertionError("no valid CHI number for this date")


def screenshot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def checked(page, browser_problems, scanned: set[str], name: str) -> None:
    """Accessibility and browser health of the page now showing, once per distinct page."""
    browser_problems.assert_none()
    if name not in scanned:
        scanned.add(name)
        axe_scan(page)


def sign_in(page, user) -> None:
    with_authenticator(user)
    page.goto("/login/")
    expect(page).to_have_title("Sign in – Child welfare referrals")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    enter_code(page, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(page.locator(".app-header__user-name")).to_have_text(user.get_full_name())


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def fieldset(page, legend):
    """A fieldset (radios, checkboxes, a child's section) by its legend."""
    return page.get_by_role("group", name=legend)


def test_referral_from_intake_to_approved_screening_and_chronology(
    page, browser_problems, social_worker, team_manager, police
):
    # Arrange: a child already known, by CHI number, with one neglect concern three months ago.
    chi_number = valid_chi(KNOWN_DOB)
    known = PersonFactory(
        first_name="Ava",
        last_name="Morrison",
        date_of_birth=KNOWN_DOB,
        chi_number=chi_number,
        postcode="IV30 1AB",
    )
    earlier = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[known],
        categories=("neglect",),
        received_at=timezone.now() - datetime.timedelta(days=90),
    )
    scanned: set[str] = set()

    # The social worker signs in.
    page.goto("/login/")
    checked(page, browser_problems, scanned, "login")
    sign_in(page, social_worker)
    checked(page, browser_problems, scanned, "home")

    # Step 1: the concern and the children.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="New referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral")
    expect(page.get_by_text("Step 1 of 2")).to_be_visible()
    checked(page, browser_problems, scanned, "intake step 1")

    fieldset(page, "How did the concern arrive?").get_by_label("Telephone").check()
    page.get_by_label("Referrer's agency").select_option(label="Police Scotland")
    page.get_by_label("Referrer's name").fill("PC Jamie Reid")
    page.get_by_label("What happened", exact=True).fill(
        "Ava and her brother were found at home alone at 11pm with no food in the house.\n"
        'Ava said: "Mum goes out and we wait."'
    )
    fieldset(page, "Is any child at immediate risk?").get_by_label("No").check()
    fieldset(page, "Concern categories").get_by_label("Neglect", exact=True).check()
    fieldset(page, "Was consent to share information sought?").get_by_label("No").check()
    page.get_by_label("Why was consent not sought?").fill(
        "Asking would place the children at greater risk."
    )
    fieldset(page, "Basis for sharing information").get_by_label(
        "Safeguarding of children", exact=False
    ).check()

    child_1 = fieldset(page, "Child 1")
    child_1.get_by_label("First name").fill("Ava")
    child_1.get_by_label("Last name").fill("Morrison")
    child_1.get_by_label("Date of birth").fill(KNOWN_DOB.isoformat())
    child_1.get_by_label("CHI number").fill(chi_number)
    expect(fieldset(page, "Child 2")).to_have_count(0)

    page.get_by_role("button", name="Add another child").click()
    child_2 = fieldset(page, "Child 2")
    expect(child_2).to_be_visible()
    # What was typed survives the round trip.
    expect(fieldset(page, "Child 1").get_by_label("CHI number")).to_have_value(chi_number)
    expect(page.get_by_label("Referrer's name")).to_have_value("PC Jamie Reid")
    expect(fieldset(page, "Concern categories").get_by_label("Neglect", exact=True)).to_be_checked()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    browser_problems.assert_none()

    child_2.get_by_label("First name").fill("Leo")
    child_2.get_by_label("Last name").fill("Morrison")
    child_2.get_by_label("Date of birth").fill(NEW_DOB.isoformat())
    page.get_by_role("button", name="Continue: check for existing records").click()

    # Step 2: who each child is.
    expect(page.get_by_role("heading", level=1)).to_have_text("Is each person already known?")
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    checked(page, browser_problems, scanned, "intake step 2")
    screenshot(page, "intake-step-2")

    ava = page.get_by_role("group", name=re.compile(r"^Child: Ava Morrison"))
    offered = ava.locator(".govuk-radios__item").filter(has_text="Same CHI number")
    expect(offered).to_have_count(1)
    expect(offered).to_contain_text(re.compile(r"Match \d+%"))
    expect(offered).to_contain_text("Match 100%")
    expect(offered).to_contain_text("Known: 1 referral")
    offered.get_by_role("radio").check()
    expect(offered.get_by_role("radio")).to_have_value(str(known.pk))

    leo = page.get_by_role("group", name=re.compile(r"^Child: Leo Morrison"))
    leo.get_by_label("Create a new record for Leo Morrison").check()
    page.get_by_role("button", name="Save referral").click()

    # The referral.
    referral = Referral.objects.exclude(pk=earlier.pk).get()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    expect(page.get_by_role("alert")).to_contain_text(f"Referral {referral.reference} recorded.")
    children = page.get_by_role("heading", name="Children").locator(
        "xpath=following-sibling::ul[1]"
    )
    # Both children; the page gives no order (ReferralChild has none), so compare as a set.
    expect(children.get_by_role("link")).to_have_count(2)
    assert sorted(children.get_by_role("link").all_inner_texts()) == [
        "Ava Morrison",
        "Leo Morrison",
    ]
    expect(children.get_by_role("link", name="Ava Morrison")).to_have_attribute(
        "href", f"/people/{known.pk}/"
    )
    expect(children).to_contain_text(f"CHI {chi_number}")
    assert Person.objects.filter(last_name="Morrison").count() == 2
    assert set(referral.children.all()) == {known, Person.objects.get(first_name="Leo")}
    checked(page, browser_problems, scanned, "referral detail")
    screenshot(page, "referral-received")

    # Screening: the second neglect concern in six months flags Ava for cumulative harm.
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "Possible cumulative harm: Ava Morrison has 2 concerns"
    )
    page.get_by_role("button", name="Record screening decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening decision")
    checked(page, browser_problems, scanned, "screening form")
    fieldset(page, "Screening decision").get_by_label("Child welfare assessment").check()
    page.get_by_label("Reasons for the decision").fill(
        "Two young children left alone at night with no food: their needs are not being met."
    )
    page.get_by_label("Analysis of risk").fill(
        "No immediate risk: both children are now with their grandmother."
    )
    page.get_by_label("Analysis of need").fill("Supervision, food and a routine at home.")
    page.get_by_label("Analysis of cumulative harm").fill(
        "Second neglect concern for Ava in three months: a pattern, not a single incident."
    )
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Screening decision recorded and sent for approval."
    )
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag").first).to_have_text(
        "Screening"
    )
    expect(page.locator(".govuk-summary-card")).to_contain_text("Awaiting manager approval")
    expect(page.get_by_role("button", name="Record screening decision")).to_have_count(0)
    browser_problems.assert_none()
    sign_out(page)

    # The team manager approves.
    sign_in(page, team_manager)
    awaiting = page.locator("table").filter(
        has=page.locator("caption", has_text="Awaiting approval")
    )
    awaiting.get_by_role("link", name=referral.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    expect(page.get_by_role("heading", name="Review the screening decision")).to_be_visible()
    checked(page, browser_problems, scanned, "referral detail: manager's review")
    fieldset(page, "Your decision").get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Agreed: allocate for assessment this week.")
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("alert")).to_contain_text("Screening decision approved.")
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag").first).to_have_text("Decided")
    expect(page.locator(".govuk-summary-card")).to_contain_text(
        "Agreed: allocate for assessment this week."
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECIDED
    browser_problems.assert_none()
    screenshot(page, "referral-decided")

    # Ava's chronology: both concerns, the flag, the proposal and the approval, newest first.
    page.get_by_role("link", name="Ava Morrison").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ava Morrison")
    rows = page.locator("table.govuk-table tbody tr")
    events = [
        (cells[1], cells[-1])  # the event, and its referral in the last column
        for cells in (row.locator("td").all_inner_texts() for row in rows.all())
    ]
    assert events == [
        ("Screening decision approved", referral.reference),
        ("Screening decision proposed", referral.reference),
        ("Possible cumulative harm flagged", referral.reference),
        ("Concern received", referral.reference),
        ("Concern received", earlier.reference),
    ]
    dates = [
        datetime.datetime.strptime(text, "%d %b %Y %H:%M")
        for text in rows.locator("td:first-child").all_inner_texts()
    ]
    assert dates == sorted(dates, reverse=True)
    expect(rows.nth(1)).to_contain_text("Child welfare assessment")
    checked(page, browser_problems, scanned, "chronology")
    screenshot(page, "chronology")

    # Issue 12: a significant event written by hand, the chronology filtered, and printed.
    page.get_by_text("Add a significant event").click()
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    page.get_by_label("When it happened").fill(yesterday.isoformat())
    page.get_by_label("What it is about").select_option(label="Health")
    page.get_by_label("High: affects the child's safety or wellbeing now").check()
    page.get_by_label("What happened").fill("Missed the paediatric appointment again.")
    page.get_by_role("button", name="Add to the chronology").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Event added")
    page.get_by_label("Kind").select_option(label="Significant event")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Missed the paediatric appointment again.")
    expect(rows.first).to_contain_text("High significance")
    checked(page, browser_problems, scanned, "chronology: significant events")
    printed = page.request.get(
        page.get_by_role("link", name=re.compile("Print or save as PDF")).get_attribute("href")
    )
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"

    assert scanned == {
        "login",
        "home",
        "intake step 1",
        "intake step 2",
        "referral detail",
        "screening form",
        "referral detail: manager's review",
        "chronology",
        "chronology: significant events",
    }


def submit_empty_intake(page):
    page.goto("/referrals/new/")
    with page.expect_response(
        lambda r: r.url.endswith("/referrals/new/") and r.request.method == "POST"
    ) as answer:
        page.get_by_role("button", name="Continue: check for existing records").click()
    assert answer.value.status == 400
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: New referral"))
    return summary


def test_intake_without_javascript_shows_field_errors(new_page, browser_problems, social_worker):
    page = new_page(java_script_enabled=False)
    sign_in(page, social_worker)
    summary = submit_empty_intake(page)
    links = summary.get_by_role("link")
    assert [link.get_attribute("href") for link in links.all()] == [
        "#id_channel_0",
        "#id_source_agency",  # the referrer's name is asked for once an agency is chosen
        "#id_summary",
        "#id_immediate_risk_0",
        "#id_categories_0",
        "#id_consent_sought_0",
        "#id_sharing_basis_0",
        "#id_child-0-first_name",
        "#id_child-0-last_name",
        "#id_child-0-date_of_birth",
    ]
    expect(summary).to_contain_text("Choose at least one concern category.")
    expect(summary).to_contain_text("Enter the child's date of birth.")
    # Each summary link leads to its field, whose GOV.UK form group shows the same message; the
    # summary also says whose it is ("Child 1: "), which the field's fieldset legend says.
    expect(summary).to_contain_text("Child 1: Enter the first name.")
    for link in links.all():
        target = page.locator(link.get_attribute("href"))
        expect(target).to_have_count(1)
        group = page.locator(".govuk-form-group--error").filter(has=target)
        message = re.sub(r"^(Child|Adult) \d+: ", "", link.inner_text())
        expect(group.locator(".govuk-error-message")).to_have_text(f"Error: {message}")
    expect(page.locator("#id_child-0-first_name")).to_have_attribute(
        "class", re.compile(r"\bgovuk-input--error\b")
    )
    browser_problems.assert_none()

    # The same page with JavaScript, for axe (which needs it).
    page = new_page()
    sign_in(page, social_worker)
    submit_empty_intake(page)
    axe_scan(page)
