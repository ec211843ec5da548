"""Issue 12 in a real browser, one short journey per capability: a child's named person, GP
practice and school recorded at intake; a person's details corrected (the previous value on the
chronology), the birth of an unborn child recorded and the pre-birth record merged with the
born one; possible matches left by the partner API confirmed and rejected; a referral from a
member of the public who gives no name; a known child's history of involvement at intake; the
practice hub's feedback read and acknowledged by an external referrer through the link e-mailed
to them. Every page visited is checked with axe-core."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from referrals.models import Agency, ChronologyEntry, Person, Referral, ReferralChild
from referrals.reference_data import ensure_community_sources
from referrals.services import feedback as feedback_services
from referrals.services import intake
from tests.browser.test_referral_journey import checked, fieldset, sign_in, valid_chi
from tests.factories import PersonFactory, make_referral, make_screened

pytestmark = pytest.mark.django_db(transaction=True)

CHILD_DOB = datetime.date(2017, 3, 9)


def fill_concern(page, *, source: str, referrer: str = "") -> None:
    """Step 1's concern, as a duty worker types it; the children are the caller's."""
    fieldset(page, "How did the concern arrive?").get_by_label("Telephone").check()
    page.get_by_label("Referrer's agency").select_option(label=source)
    if referrer:
        page.get_by_label("Referrer's name").fill(referrer)
    page.get_by_label("What happened", exact=True).fill(
        "A neighbour heard shouting and a child crying late at night, several nights running."
    )
    fieldset(page, "Is any child at immediate risk?").get_by_label("No").check()
    fieldset(page, "Concern categories").get_by_label("Neglect", exact=True).check()
    fieldset(page, "Was consent to share information sought?").get_by_label("No").check()
    page.get_by_label("Why was consent not sought?").fill("The referrer did not know the family.")
    fieldset(page, "Basis for sharing information").get_by_label(
        "Safeguarding of children", exact=False
    ).check()


def save_as_new_child(page, name: str) -> Referral:
    page.get_by_role("button", name="Continue: check for existing records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Is each person already known?")
    page.get_by_label(f"Create a new record for {name}").check()
    page.get_by_role("button", name="Save referral").click()
    referral = Referral.objects.get()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text(f"Referral {referral.reference} recorded.")
    return referral


def test_intake_records_a_child_s_named_person_gp_and_school(
    page, browser_problems, social_worker, police
):
    scanned: set[str] = set()
    sign_in(page, social_worker)
    page.goto("/referrals/new/")
    checked(page, browser_problems, scanned, "intake step 1")
    fill_concern(page, source="Police Scotland", referrer="PC Jamie Reid")
    child = fieldset(page, "Child 1")
    child.get_by_label("First name").fill("Rory")
    child.get_by_label("Last name").fill("Baird")
    child.get_by_label("Date of birth").fill(CHILD_DOB.isoformat())
    child.get_by_label("School or nursery").fill("West End Primary")
    child.get_by_label("Named person").fill("Mrs Gow, head teacher, 01343 555 010")
    child.get_by_label("GP practice").fill("Maryhill Practice, Elgin")
    referral = save_as_new_child(page, "Rory Baird")
    checked(page, browser_problems, scanned, "referral detail")

    page.get_by_role("link", name="Rory Baird").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rory Baird")
    details = page.locator("dl.govuk-summary-list").first
    for key, value in (
        ("School", "West End Primary"),
        ("Named person", "Mrs Gow, head teacher, 01343 555 010"),
        ("GP practice", "Maryhill Practice, Elgin"),
    ):
        row = details.locator(".govuk-summary-list__row").filter(
            has=page.locator("dt", has_text=re.compile(rf"^{key}$"))
        )
        expect(row.locator("dd")).to_have_text(value)
    checked(page, browser_problems, scanned, "person")
    person = referral.children.get()
    assert (person.school, person.named_person, person.gp_practice) == (
        "West End Primary",
        "Mrs Gow, head teacher, 01343 555 010",
        "Maryhill Practice, Elgin",
    )
    assert scanned == {"intake step 1", "referral detail", "person"}


def test_correcting_a_person_recording_a_birth_and_merging_the_pre_birth_record(
    page, browser_problems, social_worker, team_manager
):
    born_on = datetime.date.today() - datetime.timedelta(days=3)
    address = {"address_line1": "4 Moss Street", "town": "Elgin", "postcode": "IV30 1LU"}
    child = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[
            intake.PersonFields(
                first_name="Amy", last_name="Ross", date_of_birth=CHILD_DOB, **address
            )
        ],
    ).children.get()
    unborn, pre_birth = (
        make_referral(
            team=social_worker.team,
            received_by=social_worker,
            children=[
                intake.PersonFields(
                    first_name="Baby",
                    last_name=last_name,
                    unborn=True,
                    expected_date_of_delivery=born_on + datetime.timedelta(days=10),
                    **address,
                )
            ],
        ).children.get()
        for last_name in ("Ross", "Reid")
    )
    # Baby Reid again, recorded after the birth by a midwife's referral: the same child twice.
    after_birth = PersonFactory(
        first_name="Isla", last_name="Reid", date_of_birth=born_on, chi_number="", **address
    )
    scanned: set[str] = set()

    # A correction: the school, with its previous value on the chronology.
    sign_in(page, social_worker)
    page.goto(f"/people/{child.pk}/")
    checked(page, browser_problems, scanned, "person")
    page.get_by_role("link", name="Correct the details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct the details")
    checked(page, browser_problems, scanned, "person edit")
    page.get_by_label("School or nursery").fill("Bishopmill Primary")
    page.get_by_role("button", name="Save the details").click()
    expect(page).to_have_url(re.compile(rf"/people/{child.pk}/$"))
    changed = page.locator("table.govuk-table tbody tr").filter(has_text="Details changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("School or nursery was none")

    # The birth of the unborn child: date of birth and CHI number.
    number = valid_chi(born_on)
    page.goto(f"/people/{unborn.pk}/")
    page.get_by_role("link", name="Correct the details or record the birth").click()
    checked(page, browser_problems, scanned, "person edit: unborn")
    page.get_by_label("First name").fill("Isla")
    page.get_by_label("Date of birth").fill(born_on.isoformat())
    page.get_by_label("CHI number").fill(number)
    page.get_by_role("button", name="Save the details").click()
    expect(page).to_have_url(re.compile(rf"/people/{unborn.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Isla Ross")
    expect(
        page.locator("table.govuk-table tbody tr").filter(has_text="Birth recorded")
    ).to_have_count(1)
    checked(page, browser_problems, scanned, "person: born")
    unborn.refresh_from_db()
    assert (unborn.unborn, unborn.date_of_birth, unborn.chi_number) == (False, born_on, number)

    # The manager merges the record made after the birth into the one kept since pregnancy:
    # the kept record takes the birth, whichever was made first.
    browser_problems.assert_none()
    page.context.clear_cookies()
    sign_in(page, team_manager)
    page.goto(f"/people/{pre_birth.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Baby Reid")
    page.get_by_role("link", name="Find and merge duplicate records").click()
    checked(page, browser_problems, scanned, "merge")
    card = page.locator(".govuk-summary-card").filter(has_text="Isla Reid")
    card.get_by_label("I have checked that both records are the same person").check()
    card.get_by_role("button", name="Merge into Baby Reid").click()
    expect(page.get_by_role("alert")).to_contain_text("Records merged.")
    expect(page).to_have_url(re.compile(rf"/people/{pre_birth.pk}/$"))
    born_row = page.locator(".govuk-summary-list__row").filter(has_text="Date of birth")
    expect(born_row.locator("dd")).to_have_text(f"{born_on.day} {born_on:%B %Y}")
    checked(page, browser_problems, scanned, "person: merged")
    pre_birth.refresh_from_db()
    after_birth.refresh_from_db()
    assert (pre_birth.unborn, pre_birth.date_of_birth) == (False, born_on)
    assert after_birth.merged_into_id == pre_birth.pk
    assert ChronologyEntry.objects.filter(
        person=pre_birth, kind=ChronologyEntry.Kind.BIRTH
    ).exists()
    assert len(scanned) == 6


def test_a_manager_confirms_one_possible_match_and_rejects_another(
    page, browser_problems, social_worker, team_manager
):
    known = [
        PersonFactory(first_name=first, last_name="Hay", date_of_birth=CHILD_DOB, chi_number="")
        for first in ("Ellie", "Cara")
    ]
    # The partner API's concern named both with other spellings: each a new record, proposed
    # as a match for a person to decide.
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[
            intake.PersonFields(first_name=first, last_name="Hay", date_of_birth=CHILD_DOB)
            for first in ("Elly", "Kara")
        ],
    )
    links = {}
    for link in referral.child_links.select_related("person"):
        link.match = ReferralChild.Match.TO_CONFIRM
        link.proposed_match = known[0] if link.person.first_name == "Elly" else known[1]
        link.save()
        links[link.person.first_name] = link
    scanned: set[str] = set()

    sign_in(page, team_manager)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_text("May be Ellie Hay: confirm")).to_be_visible()
    checked(page, browser_problems, scanned, "referral with matches to decide")

    page.locator("form").filter(has_text="Ellie Hay's record").get_by_role(
        "button", name="The same child: link the records"
    ).click()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_text("May be Ellie Hay: confirm")).to_have_count(0)
    checked(page, browser_problems, scanned, "referral: one confirmed")

    kara = page.locator("form").filter(has_text="Cara Hay's record")
    kara.get_by_label("If it is a different child, why").fill("Different mother; born in Aberdeen.")
    kara.get_by_role("button", name=re.compile("different child", re.IGNORECASE)).click()
    expect(page.get_by_text("Not Cara Hay: Different mother; born in Aberdeen.")).to_be_visible()
    checked(page, browser_problems, scanned, "referral: one rejected")

    confirmed, rejected = links["Elly"], links["Kara"]
    confirmed.refresh_from_db()
    rejected.refresh_from_db()
    assert (confirmed.person_id, confirmed.match) == (known[0].pk, ReferralChild.Match.MATCHED)
    assert Person.objects.get(first_name="Elly").merged_into_id == known[0].pk
    assert rejected.match == ReferralChild.Match.REJECTED
    assert Person.objects.get(first_name="Kara").merged_into_id is None


def test_a_member_of_the_public_refers_without_giving_a_name(page, browser_problems, social_worker):
    ensure_community_sources(Agency)  # a transactional test starts without migrations' rows
    scanned: set[str] = set()
    sign_in(page, social_worker)
    page.goto("/referrals/new/")
    checked(page, browser_problems, scanned, "intake step 1")
    expect(page.get_by_text("Optional for a member of the public")).to_be_visible()
    fill_concern(page, source="A member of the public")
    child = fieldset(page, "Child 1")
    child.get_by_label("First name").fill("Sam")
    child.get_by_label("Last name").fill("Ogilvie")
    child.get_by_label("Date of birth").fill(CHILD_DOB.isoformat())

    referral = save_as_new_child(page, "Sam Ogilvie")

    expect(page.get_by_text("A member of the public")).to_be_visible()
    checked(page, browser_problems, scanned, "referral detail")
    assert referral.source_agency.code == "public"
    assert (referral.referrer_name, referral.referrer_email) == ("", "")


def test_an_external_referrer_reads_and_acknowledges_the_hub_s_feedback(
    page, browser_problems, social_worker, hub_reviewer
):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    Referral.objects.filter(pk=referral.pk).update(
        referrer_email="a.watt@school.example", external_reference="SCH-77"
    )
    feedback = feedback_services.feedback_give(
        referral=referral,
        given_by=hub_reviewer,
        scores=[{"criterion": "clarity", "label": "Clear account of the concern", "score": 5}],
        comments="Well evidenced: the child's own words were recorded.",
    )
    scanned: set[str] = set()

    # No account and no sign-in: the signed link in the e-mail is the key.
    page.goto(feedback_services.referrer_link(feedback))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Feedback on your referral {referral.reference}"
    )
    expect(page.get_by_text("your reference SCH-77")).to_be_visible()
    expect(page.get_by_text("Well evidenced: the child's own words were recorded.")).to_be_visible()
    checked(page, browser_problems, scanned, "feedback link")
    page.get_by_role("button", name="Acknowledge the feedback").click()
    expect(page.get_by_role("heading", name="Feedback acknowledged")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge the feedback")).to_have_count(0)
    checked(page, browser_problems, scanned, "feedback acknowledged")
    feedback.refresh_from_db()
    assert feedback.acknowledged_by_label == "the referrer (e-mail link)"


def test_intake_shows_a_known_child_s_history_of_involvement(
    page, browser_problems, social_worker, team_manager, police
):
    known = PersonFactory(
        first_name="Nina", last_name="Shand", date_of_birth=CHILD_DOB, chi_number=""
    )
    earlier = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[known],
        categories=("neglect",),
    )
    make_screened(earlier, social_worker, team_manager)
    scanned: set[str] = set()
    sign_in(page, social_worker)
    page.goto("/referrals/new/")
    fill_concern(page, source="Police Scotland", referrer="PC Jamie Reid")
    child = fieldset(page, "Child 1")
    child.get_by_label("First name").fill("Nina")
    child.get_by_label("Last name").fill("Shand")
    child.get_by_label("Date of birth").fill(CHILD_DOB.isoformat())
    page.get_by_role("button", name="Continue: check for existing records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Is each person already known?")

    page.get_by_text("History of involvement: Nina Shand").click()
    history = page.locator("details").filter(has_text="History of involvement: Nina Shand")
    expect(history).to_contain_text(f"{earlier.reference}, received")
    expect(history).to_contain_text("Neglect.")
    expect(history).to_contain_text("Screening: Support through the child's plan")
    expect(
        history.get_by_role("link", name=re.compile("Chronology of Nina Shand"))
    ).to_have_attribute("href", f"/people/{known.pk}/")
    checked(page, browser_problems, scanned, "intake step 2 with history")
