"""No 5xx from any date, time or version a person or partner system can send to the IRD pages
and API (issue 15): procedures and their reviews, scheduling, the initial discussion,
attendance, actions, and If-Match. Each answer is a page, a form error or a 4xx."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ird import services
from ird.models import Ird
from referrals.models import Agency
from tests.api.conftest import PartnerClient
from tests.ird.test_api import action_url, patch, token
from tests.ird.test_pages import schedule_body
from tests.strategies import date_texts, datetime_texts, number_texts

pytestmark = pytest.mark.django_db
# Examples share the test's transaction: whatever one saves, the next finds.
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TRIAL_MONTHS = st.sampled_from(["1", "3", "24"])
DURATIONS = st.sampled_from(["30", "60", "120"])


def answered(response) -> bool:
    return response.status_code < 500


@pytest.fixture
def committee_client(client, committee_member):
    client.force_login(committee_member)
    return client


@pytest.fixture
def manager_client(client, team_manager):
    client.force_login(team_manager)
    return client


@pytest.fixture
def recorder_client(client, recorder):
    client.force_login(recorder)
    return client


@EXAMPLES
@given(effective_from=date_texts(), trial_months=st.one_of(TRIAL_MONTHS, number_texts()))
@example(effective_from="9999-12-31", trial_months="24")  # the ValueError: year 10001
def test_starting_a_procedure(committee_client, effective_from, trial_months):
    response = committee_client.post(
        reverse("ird:procedures"),
        {
            "title": "Moray IRD procedure",
            "version": uuid.uuid4().hex[:8],
            "effective_from": effective_from,
            "trial_months": trial_months,
            "text": "Convene by teleconference.",
        },
    )
    assert answered(response)


@EXAMPLES
@given(
    outcome=st.sampled_from(["extend", "amend", "adopt"]),
    extended_until=date_texts(),
    next_effective_from=date_texts(),
)
@example(outcome="extend", extended_until="9999-12-31", next_effective_from="")
@example(outcome="amend", extended_until="", next_effective_from="9999-12-31")
def test_reviewing_a_procedure(
    committee_client, committee_member, outcome, extended_until, next_effective_from
):
    procedure = services.procedure_start(
        by=committee_member,
        title="Moray IRD procedure",
        version=uuid.uuid4().hex[:8],
        effective_from=timezone.localdate(),
        text="Convene by teleconference.",
    )
    response = committee_client.post(
        reverse("ird:procedure_review", args=[procedure.pk]),
        {
            "review-outcome": outcome,
            "review-notes": "Reviewed.",
            "review-extended_until": extended_until,
            "review-next_version": uuid.uuid4().hex[:8],
            "review-next_effective_from": next_effective_from,
            "review-next_text": "Out of hours too.",
        },
    )
    assert answered(response)


@EXAMPLES
@given(scheduled_for=datetime_texts(), duration=st.one_of(DURATIONS, number_texts()))
@example(scheduled_for="9999-12-31T23:30", duration="60")  # the OverflowError
def test_scheduling(
    manager_client, requested_ird, chair, recorder, participants, scheduled_for, duration
):
    ird = Ird.objects.get(pk=requested_ird.pk)  # a version on from the last example's
    response = manager_client.post(
        reverse("ird:schedule", args=[ird.pk]),
        schedule_body(
            ird,
            chair,
            recorder,
            participants,
            scheduled_for=scheduled_for,
            duration_minutes=duration,
        ),
    )
    assert answered(response)
    assert answered(manager_client.get(reverse("ird:detail", args=[ird.pk])))
    assert answered(manager_client.get(reverse("ird:calendar", args=[ird.pk])))


@EXAMPLES
@given(held_at=datetime_texts())
def test_recording_the_initial_discussion(manager_client, requested_ird, held_at):
    response = manager_client.post(
        reverse("ird:initial_discussion", args=[requested_ird.pk]),
        {"initial-held_at": held_at, "initial-summary": "Agreed a safety plan."},
    )
    assert answered(response)


@EXAMPLES
@given(joined_at=datetime_texts(), left_at=datetime_texts())
def test_recording_attendance(recorder_client, started_ird, chair, joined_at, left_at):
    response = recorder_client.post(
        reverse("ird:attendance", args=[started_ird.pk]),
        {
            "attendance-person": chair.pk,
            "attendance-joined_at": joined_at,
            "attendance-left_at": left_at,
        },
    )
    assert answered(response)


@EXAMPLES
@given(due_date=date_texts())
@example(due_date="9999-12-31")  # the OverflowError
def test_adding_an_action(recorder_client, started_ird, due_date):
    response = recorder_client.post(
        reverse("ird:action_add", args=[started_ird.pk]),
        {
            "action-description": "Joint investigative interview.",
            "action-owner_agency": Agency.objects.get(kind="police").pk,
            "action-due_date": due_date,
        },
    )
    assert answered(response)
    assert answered(recorder_client.get(reverse("ird:record", args=[started_ird.pk])))


@pytest.fixture
def health_api(health, duty_team):
    return PartnerClient(token(health, "NHS Grampian child health"), address="10.0.0.9")


@pytest.fixture
def owned_action(started_ird, recorder, health):
    return services.action_add(
        ird=started_ird,
        by=recorder,
        description="Paediatric examination.",
        owner_agency=health,
        due_date=timezone.localdate(),
    )


@EXAMPLES
@given(
    if_match=st.one_of(
        number_texts().map(lambda version: f'"{version}"'),
        st.text(max_size=40),
        st.lists(number_texts().map(lambda version: f'"{version}"'), max_size=4).map(", ".join),
    )
)
@example(if_match='"\u00b9"')  # the ValueError
@example(if_match='"\u00b2\u00b3"')
def test_if_match(started_ird, owned_action, health_api, if_match):
    response = patch(
        health_api,
        action_url(started_ird, owned_action),
        {"completion_note": "Examined."},
        if_match,
    )
    assert response.status_code in {200, 400, 412, 428}, (if_match, response.status_code)
