"""The child protection pathway end to end in a real browser (issue 11 "Done when"): a police
concern arrives through the partner API with immediate risk and opens an urgent IRD at once; the
IRD decides on further enquiries, which opens a second IRD; that one needs a CPPM; the CPPM
registers the child, whose core group meets and starts the child's plan; a review CPPM removes
the child from the register. Each person drives their own pages in their own browser context;
axe-core checks every page on the way. Only the partner's API client and the demo data (seed_demo)
are set up outside the browser."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from ird.models import CoreGroup, Cppm, Ird, PlanAction, Registration
from ird.reference_data import ensure_ird_reference_data
from referrals.api import services as api_services
from referrals.management.commands.seed_demo import DEMO_PASSWORD
from referrals.models import ConcernCategory, CumulativeHarmRule, Referral, Staff
from referrals.reference_data import ensure_reference_data
from tests.api.conftest import concern_body
from tests.browser.test_ird_journey import (
    checked,
    complete_for_sign_off,
    go,
    label,
    schedule_in_an_hour,
    settle,
    sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_WAIT_MS = 15_000


def success(page, text: str) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(text)


def schedule_ird(page, ird, *, chair, recorder, health) -> None:
    """The team manager finds the requested IRD in the list and schedules it."""
    go(page, "/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="IRDs").click()
    page.get_by_role("link", name=ird.reference).click()
    page.get_by_role("button", name="Schedule the IRD").click()
    schedule_in_an_hour(page, chair=chair, recorder=recorder, invited=health)
    success(page, "IRD scheduled")


def hold_ird(recorder_page, chair_page, ird, *, people, lead, decision: str, check) -> None:
    """The recorder starts and writes the record; the chair concludes and signs it off."""
    go(recorder_page, f"/ird/{ird.pk}/")
    reason = recorder_page.get_by_label("Why is the IRD being held?")
    if not reason.input_value().strip():
        reason.fill("Police found the children alone overnight.")
    recorder_page.get_by_role("button", name="Start the IRD and open the record").click()
    expect(recorder_page.get_by_role("heading", level=1)).to_contain_text(
        f"Record of {ird.reference}"
    )
    check(recorder_page, "record (recorder)")
    joining = recorder_page.get_by_label("Invited person")
    for person in people:
        if not joining.is_visible():
            recorder_page.get_by_text("Record someone joining").click()
        joining.select_option(label=label(person))
        recorder_page.get_by_role("button", name="Record attendance").click()
        success(recorder_page, "Attendance recorded")
    recorder_page.get_by_label("Lead professional").select_option(label=lead.get_full_name())
    recorder_page.get_by_role("button", name="Name the lead professional").click()
    recorder_page.get_by_label("Decision", exact=True).select_option(label=decision)
    recorder_page.get_by_label("Reasons", exact=True).fill("As the agencies agreed.")
    recorder_page.get_by_role("button", name="Record decision").click()
    success(recorder_page, "Decision recorded")
    complete_for_sign_off(recorder_page)

    go(chair_page, f"/ird/{ird.pk}/record/")
    chair_page.get_by_role("button", name="The discussion has ended: conclude the IRD").click()
    chair_page.get_by_label("I confirm this record is accurate and complete").check()
    chair_page.get_by_role("button", name="Sign off the record").click()
    success(chair_page, "Record signed off")
    check(chair_page, "record (signed off)")


def schedule_cppm(page, referral, *, kind: str, chair, invitees) -> Cppm:
    """The team manager schedules a CPPM from the referral's page for a few minutes from now,
    as README's walk-through does: short notice, so the form asks why."""
    go(page, f"/referrals/{referral.pk}/")
    page.get_by_role("link", name="Schedule a CPPM").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Schedule a child protection planning meeting"
    )
    page.get_by_label(kind, exact=True).check()
    when = timezone.localtime(timezone.now() + timedelta(minutes=10))
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("If less than 5 days' notice, why?").fill("The agencies meet today.")
    page.get_by_label("Place", exact=True).fill("Family centre, Elgin")
    page.get_by_label("Chair", exact=True).select_option(label=label(chair))
    for person in invitees:
        page.get_by_label(label(person)).check()
    page.get_by_role("button", name="Schedule and send invitations").click()
    expect(page).to_have_url(re.compile(r"/ird/cppm/[0-9a-f-]{36}/$"))
    meeting = Cppm.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[1])
    assert meeting.referral_id == referral.pk
    return meeting


