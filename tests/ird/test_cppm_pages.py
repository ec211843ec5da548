"""CPPM and register pages through the test client: who reaches what (the invited and the
coordinators; anyone else 404), each refusal shown on the page with nothing saved, the record's
version check, the register page in a fixed number of queries, and "is this child on the
register" wherever the child is named (person page, referral page, partner API)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ird import cppm
from ird.models import Cppm, Registration
from referrals.models import AuditEntry, ConcernCategory, Restriction, Role
from tests.factories import PersonFactory, StaffFactory, category
from tests.ird.conftest import held_now, local, outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitees(police_participant, health_participant, social_worker):
    return [police_participant, health_participant, social_worker]


@pytest.fixture
def registered(meeting, team_manager, social_worker):
    held_now(meeting)
    return cppm.cppm_outcome_record(
        cppm=meeting,
        by=team_manager,
        outcome=outcome(
            register=[meeting.children.get()],
            categories=[category("neglect")],
            lead_professional=social_worker,
        ),
    )


def schedule_body(chair, invitees, **fields) -> dict:
    body = {
        "kind": "initial",
        "scheduled_for": local(timezone.now() + timedelta(days=7)),
        "duration_minutes": "90",
        "place": "Family centre, Elgin",
        "dial_in": "",
        "chair": str(chair.pk),
        "invitees": [str(staff.pk) for staff in invitees],
        "short_notice_reason": "",
        "extension_reasons": "",
        "interim_safety_plan": "",
    }
    body.update(fields)
    return body


# --- Scheduling -------------------------------------------------------------------------------


def test_a_coordinator_schedules_from_the_page(client, signed_ird, team_manager, invitees):
    client.force_login(team_manager)
    url = reverse("ird:cppm_new", args=[signed_ird.referral_id])
    assert client.get(url).status_code == 200

    response = client.post(url, schedule_body(team_manager, invitees))

    meeting = Cppm.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ird:cppm_detail", args=[meeting.pk])


def test_a_cppm_before_its_ird_is_a_clear_error_on_the_page(
    client, cp_referral, team_manager, invitees
):
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_new", args=[cp_referral.pk]), schedule_body(team_manager, invitees)
    )
    assert response.status_code == 400
    assert "A CPPM comes after its IRD" in response.content.decode()
    assert not Cppm.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scheduled_for", "2101-01-01T10:00", "Enter a date and time from 1900 to 2100."),
        ("scheduled_for", "not a date", "Enter a real date and time"),
        ("place", "", "Give the place, or a dial-in"),
    ],
)
def test_bad_input_is_a_field_error(
    client, signed_ird, team_manager, invitees, field, value, message
):
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_new", args=[signed_ird.referral_id]),
        schedule_body(team_manager, invitees, **{field: value}),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Cppm.objects.exists()


def test_a_social_worker_may_not_schedule(client, signed_ird, social_worker):
    client.force_login(social_worker)
    url = reverse("ird:cppm_new", args=[signed_ird.referral_id])
    assert client.get(url).status_code == 403


# --- The meeting's page: the invited and the coordinators, anyone else 404 ----------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("team_manager", 200),  # the chair and coordinator
        ("service_manager", 200),
        ("police_participant", 200),  # invited
        ("health_participant", 200),  # invited
        ("education_participant", 404),  # not invited: as if it did not exist
        ("other_team_manager", 404),
        ("committee_member", 404),
        ("hub_reviewer", 404),
    ],
)
def test_who_sees_the_meeting(client, request, meeting, role, expected):
    user = request.getfixturevalue(role)
    client.force_login(user)
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    response = client.get(reverse("ird:cppm_detail", args=[meeting.pk]))

    assert response.status_code == expected
    row = AuditEntry.objects.filter(id__gt=mark).get()
    assert (row.action, row.object_type, row.object_id) == (
        "view" if expected == 200 else "denied",
        "cppm",
        str(meeting.pk),
    )


def test_the_invited_download_the_calendar_entry(
    client, meeting, police_participant, service_manager
):
    client.force_login(police_participant)
    response = client.get(reverse("ird:cppm_calendar", args=[meeting.pk]))
    assert response.status_code == 200
    assert "BEGIN:VEVENT" in response.content.decode()
    client.force_login(service_manager)  # a coordinator, not invited
    assert client.get(reverse("ird:cppm_calendar", args=[meeting.pk])).status_code == 403


# --- The outcome and the record -------------------------------------------------------------


def outcome_body(meeting, **fields) -> dict:
    body = {
        "outcome-version": str(meeting.version),
        "outcome-quorate": "yes",
        "outcome-held_at": local(meeting.scheduled_for),
        "outcome-categories": [str(category("neglect").pk)],
        "outcome-lead_professional": str(meeting.ird.lead_professional_id),
        "outcome-reporter_referral": "no",
        "outcome-reporter_note": "Parents are working with the plan.",
    }
    body.update(fields)
    return body


def test_the_chair_records_the_outcome_and_the_child_is_registered(client, meeting, team_manager):
    held_now(meeting)
    child = meeting.children.get()
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_outcome", args=[meeting.pk]),
        outcome_body(meeting, **{"outcome-register": [str(child.pk)]}),
    )
    assert response.status_code == 302
    assert Registration.objects.get(person=child).registered_at == meeting


def test_de_registration_not_at_a_review_is_a_clear_error(client, meeting, team_manager):
    held_now(meeting)
    child = meeting.children.get()
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_outcome", args=[meeting.pk]),
        outcome_body(meeting, **{"outcome-deregister": [str(child.pk)]}),
    )
    assert response.status_code == 400
    assert "Only a review CPPM can remove a child" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED


def test_a_second_active_registration_is_a_clear_error(client, registered, team_manager):
    child = registered.children.get()
    again = Cppm.objects.create(
        reference="CPPM-TEST-2",
        referral=registered.referral,
        ird=registered.ird,
        kind=Cppm.Kind.INITIAL,
        scheduled_for=timezone.now() - timedelta(hours=1),
        chair=team_manager,
        coordinator=team_manager,
    )
    again.children.set([child])
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_outcome", args=[again.pk]),
        outcome_body(again, **{"outcome-register": [str(child.pk)]}),
    )
    assert response.status_code == 400
    assert "already on the child protection register" in response.content.decode()
    assert Registration.objects.filter(person=child).count() == 1


def test_only_the_chair_posts_the_outcome(client, meeting, police_participant):
    client.force_login(police_participant)
    response = client.post(reverse("ird:cppm_outcome", args=[meeting.pk]), outcome_body(meeting))
    assert response.status_code == 403


def test_the_record_refuses_a_stale_version(client, registered, team_manager, service_manager):
    url = reverse("ird:cppm_record", args=[registered.pk])
    version = str(registered.version)
    client.force_login(team_manager)
    assert (
        client.post(url, {"record-text": "First.", "record-based_on": version}).status_code == 302
    )
    client.force_login(service_manager)
    response = client.post(url, {"record-text": "Second.", "record-based_on": version})
    assert response.status_code == 409
    assert "Second." in response.content.decode()  # what was typed is kept
    registered.refresh_from_db()
    assert registered.record == "First."


# --- The register ---------------------------------------------------------------------------


def register_children(count: int, by) -> None:
    neglect = ConcernCategory.objects.get(code="neglect")
    for _ in range(count):
        registration = Registration.objects.create(
            person=PersonFactory(),
            registered_on=timezone.localdate(),
            review_due_on=timezone.localdate() + timedelta(days=180),
            recorded_by=by,
        )
        registration.categories.set([neglect])


def register_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ird:register"))
    assert response.status_code == 200
    return len(queries)


def test_the_register_page_takes_fixed_queries(client, service_manager):
    client.force_login(service_manager)
    register_children(2, service_manager)
    two = register_queries(client)
    register_children(8, service_manager)
    assert register_queries(client) == two


def test_the_register_lists_children_with_dates_categories_and_review(
    client, registered, team_manager
):
    client.force_login(team_manager)
    response = client.get(reverse("ird:register"))
    page = response.content.decode()
    child = registered.children.get()
    registration = Registration.objects.get(person=child)
    assert child.full_name in page and "Neglect" in page
    assert f"{registration.review_due_on:%-d %b %Y}" in page
    row = AuditEntry.objects.filter(object_type="cp_register").get()
    assert row.detail["people"] == [str(child.pk)]


@pytest.mark.parametrize("role", ["social_worker", "police_participant", "hub_reviewer"])
def test_the_register_is_for_managers(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("ird:register")).status_code == 403


def test_a_restricted_child_is_not_named_on_the_register(client, registered, team_manager):
    child = registered.children.get()
    other_manager = StaffFactory(role=Role.SERVICE_MANAGER, team=None, agency=team_manager.agency)
    Restriction.objects.create(
        person=child,
        set_by=other_manager,
        reason=Restriction.Reason.choices[0][0],
        set_at=timezone.now(),
    )
    client.force_login(team_manager)
    page = client.get(reverse("ird:register")).content.decode()
    assert child.full_name not in page and "Restricted record" in page


# --- "Is this child on the register" wherever the child is named ---------------------------


def test_the_person_and_referral_pages_show_the_registration(client, registered, social_worker):
    child = registered.children.get()
    client.force_login(social_worker)
    person_page = client.get(reverse("person_detail", args=[child.pk])).content.decode()
    referral_page = client.get(
        reverse("referral_detail", args=[registered.referral_id])
    ).content.decode()
    for page in (person_page, referral_page):
        assert "On the child protection register" in page and "Neglect" in page


@pytest.mark.parametrize("reconvene", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_reconvene_id_is_404_not_500(client, signed_ird, team_manager, reconvene):
    client.force_login(team_manager)
    url = reverse("ird:cppm_new", args=[signed_ird.referral_id])
    assert client.get(url, {"reconvene": reconvene}).status_code == 404


def test_reconvening_an_inquorate_cppm_from_its_page(client, meeting, team_manager, invitees):
    held_now(meeting)
    cppm.cppm_outcome_record(cppm=meeting, by=team_manager, outcome=outcome(quorate=False))
    client.force_login(team_manager)
    page = client.get(reverse("ird:cppm_detail", args=[meeting.pk])).content.decode()
    assert "Reconvene the CPPM" in page
    url = reverse("ird:cppm_new", args=[meeting.referral_id]) + f"?reconvene={meeting.pk}"
    body = schedule_body(team_manager, invitees, reconvene=str(meeting.pk))
    assert client.post(url, body).status_code == 302
    assert Cppm.objects.get(previous=meeting).kind == meeting.kind
