"""Each social work page through Django's test client: what it shows, what it refuses, and that
a refused or invalid submission changes nothing."""

import datetime
import html
import re

import pytest
from django.db import OperationalError, connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import chi, chronology
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    CumulativeHarmFlag,
    Notification,
    Person,
    Referral,
    ReferralChild,
    ScreeningDecision,
)
from referrals.services import intake, screening
from referrals.views import ops
from tests.factories import PersonFactory, category, make_referral

pytestmark = pytest.mark.django_db

AVA_DOB = datetime.date(2016, 5, 1)


# --- Helpers ------------------------------------------------------------------------------


def text(response) -> str:
    """The page as a reader sees the characters (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def error_summary(response) -> str:
    match = re.search(r'class="govuk-error-summary".*?</ul>', response.content.decode(), re.S)
    assert match, "no GOV.UK error summary on the page"
    return html.unescape(match.group(0))


def chi_for(date_of_birth: datetime.date, serial: str = "123") -> str:
    prefix = f"{date_of_birth:%d%m%y}{serial}"
    return prefix + str(chi.chi_mod10_check_digit(prefix))


def with_bad_check_digit(number: str) -> str:
    prefix = number[:9]
    for digit in "0123456789":
        candidate = prefix + digit
        if not chi.chi_check_digit_valid(candidate):
            return candidate
    raise AssertionError("every check digit is valid")


def child_row(**overrides) -> dict:
    row = {
        "first_name": "Ava",
        "last_name": "Smith",
        "date_of_birth": AVA_DOB.isoformat(),
        "expected_date_of_delivery": "",
        "chi_number": "",
        "sex": "unknown",
        "address_line1": "",
        "address_line2": "",
        "town": "",
        "postcode": "",
        "school": "",
    }
    row.update(overrides)
    return {key: value for key, value in row.items() if value is not None}


def adult_row(**overrides) -> dict:
    row = {"first_name": "Kim", "last_name": "Smith", "date_of_birth": "", "relationship": ""}
    row.update(overrides)
    return row


def formset(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def intake_data(agency, *, children=None, adults=(), action="continue", **concern) -> dict:
    data = {
        "action": action,
        "channel": "phone",
        "source_agency": str(agency.pk),
        "referrer_name": "Anne Watt",
        "referrer_role": "Guidance teacher",
        "referrer_phone": "",
        "referrer_email": "",
        "occurred_at": "",
        "summary": "Ava came to school hungry and without a coat.",
        "immediate_risk": "no",
        "categories": [str(category("neglect").pk)],
        "consent_sought": "no",
        "consent_given": "",
        "reason_consent_not_sought": "Asking would place the child at greater risk.",
        "sharing_basis": "safeguarding",
    }
    data.update(concern)
    data.update(formset("child", list(children) if children is not None else [child_row()]))
    data.update(formset("adult", list(adults)))
    return data


def counts() -> tuple[int, int, int]:
    return Referral.objects.count(), Person.objects.count(), ChronologyEntry.objects.count()


def screening_data(referral, **overrides) -> dict:
    data = {
        "outcome": "support",
        "reasons": "Family accept support from the school nurse.",
        "risk_analysis": "No immediate risk; food poverty.",
        "needs_analysis": "Food and clothing.",
        "cumulative_harm_analysis": "",
        "advice_given": "",
        "version": str(referral.version),
    }
    data.update(overrides)
    return data


def propose(referral, by, **overrides):
    fields = {
        "outcome": "support",
        "reasons": "Support offered.",
        "risk_analysis": "Low.",
        "needs_analysis": "Food.",
        "cumulative_harm_analysis": "",
        "advice_given": "",
    }
    fields.update(overrides)
    return screening.screening_propose(referral=referral, proposed_by=by, **fields)


@pytest.fixture
def referral(social_worker):
    return make_referral(team=social_worker.team)


@pytest.fixture
def sw_client(client, social_worker):
    client.force_login(social_worker)
    return client


@pytest.fixture
def tm_client(client, team_manager):
    client.force_login(team_manager)
    return client


# --- Home ---------------------------------------------------------------------------------


def test_home_lists_awaiting_screening_with_immediate_risk_first(sw_client, duty_team):
    now = timezone.now()
    newer = make_referral(team=duty_team, received_at=now - datetime.timedelta(hours=1))
    risky = make_referral(
        team=duty_team, received_at=now - datetime.timedelta(minutes=5), immediate_risk=True
    )
    oldest = make_referral(team=duty_team, received_at=now - datetime.timedelta(hours=5))

    response = sw_client.get("/")

    assert response.status_code == 200
    listed = response.context["lists"].awaiting_screening
    assert [r.pk for r in listed] == [risky.pk, oldest.pk, newer.pk]
    page = response.content.decode()
    positions = [page.index(r.reference) for r in (risky, oldest, newer)]
    assert positions == sorted(positions)
    assert "Immediate risk" in page


def test_home_lists_decisions_awaiting_approval(tm_client, duty_team, social_worker):
    waiting = make_referral(team=duty_team)
    propose(waiting, social_worker)
    unscreened = make_referral(team=duty_team)

    response = tm_client.get("/")

    lists = response.context["lists"]
    assert [r.pk for r in lists.awaiting_approval] == [waiting.pk]
    assert [r.pk for r in lists.awaiting_screening] == [unscreened.pk]
    assert waiting.reference in response.content.decode()


def test_home_lists_cumulative_harm_flags(tm_client, duty_team):
    first = make_referral(team=duty_team)
    child = first.children.get()
    make_referral(team=duty_team, children=[child])
    make_referral(team=duty_team, children=[child])

    response = tm_client.get("/")

    flags = response.context["lists"].harm_flags
    assert flags and {flag.person_id for flag in flags} == {child.pk}
    page = text(response)
    assert "Cumulative harm flags" in page
    assert "flagged for possible cumulative harm" in page
    assert child.full_name in page


def test_home_queues_are_the_manager_s_own_team(
    client, other_team_manager, service_manager, duty_team
):
    theirs = make_referral(team=duty_team)

    client.force_login(other_team_manager)
    assert client.get("/").context["lists"].awaiting_screening == []

    client.force_login(service_manager)
    assert [r.pk for r in client.get("/").context["lists"].awaiting_screening] == [theirs.pk]


def test_home_for_a_partner_shows_no_case_lists(client, police_participant, duty_team):
    referral = make_referral(team=duty_team)
    client.force_login(police_participant)

    response = client.get("/")

    assert response.status_code == 200
    assert "lists" not in response.context
    assert referral.reference not in response.content.decode()
    assert "Enter a new referral" not in response.content.decode()


# --- Intake: step 1 -----------------------------------------------------------------------


def test_intake_form_starts_with_one_child(sw_client):
    response = sw_client.get("/referrals/new/")
    assert response.status_code == 200
    assert len(response.context["children"].forms) == 1
    assert len(response.context["adults"].forms) == 0


def test_intake_step_one_invalid_shows_errors_in_the_summary(sw_client, social_work):
    data = intake_data(
        social_work, referrer_name="", summary="   ", children=[child_row(first_name="")]
    )

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    summary = error_summary(response)
    assert 'href="#id_referrer_name"' in summary
    assert 'href="#id_summary"' in summary
    assert 'href="#id_child-0-first_name"' in summary
    assert "Enter the referrer's name." in summary
    assert text(response).count("govuk-error-message") >= 3
    assert response.context["concern_form"].errors["referrer_name"]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("child", "field", "message"),
    [
        (
            child_row(chi_number=with_bad_check_digit(chi_for(AVA_DOB))),
            "chi_number",
            "This CHI number's check digit is wrong: check it for a typing error.",
        ),
        (
            child_row(chi_number=chi_for(AVA_DOB + datetime.timedelta(days=1))),
            "chi_number",
            "The CHI number does not match the date of birth: its first six digits should be "
            "010516, the date of birth 1 May 2016 as DDMMYY.",
        ),
        (
            child_row(chi_number="12345"),
            "chi_number",
            "A CHI number is 10 digits, for example 0101011237.",
        ),
        (
            child_row(
                date_of_birth=(timezone.localdate() + datetime.timedelta(days=2)).isoformat()
            ),
            "date_of_birth",
            "The date of birth cannot be in the future.",
        ),
        (
            child_row(date_of_birth="", unborn="on"),
            "expected_date_of_delivery",
            "Enter the expected date of delivery for an unborn baby.",
        ),
        (child_row(date_of_birth=""), "date_of_birth", "Enter the child's date of birth."),
    ],
    ids=[
        "chi-check-digit",
        "chi-vs-date-of-birth",
        "chi-format",
        "born-in-future",
        "unborn-without-edd",
        "no-date-of-birth",
    ],
)
def test_intake_rejects_bad_child_details(sw_client, social_work, child, field, message):
    response = sw_client.post("/referrals/new/", intake_data(social_work, children=[child]))

    assert response.status_code == 400
    assert message in error_summary(response)
    assert f'href="#id_child-0-{field}"' in error_summary(response)
    assert counts() == (0, 0, 0)


def test_intake_errors_in_the_summary_name_the_child_or_adult(sw_client, social_work):
    """Issue 12 defect 5: with two children, "Enter a first name" did not say whose."""
    data = intake_data(
        social_work,
        children=[child_row(), child_row(first_name="")],
        adults=[adult_row(last_name="")],
    )

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    summary = error_summary(response)
    assert "Child 2: " in summary and "Adult 1: " in summary
    assert "Child 1: " not in summary


def test_intake_enter_in_a_text_field_continues_rather_than_adding_a_child(sw_client):
    """Issue 12 defect 5: Enter submits the form's first submit button; it must be Continue,
    not "Add another child"."""
    page = sw_client.get("/referrals/new/").content.decode()
    form = page[page.index('action="/referrals/new/"') :]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'value="continue"' in first_button


def test_intake_refuses_contradictory_details_naming_the_fields(sw_client, social_work):
    """Issue 12 defect 7: an unborn baby due yesterday, and consent not sought yet given."""
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    data = intake_data(
        social_work,
        children=[child_row(date_of_birth="", unborn="on", expected_date_of_delivery=yesterday)],
        consent_sought="no",
        consent_given="yes",
    )

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    summary = error_summary(response)
    assert "expected date of delivery is in the past" in summary
    assert "Consent was not sought" in summary
    assert counts() == (0, 0, 0)


def test_intake_consent_sought_needs_an_answer(sw_client, social_work):
    data = intake_data(
        social_work, consent_sought="yes", consent_given="", reason_consent_not_sought=""
    )

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    assert "Say whether consent was given." in error_summary(response)


def test_intake_consent_not_sought_needs_a_reason(sw_client, social_work):
    data = intake_data(social_work, consent_sought="no", reason_consent_not_sought="")

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    assert "Say why consent was not sought." in error_summary(response)


def test_intake_rejects_a_concern_in_the_future(sw_client, social_work):
    later = timezone.localtime() + datetime.timedelta(days=1)
    data = intake_data(social_work, occurred_at=f"{later:%Y-%m-%dT%H:%M}")

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 400
    assert "The time it happened cannot be in the future." in error_summary(response)


@pytest.mark.parametrize(
    ("action", "kind", "expected"),
    [
        ("add_child", "children", 2),
        ("add_adult", "adults", 1),
    ],
)
def test_intake_add_person_redraws_with_one_more_section(
    sw_client, social_work, action, kind, expected
):
    data = intake_data(
        social_work,
        action=action,
        referrer_name="Rhona Ferguson",
        children=[child_row(first_name="Morag", postcode="IV30 1AB")],
    )

    response = sw_client.post("/referrals/new/", data)

    assert response.status_code == 200
    assert len(response.context[kind].forms) == expected
    page = text(response)
    assert 'value="Rhona Ferguson"' in page
    assert 'value="Morag"' in page
    assert 'value="IV30 1AB"' in page
    assert "Ava came to school hungry" in page
    assert "govuk-error-summary" not in page  # no errors for what is not yet finished
    assert counts() == (0, 0, 0)


# --- Intake: step 2 -----------------------------------------------------------------------


@pytest.fixture
def known_child():
    return PersonFactory(
        first_name="Ava",
        last_name="Smith",
        date_of_birth=AVA_DOB,
        chi_number=chi_for(AVA_DOB),
        postcode="IV30 1AB",
    )


def two_children(agency, known_child):
    return intake_data(
        agency,
        children=[
            child_row(chi_number=known_child.chi_number),
            child_row(first_name="Noah", last_name="Brown", date_of_birth="2019-02-03"),
        ],
    )


def step_two(client, data):
    response = client.post("/referrals/new/", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def test_intake_step_two_shows_candidates_with_score_and_reasons(
    sw_client, social_work, duty_team, known_child
):
    make_referral(team=duty_team, children=[known_child])

    response = step_two(sw_client, two_children(social_work, known_child))

    people = response.context["people"]
    assert [p["field"] for p in people] == ["match-child-0", "match-child-1"]
    [candidate] = people[0]["candidates"]
    assert candidate.person == known_child
    assert candidate.score == 100
    assert candidate.certain
    assert "Same CHI number" in candidate.reasons
    assert people[1]["candidates"] == []
    page = text(response)
    assert "Match 100%" in page
    assert "Same CHI number" in page
    assert "Known: 1 referral" in page
    assert "Create a new record for Noah Brown" in page
    assert counts()[0] == 1  # only the earlier referral: step 2 saves nothing yet


def test_intake_step_two_without_a_choice_is_refused(sw_client, social_work, known_child):
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]
    before = counts()

    response = sw_client.post(
        "/referrals/new/", {"action": "confirm", "payload": payload, "match-child-1": "new"}
    )

    assert response.status_code == 400
    assert "Choose the record for Ava Smith, or a new record." in error_summary(response)
    assert counts() == before


def test_intake_links_the_chosen_record_and_creates_the_other(
    sw_client, social_work, known_child, social_worker
):
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]

    response = sw_client.post(
        "/referrals/new/",
        {
            "action": "confirm",
            "payload": payload,
            "match-child-0": str(known_child.pk),
            "match-child-1": "new",
        },
    )

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.received_by == social_worker
    assert referral.team == social_worker.team
    links = {link.person.first_name: link for link in referral.child_links.all()}
    assert links["Ava"].person == known_child
    assert links["Ava"].match == ReferralChild.Match.MATCHED
    assert links["Ava"].match_score == 100
    assert links["Noah"].match == ReferralChild.Match.NEW_RECORD
    assert Person.objects.count() == 2
    assert ChronologyEntry.objects.filter(referral=referral).count() == 2
    detail = sw_client.get(response["Location"])
    assert f"Referral {referral.reference} recorded." in text(detail)


def test_intake_saves_adults_with_their_relationship(sw_client, social_work):
    data = intake_data(social_work, adults=[adult_row(relationship="parent")])
    payload = step_two(sw_client, data).context["payload"]

    sw_client.post(
        "/referrals/new/",
        {"action": "confirm", "payload": payload, "match-child-0": "new", "match-adult-0": "new"},
    )

    referral = Referral.objects.get()
    adult = referral.adult_links.get()
    assert adult.person.full_name == "Kim Smith"
    assert adult.relationship == "parent"
    assert referral.children.get().relationships.get().relative == adult.person


def test_intake_refuses_a_record_that_was_not_offered(sw_client, social_work, known_child):
    stranger = PersonFactory(
        first_name="Zed", last_name="Quinn", date_of_birth=datetime.date(1990, 1, 1)
    )
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]
    before = counts()

    response = sw_client.post(
        "/referrals/new/",
        {
            "action": "confirm",
            "payload": payload,
            "match-child-0": str(stranger.pk),
            "match-child-1": "new",
        },
    )

    assert response.status_code == 400
    assert "Choose the record for Ava Smith" in error_summary(response)
    assert counts() == before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda payload: payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:],
        lambda payload: payload[:-3],
        lambda payload: "",
        lambda payload: "not-a-signed-payload",
    ],
    ids=["changed", "truncated", "empty", "garbage"],
)
def test_intake_forged_payload_goes_back_to_the_start(sw_client, social_work, known_child, tamper):
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]
    before = counts()

    response = sw_client.post(
        "/referrals/new/",
        {
            "action": "confirm",
            "payload": tamper(payload),
            "match-child-0": "new",
            "match-child-1": "new",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/referrals/new/"
    assert counts() == before
    follow = sw_client.get(response["Location"])
    assert "The form expired or was changed. Please enter it again." in text(follow)


def test_intake_submitted_twice_records_one_referral(sw_client, social_work, known_child):
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]
    confirm = {
        "action": "confirm",
        "payload": payload,
        "match-child-0": str(known_child.pk),
        "match-child-1": "new",
    }

    first = sw_client.post("/referrals/new/", confirm)
    second = sw_client.post("/referrals/new/", confirm)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Referral.objects.count() == 1
    assert Person.objects.count() == 2


def test_back_reload_and_save_again_records_one_referral(sw_client, social_work):
    """Issue 12 defect 1: save, press Back (the confirm page), reload it (step one posted
    again), save again: one referral, one child, and the worker is shown the record made."""
    form = sw_client.get("/referrals/new/").content.decode()
    token = re.search(r'name="intake_token" value="([0-9a-f-]+)"', form).group(1)
    data = intake_data(social_work, intake_token=token)
    first_payload = step_two(sw_client, data).context["payload"]
    saved = sw_client.post(
        "/referrals/new/",
        {"action": "confirm", "payload": first_payload, "match-child-0": "new"},
    )
    assert saved.status_code == 302

    reloaded = sw_client.post("/referrals/new/", data, follow=True)  # Back, then reload

    referral = Referral.objects.get()
    assert reloaded.redirect_chain[-1][0] == saved["Location"]
    assert f"already recorded as {referral.reference}" in text(reloaded)
    assert counts()[:2] == (1, 1)


def test_a_second_save_from_an_old_confirm_page_shows_the_record_made(sw_client, social_work):
    form = sw_client.get("/referrals/new/").content.decode()
    token = re.search(r'name="intake_token" value="([0-9a-f-]+)"', form).group(1)
    payload = step_two(sw_client, intake_data(social_work, intake_token=token)).context["payload"]
    confirm = {"action": "confirm", "payload": payload, "match-child-0": "new"}
    sw_client.post("/referrals/new/", confirm)

    again = sw_client.post("/referrals/new/", confirm, follow=True)

    assert "already recorded as" in text(again)
    assert counts()[:2] == (1, 1)


def test_intake_edit_goes_back_to_step_one_with_the_values(sw_client, social_work):
    data = intake_data(social_work, referrer_name="Rhona Ferguson")
    payload = step_two(sw_client, data).context["payload"]

    response = sw_client.post("/referrals/new/", {"action": "edit", "payload": payload})

    assert response.status_code == 200
    assert 'value="Rhona Ferguson"' in text(response)
    assert counts() == (0, 0, 0)


def test_intake_new_record_for_a_known_chi_number_is_refused_not_a_server_error(
    sw_client, social_work, known_child
):
    payload = step_two(sw_client, two_children(social_work, known_child)).context["payload"]
    sw_client.raise_request_exception = False

    response = sw_client.post(
        "/referrals/new/",
        {
            "action": "confirm",
            "payload": payload,
            "match-child-0": "new",
            "match-child-1": "new",
        },
    )

    assert response.status_code == 400
    assert "CHI" in error_summary(response)
    assert Referral.objects.count() == 0


def test_intake_same_record_chosen_for_two_children_is_refused_not_a_server_error(
    sw_client, social_work
):
    ava = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=AVA_DOB, postcode="IV30 1AB"
    )
    isla = PersonFactory(
        first_name="Isla", last_name="Smith", date_of_birth=AVA_DOB, postcode="IV30 1AB"
    )
    data = intake_data(
        social_work,
        children=[
            child_row(postcode="IV30 1AB"),
            child_row(first_name="Isla", postcode="IV30 1AB"),
        ],
    )
    response = step_two(sw_client, data)
    offered = [{c.person.pk for c in p["candidates"]} for p in response.context["people"]]
    assert ava.pk in offered[0] and ava.pk in offered[1]  # twins: each may be the other
    sw_client.raise_request_exception = False

    response = sw_client.post(
        "/referrals/new/",
        {
            "action": "confirm",
            "payload": response.context["payload"],
            "match-child-0": str(ava.pk),
            "match-child-1": str(ava.pk),
        },
    )

    assert response.status_code == 400
    assert Referral.objects.count() == 0
    assert isla.referral_links.count() == 0


# --- Screening ----------------------------------------------------------------------------


def screening_url(referral) -> str:
    return f"/referrals/{referral.pk}/screening/"


def test_screening_form_shows_for_a_received_referral(sw_client, referral):
    response = sw_client.get(screening_url(referral))
    assert response.status_code == 200
    assert f'name="version" value="{referral.version}"' in response.content.decode()


def test_screening_requires_reasons_and_analyses(sw_client, referral):
    response = sw_client.post(screening_url(referral), {"version": referral.version})

    assert response.status_code == 400
    summary = error_summary(response)
    for field in ("outcome", "reasons", "risk_analysis", "needs_analysis"):
        assert field in response.context["form"].errors
        assert f"#id_{field}" in summary
    assert not ScreeningDecision.objects.exists()


def test_screening_records_the_decision_and_asks_for_approval(
    sw_client, referral, social_worker, team_manager
):
    response = sw_client.post(screening_url(referral), screening_data(referral))

    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    decision = ScreeningDecision.objects.get()
    assert decision.proposed_by == social_worker
    assert decision.state == ScreeningDecision.State.PROPOSED
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SCREENING
    assert referral.version == 2
    assert Notification.objects.filter(
        recipient=team_manager, kind=Notification.Kind.APPROVAL_NEEDED
    ).exists()


def test_screening_requires_cumulative_harm_analysis_while_flagged(sw_client, duty_team):
    first = make_referral(team=duty_team)
    child = first.children.get()
    make_referral(team=duty_team, children=[child])
    third = make_referral(team=duty_team, children=[child])
    assert CumulativeHarmFlag.objects.filter(person=child, status="open").exists()

    form = sw_client.get(screening_url(third))
    assert "is flagged for possible cumulative harm" in text(form)
    response = sw_client.post(screening_url(third), screening_data(third))

    assert response.status_code == 400
    assert "record your analysis of the cumulative harm" in error_summary(response)
    assert not ScreeningDecision.objects.exists()

    accepted = sw_client.post(
        screening_url(third),
        screening_data(
            third, cumulative_harm_analysis="Three concerns of neglect in a month: a pattern."
        ),
    )
    assert accepted.status_code == 302
    assert ScreeningDecision.objects.get().cumulative_harm_analysis.startswith("Three")


def test_no_further_action_requires_advice(sw_client, referral):
    response = sw_client.post(
        screening_url(referral), screening_data(referral, outcome="no_further_action")
    )

    assert response.status_code == 400
    assert "Record the advice or signposting given with no further action." in error_summary(
        response
    )
    assert not ScreeningDecision.objects.exists()


def test_screening_on_a_stale_form_is_a_conflict_that_keeps_the_text(sw_client, referral):
    opened_at = referral.version
    Referral.objects.filter(pk=referral.pk).update(version=F("version") + 1)  # someone else
    typed = "Reasons typed over twenty minutes & not to be lost."

    response = sw_client.post(
        screening_url(referral), screening_data(referral, version=opened_at, reasons=typed)
    )

    assert response.status_code == 409
    page = text(response)
    assert "was changed by someone else" in page
    assert "Someone else changed this referral" in page
    assert typed in page
    assert f'name="version" value="{opened_at + 1}"' in page  # a resubmit can now succeed
    assert not ScreeningDecision.objects.exists()


def test_screening_a_proposed_referral_again_is_refused(sw_client, referral, social_worker):
    propose(referral, social_worker)
    referral.refresh_from_db()

    response = sw_client.post(screening_url(referral), screening_data(referral))

    assert response.status_code == 400
    assert "already awaits approval" in error_summary(response)
    assert ScreeningDecision.objects.count() == 1


# --- Approval, return, close ----------------------------------------------------------------


def review(client, referral, verdict, comment=""):
    referral.refresh_from_db()
    return client.post(
        f"/referrals/{referral.pk}/screening/review/",
        {
            "review-verdict": verdict,
            "review-comment": comment,
            "review-version": referral.version,
        },
    )


def state(referral):
    referral.refresh_from_db()
    decision = referral.screening_decisions.get()
    return referral.status, referral.version, decision.state


def test_team_manager_approves_the_decision(tm_client, referral, social_worker, team_manager):
    decision = propose(referral, social_worker)

    response = review(tm_client, referral, "approve", "Agreed.")

    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.state == ScreeningDecision.State.APPROVED
    assert decision.reviewed_by == team_manager
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECIDED
    assert Notification.objects.filter(
        recipient=social_worker, kind=Notification.Kind.DECISION_APPROVED
    ).exists()


def test_the_review_form_shows_only_to_someone_who_may_approve(
    client, referral, team_manager, social_worker, service_manager
):
    propose(referral, team_manager)
    url = f"/referrals/{referral.pk}/"
    for user, shown in ((team_manager, False), (social_worker, False), (service_manager, True)):
        client.force_login(user)
        assert ("Review the screening decision" in client.get(url).content.decode()) is shown


def test_the_proposer_cannot_approve_their_own_decision(tm_client, referral, team_manager):
    propose(referral, team_manager)
    before = state(referral)

    response = review(tm_client, referral, "approve")

    assert response.status_code in {400, 403}
    if response.status_code == 400:
        assert "approved by someone other than the person who proposed it" in error_summary(
            response
        )
    assert state(referral) == before


def test_a_return_needs_a_comment(tm_client, referral, social_worker):
    propose(referral, social_worker)
    before = state(referral)

    response = review(tm_client, referral, "return", "   ")

    assert response.status_code == 400
    assert "Say what needs more work before returning the decision." in error_summary(response)
    assert state(referral) == before


def test_a_returned_decision_goes_back_to_the_social_worker(tm_client, referral, social_worker):
    propose(referral, social_worker)

    response = review(tm_client, referral, "return", "Speak to the school first.")

    assert response.status_code == 302
    status, _, decision_state = state(referral)
    assert (status, decision_state) == (Referral.Status.SCREENING, "returned")
    assert Notification.objects.filter(
        recipient=social_worker, kind=Notification.Kind.DECISION_RETURNED
    ).exists()
    tm_client.force_login(social_worker)
    assert (
        "Record screening decision" in tm_client.get(f"/referrals/{referral.pk}/").content.decode()
    )


def test_a_review_on_a_stale_page_changes_nothing(tm_client, referral, social_worker):
    propose(referral, social_worker)
    referral.refresh_from_db()
    stale = referral.version
    Referral.objects.filter(pk=referral.pk).update(version=F("version") + 1)
    before = state(referral)

    response = tm_client.post(
        f"/referrals/{referral.pk}/screening/review/",
        {
            "review-verdict": "approve",
            "review-comment": "",
            "review-version": stale,
        },
    )

    assert response.status_code in {400, 409}
    assert "changed by someone else" in text(response)
    assert state(referral) == before


def close(client, referral, reason):
    referral.refresh_from_db()
    return client.post(
        f"/referrals/{referral.pk}/close/",
        {"close-reason": reason, "close-version": referral.version},
    )


def test_close_a_decided_referral(client, referral, social_worker, team_manager):
    screening.screening_approve(decision=propose(referral, social_worker), approved_by=team_manager)
    client.force_login(social_worker)
    assert "Close the referral" in client.get(f"/referrals/{referral.pk}/").content.decode()

    response = close(client, referral, "Support in place through the school.")

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert referral.closure_reason == "Support in place through the school."
    assert referral.closed_at is not None
    assert "Closed" in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_close_needs_a_reason(client, referral, social_worker, team_manager):
    screening.screening_approve(decision=propose(referral, social_worker), approved_by=team_manager)
    client.force_login(social_worker)

    response = close(client, referral, "")

    assert response.status_code == 400
    assert "Enter the reason for closing the referral." in error_summary(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECIDED


def test_an_undecided_referral_cannot_be_closed(sw_client, referral):
    response = close(sw_client, referral, "Duplicate.")

    assert response.status_code == 400
    assert "it cannot be moved to closed" in error_summary(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_referral_page_escapes_what_was_typed(sw_client, duty_team):
    child = PersonFactory(first_name="<b>Ava</b>", last_name="Smith")
    referral = make_referral(team=duty_team, children=[child])
    Referral.objects.filter(pk=referral.pk).update(summary="<script>alert('x')</script>")

    page = sw_client.get(f"/referrals/{referral.pk}/").content.decode()

    assert "<script>alert(" not in page and "<b>Ava</b>" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;b&gt;Ava&lt;/b&gt;" in page


# --- Person page --------------------------------------------------------------------------


def test_person_page_shows_the_chronology_newest_first(sw_client, duty_team):
    """Issue 12 defect 10: the newest events, which matter most, come first."""
    now = timezone.now()
    recent = make_referral(team=duty_team, received_at=now - datetime.timedelta(days=10))
    child = recent.children.get()
    oldest = make_referral(
        team=duty_team, children=[child], received_at=now - datetime.timedelta(days=300)
    )
    middle = make_referral(
        team=duty_team, children=[child], received_at=now - datetime.timedelta(days=100)
    )

    response = sw_client.get(f"/people/{child.pk}/")

    assert response.status_code == 200
    entries = response.context["entries"]
    times = [entry.occurred_at for entry in entries]
    assert times == sorted(times, reverse=True)
    page = response.content.decode()
    positions = [page.index(f">{r.reference}<") for r in (recent, middle, oldest)]
    assert positions == sorted(positions)


def test_a_concern_is_on_the_chronology_when_it_arrived_with_when_it_happened(sw_client, duty_team):
    """Issue 12 defect 10: "Concern received" was dated by when the events happened."""
    now = timezone.now()
    happened = now - datetime.timedelta(days=20)
    late = intake.referral_receive(
        concern=intake.Concern(
            channel=Referral.Channel.PHONE,
            source_agency=duty_team.agency,
            referrer_name="Anne Watt",
            summary="Told us of a fall three weeks ago.",
            immediate_risk=False,
            categories=[category("neglect")],
            consent_sought=False,
            reason_consent_not_sought="Risk.",
            sharing_basis="safeguarding",
            received_at=now,
            occurred_at=happened,
            children=[
                intake.ChildIntake(
                    details=intake.PersonFields(
                        first_name="Zoe", last_name="Bell", date_of_birth=datetime.date(2015, 1, 2)
                    )
                )
            ],
        ),
        team=duty_team,
        received_by=None,
    )

    entry = ChronologyEntry.objects.get(referral=late, kind=ChronologyEntry.Kind.CONCERN)
    assert entry.occurred_at == now
    assert f"about events of {timezone.localtime(happened):%d %B %Y}" in entry.summary


def test_the_referral_page_says_when_the_current_step_is_due(sw_client, duty_team):
    referral = make_referral(team=duty_team)
    due = referral.deadlines.get(timescale__kind="screening").due_at

    page = text(sw_client.get(f"/referrals/{referral.pk}/"))

    assert "Record the screening decision" in page
    assert f"due {timezone.localtime(due):%-d %B %Y %H:%M}" in page


def test_person_page_queries_do_not_grow_with_the_chronology(
    client, social_worker, referral, django_assert_max_num_queries
):
    child = referral.children.get()
    client.force_login(social_worker)
    url = f"/people/{child.pk}/"

    def add_entries(n):
        for _ in range(n):
            chronology.chronology_add(
                people=[child],
                kind=ChronologyEntry.Kind.NOTE,
                summary="Home visit.",
                referral=referral,
                recorded_by=social_worker,
                occurred_at=timezone.now(),
            )

    add_entries(2)  # with the concern itself: 3 entries
    assert ChronologyEntry.objects.filter(person=child).count() == 3
    client.get(url)  # the first request of a session does one-off work
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200

    add_entries(27)
    assert ChronologyEntry.objects.filter(person=child).count() == 30
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(url)
    assert len(response.context["entries"]) == 30


def test_person_page_writes_one_view_audit_row(sw_client, referral, social_worker):
    child = referral.children.get()
    before = AuditEntry.objects.count()

    sw_client.get(f"/people/{child.pk}/")

    [row] = AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - before]
    assert (row.action, row.object_type, row.object_id) == ("view", "person", str(child.pk))
    assert row.actor == social_worker
    assert row.request_id


# --- Search -------------------------------------------------------------------------------


def search(client, query="", date_of_birth=""):
    return client.post("/search/", {"query": query, "date_of_birth": date_of_birth})


def test_search_finds_a_referral_by_reference(sw_client, referral):
    response = search(sw_client, referral.reference.lower())
    assert response.status_code == 200
    assert [r.pk for r in response.context["results"].referrals] == [referral.pk]
    assert referral.reference in response.content.decode()


def test_search_finds_a_person_by_chi_number_typed_with_spaces(sw_client):
    person = PersonFactory(chi_number=chi_for(AVA_DOB), date_of_birth=AVA_DOB)
    PersonFactory(date_of_birth=AVA_DOB)
    number = person.chi_number

    response = search(sw_client, f"{number[:3]} {number[3:6]} {number[6:]}")

    assert [p.pk for p in response.context["results"].people] == [person.pk]


def test_search_finds_a_sound_alike_surname(sw_client):
    smith = PersonFactory(first_name="Ava", last_name="Smith")
    PersonFactory(first_name="Ava", last_name="Jones")

    response = search(sw_client, "Smyth")

    assert [p.pk for p in response.context["results"].people] == [smith.pk]
    assert "Ava Smith" in text(response)


def test_search_by_date_of_birth(sw_client):
    born = PersonFactory(date_of_birth=datetime.date(2018, 7, 9))
    PersonFactory(date_of_birth=datetime.date(2018, 7, 10))

    response = search(sw_client, date_of_birth="2018-07-09")

    assert [p.pk for p in response.context["results"].people] == [born.pk]


def test_empty_search_is_an_error(sw_client):
    response = search(sw_client, "   ")
    assert response.status_code == 400
    assert "Enter a name, CHI number, reference or date of birth." in error_summary(response)
    assert not AuditEntry.objects.filter(action="search").exists()


def test_search_by_get_shows_only_the_empty_form(sw_client):
    PersonFactory(last_name="Smith")

    response = sw_client.get("/search/?query=Smith")

    assert response.status_code == 200
    assert response.context["results"] is None
    assert not AuditEntry.objects.filter(action="search").exists()
    assert '<form method="post" action="/search/"' in response.content.decode()


def test_search_never_puts_the_query_in_the_url(sw_client):
    PersonFactory(first_name="Ava", last_name="Smith")

    response = search(sw_client, "Smith")

    assert response.status_code == 200  # answered in place, not redirected to a URL with it
    page = response.content.decode()
    assert "?query=" not in page and "query=Smith" not in page
    [row] = AuditEntry.objects.filter(action="search")
    assert "Smith" not in str(row.detail) and "Smith" not in row.route


# --- Notifications ------------------------------------------------------------------------


def notify(user, title="Something to look at"):
    return Notification.objects.create(recipient=user, kind=Notification.Kind.GENERAL, title=title)


def test_notifications_page_lists_only_mine(sw_client, social_worker, team_manager):
    mine = notify(social_worker, "For the social worker")
    notify(team_manager, "For the manager")

    response = sw_client.get("/notifications/")

    assert response.status_code == 200
    assert [n.pk for n in response.context["notifications"]] == [mine.pk]
    assert "For the manager" not in response.content.decode()


def test_mark_one_notification_as_read(sw_client, social_worker):
    first, second = notify(social_worker), notify(social_worker)

    response = sw_client.post("/notifications/", {"notification": str(first.pk)})

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_mark_all_notifications_as_read_leaves_others_alone(sw_client, social_worker, team_manager):
    notify(social_worker), notify(social_worker)
    theirs = notify(team_manager)

    sw_client.post("/notifications/")

    assert not Notification.objects.filter(recipient=social_worker, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("value", ["not-a-uuid", "", "1' OR '1'='1", "0" * 500])
def test_malformed_notification_id_marks_nothing(sw_client, social_worker, value):
    mine = notify(social_worker)

    response = sw_client.post("/notifications/", {"notification": value})

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is None


def test_cannot_mark_someone_else_s_notification(sw_client, team_manager):
    theirs = notify(team_manager)

    sw_client.post("/notifications/", {"notification": str(theirs.pk)})

    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Merge --------------------------------------------------------------------------------


@pytest.fixture
def duplicate_pair(duty_team):
    keep = make_referral(team=duty_team).children.get()
    duplicate = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=AVA_DOB)
    make_referral(team=duty_team, children=[duplicate])
    return keep, duplicate


def test_merge_page_lists_likely_duplicates(tm_client, duplicate_pair):
    keep, duplicate = duplicate_pair

    response = tm_client.get(f"/people/{keep.pk}/merge/")

    assert response.status_code == 200
    assert [c.person.pk for c in response.context["candidates"]] == [duplicate.pk]
    assert f'value="{duplicate.pk}"' in response.content.decode()


def test_merge_moves_referrals_and_is_audited(tm_client, duplicate_pair, team_manager):
    keep, duplicate = duplicate_pair
    their_referral = duplicate.referral_links.get().referral

    response = tm_client.post(
        f"/people/{keep.pk}/merge/", {"duplicate": str(duplicate.pk), "confirm": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/people/{keep.pk}/"
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep
    assert their_referral.child_links.get().person == keep
    assert not duplicate.referral_links.exists()
    merges = AuditEntry.objects.filter(action="merge")
    assert {(row.object_id, row.actor_id) for row in merges} == {
        (str(keep.pk), team_manager.pk),
        (str(duplicate.pk), team_manager.pk),
    }


def test_merge_needs_confirmation(tm_client, duplicate_pair):
    keep, duplicate = duplicate_pair

    response = tm_client.post(f"/people/{keep.pk}/merge/", {"duplicate": str(duplicate.pk)})

    assert response.status_code == 400
    assert "Confirm that both records are the same person." in error_summary(response)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_merge_refuses_a_record_that_was_not_offered(tm_client, duplicate_pair):
    keep, _ = duplicate_pair
    stranger = PersonFactory(
        first_name="Zed", last_name="Quinn", date_of_birth=datetime.date(1990, 1, 1)
    )

    response = tm_client.post(
        f"/people/{keep.pk}/merge/", {"duplicate": str(stranger.pk), "confirm": "on"}
    )

    assert response.status_code == 400
    assert "Choose one of the possible duplicates listed." in error_summary(response)
    stranger.refresh_from_db()
    assert stranger.merged_into is None


def test_social_worker_cannot_merge(sw_client, duplicate_pair):
    keep, duplicate = duplicate_pair

    assert sw_client.get(f"/people/{keep.pk}/merge/").status_code == 403
    response = sw_client.post(
        f"/people/{keep.pk}/merge/", {"duplicate": str(duplicate.pk), "confirm": "on"}
    )

    assert response.status_code == 403
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert not AuditEntry.objects.filter(action="merge").exists()


# --- Health checks ------------------------------------------------------------------------


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


class _BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


def test_readyz_is_503_with_retry_after_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(ops, "connection", _BrokenConnection())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response.json()["checks"]["database"] == "failed"
    assert "could not connect" not in response.content.decode()


def test_readyz_is_503_when_the_broker_is_down(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(ops, "Connection", unreachable)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "failed"}
    assert response["Retry-After"]


def test_an_intake_through_the_pages_stays_within_its_query_budget(
    sw_client, social_work, duty_team, known_child
):
    """Issue 14 (P7): step one, the matching step and the save, an adult and a child matched
    to a record on file. Team managers, timescales and closure days are looked up once per
    intake (timescales in one query), the audit rows written in one INSERT, relationships in
    one, the cumulative harm rules counted in one query; the person signed in read with their
    agency and team, the session's idle expiry slid once a minute rather than saved on every
    request (three statements a page); the hub's review inserted once with its deadline, and
    the screening and review deadlines in one INSERT. A guard against the number creeping
    back up."""
    make_referral(team=duty_team)  # the year's reference counter exists, as it mostly will
    data = intake_data(social_work, adults=[adult_row(relationship="parent")])
    with CaptureQueriesContext(connection) as step_one:
        assert sw_client.get("/referrals/new/").status_code == 200
    with CaptureQueriesContext(connection) as matching:
        payload = step_two(sw_client, data).context["payload"]
    confirm = {
        "action": "confirm",
        "payload": payload,
        "match-child-0": str(known_child.pk),
        "match-adult-0": "new",
    }
    with CaptureQueriesContext(connection) as save:
        assert sw_client.post("/referrals/new/", confirm).status_code == 302

    assert len(step_one) <= 13, len(step_one)
    assert len(matching) <= 19, len(matching)
    assert len(save) <= 30, len(save)
