"""An IRD in a real browser, DESIGN.md "The flow" 5: the team manager schedules the IRD that a
child protection decision opened; in a second browser context the chair (a police officer)
watches the record while the recorder (a social worker) types it: the words appear on the
chair's page without a reload. The chair signs the record off and it locks; the QA team reviews
its quality. axe-core checks every IRD page on the way."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ird.forms import staff_label
from ird.models import Ird, QualityReview
from ird.reference_data import ensure_ird_reference_data
from referrals.models import Role
from tests.browser.conftest import axe_scan, enter_code, with_authenticator
from tests.factories import DEFAULT_PASSWORD, StaffFactory, TeamFactory, make_referral
from tests.ird.conftest import approve_child_protection

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_WAIT_MS = 15_000  # pushed within a second; generous for a loaded CI machine


def sign_in(page, user, password: str = DEFAULT_PASSWORD) -> None:
    with_authenticator(user)
    go(page, "/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    settle(page)


def settle(page) -> None:
    """Let the page finish its own requests (the favicon) before the test navigates away, or
    Chromium reports them aborted."""
    page.wait_for_load_state("networkidle")


def go(page, url: str) -> None:
    settle(page)
    page.goto(url)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def checked(page, browser_problems, scanned: set[str], name: str) -> None:
    browser_problems.assert_none()
    if name not in scanned:
        scanned.add(name)
        axe_scan(page)


def label(staff) -> str:
    """How the pages offer a member of staff to choose."""
    return staff_label(staff)


def titled(staff, job_title: str) -> None:
    """The job title the pages show beside a name (and the tests choose people by)."""
    staff.job_title = job_title
    staff.save(update_fields=["job_title"])


def schedule_in_an_hour(page, *, chair, recorder, invited) -> None:
    """Fill in and send the IRD's schedule form: a teleconference an hour from now."""
    when = timezone.localtime(timezone.now() + timedelta(hours=1))
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Chair", exact=True).select_option(label=label(chair))
    page.get_by_label("Recorder", exact=True).select_option(label=label(recorder))
    page.get_by_label(label(invited)).check()
    page.get_by_label("Dial-in number").fill("0800 012 3456")
    page.get_by_label("Meeting ID").fill("481 516 2342")
    page.get_by_label("PIN").fill("7319")
    page.get_by_role("button", name="Schedule and send invitations").click()


def complete_for_sign_off(recorder_page) -> None:
    """What sign-off needs besides attendance and decisions: the analysis, the reasons, how the
    IRD was held and the chronology considered."""
    for key, box, text in (
        ("risk_and_need", "Analysis of risk and need", "Unexplained injury; account changes."),
        ("decision_reasons", "Reasons for the decisions", "Disclosure and injury."),
    ):
        recorder_page.get_by_label(box, exact=True).fill(text)
        recorder_page.get_by_label("Next steps").focus()
        expect(recorder_page.locator(f"#status-{key}")).to_contain_text("Last saved at")
    recorder_page.get_by_label("Video call").check()
    recorder_page.get_by_label("The integrated chronology was considered at this IRD").check()
    recorder_page.get_by_role("button", name="Save how it was held").click()
    expect(recorder_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "How the IRD was held recorded"
    )