def record_outcome(page, meeting, *, child_box: str, child, lead) -> None:
    go(page, f"/ird/cppm/{meeting.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Record the outcome"))
    form.get_by_role("group", name="Was the meeting quorate?").get_by_label("Yes").check()
    held = timezone.localtime(timezone.now())
    form.get_by_label("When was it held?").fill(held.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("group", name=child_box).get_by_label(child.full_name).check()
    form.get_by_role("group", name="Categories of concern").get_by_label("Neglect").check()
    form.get_by_label("Lead professional").select_option(label=label(lead))
    form.get_by_role("group", name="Referral to the Principal Reporter").get_by_label("No").check()
    form.get_by_label("Why (or why not) refer to the Principal Reporter").fill(
        "Parents are working with the plan."
    )
    form.get_by_role("button", name="Record the outcome").click()
    expect(page.locator("#outcome")).to_be_visible()


@pytest.fixture
def demo(db):
    """The demo data of `make run` (seed_demo): the journey uses its people, as README's walk
    through the pathway does, beside its referrals, IRDs and registered child."""
    ensure_reference_data(ConcernCategory, CumulativeHarmRule)
    ensure_ird_reference_data()
    call_command("seed_demo", stdout=io.StringIO())
    return {staff.username: staff for staff in Staff.objects.filter(username__in=DEMO_PEOPLE)}


DEMO_PEOPLE = ("sw.duty", "tm.duty", "ird.police", "ird.health")


def test_police_concern_to_registration_core_group_and_de_registration(
    new_page, browser_problems, live_server, demo
):
    social_worker, team_manager, chair, nurse = (demo[name] for name in DEMO_PEOPLE)
    police, health = chair.agency, nurse.agency
    scanned: set[str] = set()

    def check(page, name: str) -> None:
        checked(page, browser_problems, scanned, name)

    # Police Scotland's system submits the concern with immediate risk, over HTTP with its token.
    api_client = api_services.client_create(name="Police Scotland iVPD", agency=police)
    token = api_services.token_issue(client=api_client)[1]
    manager = new_page()
    response = manager.request.post(
        f"{live_server.url}/api/v1/concerns/",
        data=concern_body(immediate_risk=True),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status == 201, response.text()
    referral = Referral.objects.get(pk=response.json()["id"])
    child = referral.children.get()
    first = Ird.objects.get(referral=referral)
    assert first.route == Ird.Route.IMMEDIATE_RISK  # no screening waited for

    # The team manager sees the urgent IRD at once and schedules it.
    sign_in(manager, team_manager, DEMO_PASSWORD)
    check(manager, "home")
    schedule_ird(manager, first, chair=chair, recorder=social_worker, health=nurse)
    check(manager, "ird scheduled")

    recorder = new_page()
    sign_in(recorder, social_worker, DEMO_PASSWORD)
    police_page = new_page()
    sign_in(police_page, chair, DEMO_PASSWORD)
    people = (chair, nurse, social_worker)
    meeting_people = {"chair": team_manager, "invitees": people}
    hold_ird(
        recorder,
        police_page,
        first,
        people=people,
        lead=social_worker,
        decision="Further enquiries, then a further IRD",
        check=check,
    )

    # Signing off "further enquiries" opened the second IRD, linked to the first.
    second = Ird.objects.get(previous=first)
    go(manager, f"/referrals/{referral.pk}/")
    expect(manager.get_by_role("main")).to_contain_text(second.reference)
    check(manager, "referral with two IRDs")
    schedule_ird(manager, second, chair=chair, recorder=social_worker, health=nurse)
    hold_ird(
        recorder,
        police_page,
        second,
        people=people,
        lead=social_worker,
        decision="Child protection planning meeting",
        check=check,
    )

    # The initial CPPM: scheduled, held, the child registered.
    meeting = schedule_cppm(manager, referral, kind="Initial", **meeting_people)
    check(manager, "cppm scheduled")
    go(police_page, f"/ird/cppm/{meeting.pk}/")  # the invited police officer sees it
    expect(police_page.get_by_role("link", name="Add to your calendar (.ics)")).to_be_visible()
    check(police_page, "cppm (invited)")
    record_outcome(
        manager,
        meeting,
        child_box="Place on the child protection register",
        child=child,
        lead=social_worker,
    )
    check(manager, "cppm outcome")
    registration = Registration.objects.get(person=child)
    manager.get_by_role("navigation", name="Menu").get_by_role("link", name="CP register").click()
    expect(manager.get_by_role("table")).to_contain_text(child.full_name)
    check(manager, "register")
    go(manager, f"/referrals/{referral.pk}/")
    expect(manager.get_by_role("main")).to_contain_text("On the child protection register")
    check(manager, "referral (registered)")

    # The lead professional records the core group's first meeting and a plan action.
    group = CoreGroup.objects.get(registration=registration)
    go(recorder, f"/ird/cppm/{meeting.pk}/")
    recorder.get_by_role("link", name=re.compile("Core group and child's plan")).click()
    check(recorder, "core group")
    today = timezone.localdate()
    add = recorder.locator("form", has=recorder.get_by_role("button", name="Add the action"))
    add.get_by_label("Action", exact=True).fill("Health visitor visits weekly.")
    add.get_by_label("Agency responsible").select_option(label=health.name)
    add.get_by_label("Person responsible").select_option(label=label(nurse))
    add.get_by_label("Due date").fill((today + timedelta(days=14)).isoformat())
    add.get_by_role("button", name="Add the action").click()
    expect(recorder.get_by_role("main")).to_contain_text("Health visitor visits weekly.")
    meet = recorder.locator("form", has=recorder.get_by_role("button", name="Record the meeting"))
    meet.get_by_label("Date of the meeting").fill(today.isoformat())
    for person in (social_worker, nurse):
        meet.get_by_label(re.compile(re.escape(person.get_full_name()))).check()
    meet.get_by_label("Notes").fill("Plan agreed with the parents.")
    meet.get_by_label("Date of the next meeting").fill((today + timedelta(days=28)).isoformat())
    meet.get_by_role("button", name="Record the meeting").click()
    expect(recorder.locator("#meetings")).to_be_visible()
    expect(recorder.get_by_role("main")).to_contain_text("Plan agreed with the parents.")
    check(recorder, "core group (met)")
    assert PlanAction.objects.filter(core_group=group, owner=nurse).exists()
    assert group.meetings.count() == 1

    # The review CPPM removes the child from the register.
    review = schedule_cppm(manager, referral, kind="Review", **meeting_people)
    record_outcome(
        manager,
        review,
        child_box="Remove from the child protection register",
        child=child,
        lead=social_worker,
    )
    check(manager, "review outcome")
    registration.refresh_from_db()
    assert registration.ended_at is not None
    manager.get_by_role("navigation", name="Menu").get_by_role("link", name="CP register").click()
    expect(manager.get_by_role("main")).not_to_contain_text(child.full_name)
    settle(manager)
