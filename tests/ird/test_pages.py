"""The IRD pages through the test client: what each person sees (teleconference details only for
the invited), the forms and their errors, the lists, the referral page link and the menu."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ird import services
from ird.models import Ird, IrdAction, ProcedureReview, ProcedureVersion, QualityReview
from referrals.models import Agency, Deadline

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def schedule_body(ird, chair, recorder, participants, **changes) -> dict:
    body = {
        "version": ird.version,
        "scheduled_for": local(timezone.now() + timedelta(days=1)),
        "duration_minutes": "60",
        "chair": chair.pk,
        "recorder": recorder.pk,
        "participants": [p.pk for p in participants],
        "dial_in": "0800 012 3456",
        "meeting_id": "481 516",
        "pin": "7319",
    }
    body.update(changes)
    return body


def test_the_coordinator_schedules_through_the_form(
    client, requested_ird, team_manager, chair, recorder, participants
):
    client.force_login(team_manager)
    form = client.get(reverse("ird:schedule", args=[requested_ird.pk]))
    assert form.status_code == 200 and "Schedule and send invitations" in form.content.decode()

    response = client.post(
        reverse("ird:schedule", args=[requested_ird.pk]),
        schedule_body(requested_ird, chair, recorder, participants),
    )

    assert response.status_code == 302
    assert Ird.objects.get(pk=requested_ird.pk).status == Ird.Status.SCHEDULED


def test_schedule_errors_are_shown_and_nothing_is_saved(
    client, requested_ird, team_manager, chair, recorder, education_participant
):
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:schedule", args=[requested_ird.pk]),
        schedule_body(
            requested_ird, chair, recorder, [education_participant], scheduled_for="tomorrow"
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Error:" in page and "Enter a real date and time" in page

    response = client.post(
        reverse("ird:schedule", args=[requested_ird.pk]),
        schedule_body(requested_ird, chair, recorder, [education_participant]),
    )
    assert response.status_code == 400
    assert "invite someone from health" in response.content.decode()
    assert Ird.objects.get(pk=requested_ird.pk).status == Ird.Status.REQUESTED


def test_a_stale_schedule_form_shows_a_conflict_and_keeps_what_was_typed(
    client, scheduled_ird, team_manager, chair, recorder, participants
):
    client.force_login(team_manager)
    body = schedule_body(
        scheduled_ird,
        chair,
        recorder,
        participants,
        dial_in="0800 999 0000",
        version=scheduled_ird.version - 1,
    )
    response = client.post(reverse("ird:schedule", args=[scheduled_ird.pk]), body)
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page and "0800 999 0000" in page
    assert f'name="version" value="{scheduled_ird.version}"' in page


def test_teleconference_details_are_shown_only_to_the_invited(
    client, scheduled_ird, health_participant, team_manager, service_manager
):
    url = reverse("ird:detail", args=[scheduled_ird.pk])
    client.force_login(health_participant)
    invited = client.get(url).content.decode()
    assert "Teleconference" in invited and scheduled_ird.pin in invited
    assert scheduled_ird.dial_in in invited
    for coordinator in (team_manager, service_manager):
        client.force_login(coordinator)
        page = client.get(url).content.decode()
        assert scheduled_ird.pin not in page and scheduled_ird.dial_in not in page


def test_the_committee_sees_signed_off_irds_but_no_teleconference(
    client, signed_ird, committee_member
):
    client.force_login(committee_member)
    page = client.get(reverse("ird:detail", args=[signed_ird.pk])).content.decode()
    assert signed_ird.dial_in not in page
    assert "Review its quality" in page


def test_a_refused_sign_off_lists_what_is_missing(client, started_ird, recorder, chair):
    services.ird_conclude(ird=started_ird, by=recorder)
    client.force_login(chair)
    record = client.get(reverse("ird:record", args=[started_ird.pk])).content.decode()
    assert "Before sign-off" in record and "Name the lead professional" in record

    response = client.post(
        reverse("ird:sign_off", args=[started_ird.pk]),
        {"version": Ird.objects.get(pk=started_ird.pk).version},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The record cannot be signed off yet" in page
    assert "No one from police is recorded as attending" in page
    assert Ird.objects.get(pk=started_ird.pk).status == Ird.Status.CONCLUDED


def test_the_recorder_records_attendance_decisions_and_actions(
    client, started_ird, recorder, chair
):
    client.force_login(recorder)
    record = reverse("ird:record", args=[started_ird.pk])
    posts = [
        (
            reverse("ird:attendance", args=[started_ird.pk]),
            {"attendance-person": chair.pk, "attendance-joined_at": local(timezone.now())},
        ),
        (reverse("ird:lead", args=[started_ird.pk]), {"lead-lead": recorder.pk}),
        (
            reverse("ird:decision", args=[started_ird.pk]),
            {"decision-code": "", "decision-rationale": ""},
        ),
    ]
    assert client.post(*posts[0]).status_code == 302
    assert client.post(*posts[1]).status_code == 302
    invalid = client.post(*posts[2])
    assert invalid.status_code == 400
    assert "Choose the decision." in invalid.content.decode()
    page = client.get(record).content.decode()
    assert chair.get_full_name() in page


def test_quality_review_by_the_qa_team(client, signed_ird, committee_member):
    client.force_login(committee_member)
    url = reverse("ird:quality", args=[signed_ird.pk])
    assert client.post(url, {"timeliness": "9"}).status_code == 400
    response = client.post(
        url,
        {
            "timeliness": "5",
            "attendance": "6",
            "completeness": "4",
            "rationale": "5",
            "rationale_comment": "Reasons clear.",
        },
    )
    assert response.status_code == 302
    review = QualityReview.objects.get(ird=signed_ird)
    assert (review.timeliness, review.attendance, review.completeness, review.rationale) == (
        5,
        6,
        4,
        5,
    )
    again = client.post(
        url, {"timeliness": "5", "attendance": "6", "completeness": "4", "rationale": "5"}
    )
    assert again.status_code == 400 and "already reviewed" in again.content.decode()
    detail = client.get(reverse("ird:detail", args=[signed_ird.pk])).content.decode()
    assert "Reasons clear." in detail and "Review its quality" not in detail


def test_procedure_versions_and_their_review(client, committee_member, health_participant):
    client.force_login(committee_member)
    response = client.post(
        reverse("ird:procedures"),
        {
            "title": "Moray IRD procedure",
            "version": "2.0",
            "effective_from": timezone.localdate().isoformat(),
            "trial_months": "3",
            "text": "Convene by teleconference.",
        },
    )
    assert response.status_code == 302
    procedure = ProcedureVersion.objects.get(version="2.0")

    client.force_login(health_participant)
    page = client.get(reverse("ird:procedure_detail", args=[procedure.pk])).content.decode()
    assert "Convene by teleconference." in page and "Record the review" not in page

    client.force_login(committee_member)
    response = client.post(
        reverse("ird:procedure_review", args=[procedure.pk]),
        {
            "review-outcome": "amend",
            "review-notes": "Add out-of-hours IRDs.",
            "review-next_version": "2.1",
            "review-next_effective_from": timezone.localdate().isoformat(),
            "review-next_text": "Convene by teleconference; out of hours too.",
        },
    )
    assert response.status_code == 302
    review = ProcedureReview.objects.get(procedure=procedure)
    assert review.next_version.version == "2.1"
    assert ProcedureVersion.objects.get(version="2.1").status == "trial"


# Dates near the end of Python's calendar overflowed the arithmetic after them (issue 15): each
# is now a form error, from 1900 to 2100, and nothing is saved.
DATE_RANGE_ERROR = "Enter a date from 1900 to 2100."
DATETIME_RANGE_ERROR = "Enter a date and time from 1900 to 2100."


def procedure_body(**changes) -> dict:
    return {
        "title": "Moray IRD procedure",
        "version": "9.0",
        "effective_from": timezone.localdate().isoformat(),
        "trial_months": "3",
        "text": "Convene by teleconference.",
        **changes,
    }


@pytest.mark.parametrize("effective_from", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_a_procedure_effective_outside_1900_to_2100_is_a_form_error(
    client, committee_member, effective_from
):
    client.force_login(committee_member)
    response = client.post(
        reverse("ird:procedures"),
        procedure_body(effective_from=effective_from, trial_months="24"),
    )
    assert response.status_code == 400
    assert DATE_RANGE_ERROR in response.content.decode()
    assert not ProcedureVersion.objects.exists()


def test_a_trial_review_out_of_range_is_a_form_error(client, committee_member):
    client.force_login(committee_member)
    client.post(reverse("ird:procedures"), procedure_body())
    procedure = ProcedureVersion.objects.get()
    url = reverse("ird:procedure_review", args=[procedure.pk])
    for body in (
        {"review-outcome": "extend", "review-extended_until": "9999-12-31"},
        {
            "review-outcome": "amend",
            "review-next_version": "9.1",
            "review-next_effective_from": "9999-12-31",
        },
    ):
        response = client.post(url, {"review-notes": "Reviewed.", **body})
        assert response.status_code == 400
        assert DATE_RANGE_ERROR in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.status == "trial" and not ProcedureReview.objects.exists()


@pytest.mark.parametrize("scheduled_for", ["9999-12-31T23:30", "2101-01-01T10:00"])
def test_an_ird_scheduled_after_2100_is_a_form_error(
    client, requested_ird, team_manager, chair, recorder, participants, scheduled_for
):
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:schedule", args=[requested_ird.pk]),
        schedule_body(requested_ird, chair, recorder, participants, scheduled_for=scheduled_for),
    )
    assert response.status_code == 400
    assert DATETIME_RANGE_ERROR in response.content.decode()
    assert Ird.objects.get(pk=requested_ird.pk).status == Ird.Status.REQUESTED


@pytest.mark.parametrize("due_date", ["9999-12-31", "2101-01-01"])
def test_an_action_due_after_2100_is_a_form_error(client, started_ird, recorder, due_date):
    client.force_login(recorder)
    response = client.post(
        reverse("ird:action_add", args=[started_ird.pk]),
        {
            "action-description": "Joint investigative interview.",
            "action-owner_agency": Agency.objects.get(kind="police").pk,
            "action-due_date": due_date,
        },
    )
    assert response.status_code == 400
    assert DATE_RANGE_ERROR in response.content.decode()
    assert not IrdAction.objects.exists()
    assert not Deadline.objects.filter(subject_type="ird_action").exists()


def test_the_lists_show_each_person_their_irds(
    client, signed_ird, health_participant, committee_member
):
    client.force_login(health_participant)
    page = client.get(reverse("ird:list")).content.decode()
    assert signed_ird.reference in page and "IRDs you are invited to" in page
    client.force_login(committee_member)
    page = client.get(reverse("ird:list")).content.decode()
    assert "Signed off: for quality review" in page and signed_ird.reference in page


def test_the_coordinator_sees_requests_to_schedule(
    client, requested_ird, team_manager, other_team_manager
):
    client.force_login(team_manager)
    page = client.get(reverse("ird:list")).content.decode()
    assert "Requested: to schedule" in page and requested_ird.reference in page
    client.force_login(other_team_manager)
    assert requested_ird.reference not in client.get(reverse("ird:list")).content.decode()


def test_the_referral_page_links_its_ird_for_those_who_may_open_it(
    client, scheduled_ird, recorder, hub_reviewer
):
    url = reverse("referral_detail", args=[scheduled_ird.referral_id])
    client.force_login(recorder)
    page = client.get(url).content.decode()
    assert f'href="/ird/{scheduled_ird.pk}/"' in page
    assert "Inter-agency referral discussion" in page
    client.force_login(hub_reviewer)
    page = client.get(url).content.decode()
    assert scheduled_ird.reference in page and f'href="/ird/{scheduled_ird.pk}/"' not in page


@pytest.mark.parametrize(
    ("fixture", "shown"),
    [
        ("health_participant", True),
        ("social_worker", True),
        ("committee_member", True),
        ("hub_reviewer", False),
        ("administrator", False),
    ],
)
def test_the_menu_shows_irds_to_those_who_take_part(client, request, fixture, shown):
    client.force_login(request.getfixturevalue(fixture))
    page = client.get(reverse("notifications")).content.decode()
    assert (f'href="{reverse("ird:list")}"' in page) is shown


def test_the_owning_agency_updates_its_action(client, started_ird, recorder, health_participant):
    action = services.action_add(
        ird=started_ird,
        by=recorder,
        description="Examine.",
        owner_agency=Agency.objects.get(kind="health"),
        due_date=timezone.localdate(),
    )
    client.force_login(health_participant)
    url = reverse("ird:action", args=[started_ird.pk, action.pk])
    assert client.get(url).status_code == 200
    stale = client.post(
        url, {"version": action.version - 1, "status": "done", "completion_note": "Examined."}
    )
    assert stale.status_code == 409
    response = client.post(
        url, {"version": action.version, "status": "done", "completion_note": "Examined."}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (
        action.status == "done" and action.completed_by_label == health_participant.get_full_name()
    )


def test_a_refusal_by_permission_is_403_not_400(
    client, started_ird, recorder, health_participant, monkeypatch
):
    """Issue 16: ird's pages turned NotPermitted into 400; every app answers a domain error
    with the status its class carries (referrals/errors.py)."""
    from referrals.errors import NotPermitted

    action = services.action_add(
        ird=started_ird,
        by=recorder,
        description="Examine.",
        owner_agency=Agency.objects.get(kind="health"),
        due_date=timezone.localdate(),
    )

    def refused(**kwargs):
        raise NotPermitted("Only the agency that owns this action updates it.")

    monkeypatch.setattr(services, "action_update", refused)
    client.force_login(health_participant)
    response = client.post(
        reverse("ird:action", args=[started_ird.pk, action.pk]),
        {"version": action.version, "status": "done", "completion_note": "Examined."},
    )

    assert response.status_code == 403