def test_ird_scheduled_recorded_live_watched_signed_off_and_reviewed(
    new_page,
    browser_problems,
    social_worker,
    team_manager,
    police,
    health,
    health_participant,
    committee_member,
):
    ensure_ird_reference_data()
    chair = StaffFactory(
        role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police), job_title="Detective sergeant"
    )
    titled(social_worker, "Social worker")
    titled(health_participant, "Child protection nurse")
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    approve_child_protection(referral, social_worker, team_manager)
    ird = Ird.objects.get(referral=referral)
    scanned: set[str] = set()

    # The team manager finds the request and schedules it.
    recorder_page = new_page()
    sign_in(recorder_page, team_manager)
    recorder_page.get_by_role("navigation", name="Menu").get_by_role("link", name="IRDs").click()
    expect(recorder_page.get_by_role("heading", level=1)).to_have_text(
        "Inter-agency referral discussions"
    )
    checked(recorder_page, browser_problems, scanned, "list")
    recorder_page.get_by_role("link", name=ird.reference).click()
    checked(recorder_page, browser_problems, scanned, "detail requested")
    recorder_page.get_by_role("button", name="Schedule the IRD").click()
    expect(recorder_page.get_by_role("heading", level=1)).to_have_text("Schedule the IRD")
    checked(recorder_page, browser_problems, scanned, "schedule")
    schedule_in_an_hour(
        recorder_page, chair=chair, recorder=social_worker, invited=health_participant
    )
    expect(recorder_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "IRD scheduled"
    )
    expect(recorder_page.locator("#teleconference")).to_have_count(0)  # not invited himself
    sign_out(recorder_page)

    # The recorder starts the IRD; the record opens.
    sign_in(recorder_page, social_worker)
    go(recorder_page, f"/ird/{ird.pk}/")
    expect(recorder_page.locator("#teleconference")).to_contain_text("7319")
    checked(recorder_page, browser_problems, scanned, "detail scheduled")
    recorder_page.get_by_role("button", name="Start the IRD and open the record").click()
    expect(recorder_page.get_by_role("heading", level=1)).to_contain_text(
        f"Record of {ird.reference}"
    )
    checked(recorder_page, browser_problems, scanned, "record (recorder)")

    # In another browser context the chair opens the record to watch.
    chair_page = new_page()
    sign_in(chair_page, chair)
    go(chair_page, f"/ird/{ird.pk}/record/")
    expect(chair_page.locator("#ird-live")).to_be_visible()
    # A police officer writes police's section, and only that one.
    expect(chair_page.locator("textarea")).to_have_count(1)
    checked(chair_page, browser_problems, scanned, "record (watcher)")
    chair_page.evaluate("() => { window.ircNotReloaded = true }")

    # The recorder types; it saves by itself and the chair sees the words appear.
    words = "Police: no previous contact. Nursery saw bruising on Monday."
    recorder_page.get_by_label("Information shared by police").press_sequentially(words, delay=10)
    expect(recorder_page.locator("#status-info_police")).to_contain_text(
        "Last saved at", timeout=LIVE_WAIT_MS
    )
    expect(chair_page.locator('[data-section="info_police"]')).to_have_text(
        words, timeout=LIVE_WAIT_MS
    )
    # A box saves when it loses focus, too.
    recorder_page.get_by_label("Discussion", exact=True).fill("Agencies agree a joint response.")
    recorder_page.get_by_label("Analysis of risk and need").focus()
    expect(recorder_page.locator("#status-discussion")).to_contain_text("Last saved at")
    expect(chair_page.locator('[data-section="discussion"]')).to_have_text(
        "Agencies agree a joint response.", timeout=LIVE_WAIT_MS
    )
    # The chair writes what police share in police's own box while the recorder writes the rest;
    # the box followed the recorder's save, and the recorder's box follows the chair's.
    police_box = chair_page.get_by_label("Information shared by police")
    expect(police_box).to_have_value(words, timeout=LIVE_WAIT_MS)
    police_box.press_sequentially(" PNC: no trace.", delay=10)
    expect(chair_page.locator("#status-info_police")).to_contain_text(
        "Last saved at", timeout=LIVE_WAIT_MS
    )
    expect(recorder_page.get_by_label("Information shared by police")).to_have_value(
        words + " PNC: no trace.", timeout=LIVE_WAIT_MS
    )
    assert chair_page.evaluate("() => window.ircNotReloaded === true"), "the page reloaded"

    # The recorder records attendance, the lead professional and the decision.
    joining = recorder_page.get_by_label("Invited person")
    for person in (chair, health_participant, social_worker):
        if not joining.is_visible():
            recorder_page.get_by_text("Record someone joining").click()
        joining.select_option(label=label(person))
        recorder_page.get_by_role("button", name="Record attendance").click()
        expect(recorder_page.locator(".govuk-notification-banner--success")).to_contain_text(
            "Attendance recorded"
        )
    recorder_page.get_by_label("Lead professional").select_option(
        label=social_worker.get_full_name()
    )
    recorder_page.get_by_role("button", name="Name the lead professional").click()
    recorder_page.get_by_label("Decision", exact=True).select_option(
        label="Child protection investigation (joint)"
    )
    recorder_page.get_by_label("Reasons", exact=True).fill("Injury and disclosure.")
    recorder_page.get_by_role("button", name="Record decision").click()
    expect(recorder_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Decision recorded"
    )
    complete_for_sign_off(recorder_page)
    checked(recorder_page, browser_problems, scanned, "record (recorder, filled)")
    expect(chair_page.locator("#ird-live")).to_contain_text(
        "Child protection investigation (joint)", timeout=LIVE_WAIT_MS
    )

    # The chair concludes and signs off; the record locks.
    settle(chair_page)
    chair_page.reload()
    chair_page.get_by_role("button", name="The discussion has ended: conclude the IRD").click()
    expect(chair_page.get_by_role("button", name="Sign off the record")).to_be_visible()
    checked(chair_page, browser_problems, scanned, "record (chair, concluded)")
    chair_page.get_by_label("I confirm this record is accurate and complete").check()
    chair_page.get_by_role("button", name="Sign off the record").click()
    expect(chair_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Record signed off"
    )
    expect(chair_page.locator("#ird-live")).to_contain_text("The record is read-only")
    checked(chair_page, browser_problems, scanned, "record (signed off)")

    settle(recorder_page)
    recorder_page.reload()
    expect(recorder_page.locator("textarea.ird-textarea")).to_have_count(0)
    expect(recorder_page.locator("#ird-live")).to_contain_text("The record is read-only")
    expect(recorder_page.get_by_role("heading", name="Add an addendum")).to_be_visible()
    assert Ird.objects.get(pk=ird.pk).status == Ird.Status.SIGNED_OFF

    chair_page.get_by_role("link", name="Printable record").click()
    expect(chair_page.get_by_role("heading", level=1)).to_have_text(ird.reference)
    checked(chair_page, browser_problems, scanned, "print")
    go(chair_page, f"/ird/{ird.pk}/record/revisions/")
    expect(chair_page.get_by_role("table")).to_contain_text(words)
    checked(chair_page, browser_problems, scanned, "revisions")

    # The QA team reviews its quality.
    sign_out(recorder_page)
    sign_in(recorder_page, committee_member)
    go(recorder_page, f"/ird/{ird.pk}/")
    checked(recorder_page, browser_problems, scanned, "detail (QA)")
    recorder_page.get_by_role("button", name="Review its quality").click()
    checked(recorder_page, browser_problems, scanned, "quality review")
    for legend, grade in (
        ("Timeliness", "5 Very good"),
        ("Attendance of the agencies that should have taken part", "6 Excellent"),
        ("Completeness of the record", "4 Good"),
        ("Rationale for the decisions", "5 Very good"),
    ):
        recorder_page.get_by_role("group", name=legend).get_by_label(grade).check()
    recorder_page.get_by_role("button", name="Record the review").click()
    expect(recorder_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Quality review recorded"
    )
    assert QualityReview.objects.filter(ird=ird, reviewer=committee_member).exists()
    go(recorder_page, "/ird/procedures/")
    checked(recorder_page, browser_problems, scanned, "procedures")
