"""The core group page and its forms through the test client: who reaches what (members and
coordinators; anyone else 404, audited as denied), each refusal shown on the page with nothing
saved, the version check, the page in a fixed number of queries however long the plan, and
the links from the CPPM page, the register and the referral page."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ird import core_group
from ird.models import CoreGroup, CoreGroupMeeting, CoreGroupMember, PlanAction
from referrals import extensions
from referrals.models import Agency, AuditEntry, Role
from tests.factories import StaffFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(registered) -> CoreGroup:
    return CoreGroup.objects.get()


def page(group) -> str:
    return reverse("ird:core_group", args=[group.pk])


def today():
    return timezone.localdate()


def meeting_body(group, **fields) -> dict:
    group.refresh_from_db()
    body = {
        "meeting-version": group.version,
        "meeting-held_on": today().isoformat(),
        "meeting-attended": [str(m.pk) for m in group.members.all()],
        "meeting-notes": "The plan was reviewed; the child attends nursery daily.",
        "meeting-next_meeting_on": (today() + timedelta(days=28)).isoformat(),
    }
    body.update(fields)
    return body


def action_body(group, **fields) -> dict:
    group.refresh_from_db()
    body = {
        "action-version": group.version,
        "action-description": "Nursery reports attendance weekly.",
        "action-owner_agency": Agency.objects.get(kind="education").pk,
        "action-due_date": (today() + timedelta(days=7)).isoformat(),
    }
    body.update(fields)
    return body


def an_uninvited_police_officer(police):
    return StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))


# --- Who sees the page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("social_worker", 200),  # the lead professional
        ("police_participant", 200),  # a member (invited to the CPPM)
        ("health_participant", 200),
        ("team_manager", 200),  # a coordinator of the referral's team
        ("service_manager", 200),
        ("other_team_manager", 404),
        ("committee_member", 404),
        ("hub_reviewer", 404),
        ("uninvited_police", 404),
    ],
)
def test_who_sees_the_core_group(client, request, group, police, role, expected):
    user = (
        an_uninvited_police_officer(police)
        if role == "uninvited_police"
        else request.getfixturevalue(role)
    )
    client.force_login(user)
    response = client.get(page(group))
    assert response.status_code == expected
    rows = list(
        AuditEntry.objects.filter(object_id=str(group.pk))
        .order_by("id")
        .values_list("action", "object_type")
    )
    if expected == 200:
        assert ("view", "core_group") in rows
        assert group.registration.person.full_name in response.content.decode()
    else:
        assert rows[-1] == ("denied", "core_group")


def test_anonymous_is_sent_to_sign_in(client, group):
    assert client.get(page(group)).status_code == 302


def test_a_missing_or_malformed_group_is_404(client, service_manager):
    client.force_login(service_manager)
    assert client.get(reverse("ird:core_group", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/ird/core-group/not-a-uuid/").status_code == 404
    assert client.post("/ird/core-group/12345/plan/also-bad/").status_code == 404


def test_a_member_without_the_right_to_manage_sees_no_forms(client, group, police_participant):
    client.force_login(police_participant)
    body = client.get(page(group)).content.decode()
    assert "Record a meeting" not in body and "Add an action" not in body


# --- Meetings ---------------------------------------------------------------------------------


def test_the_lead_professional_records_a_meeting(client, group, social_worker):
    client.force_login(social_worker)
    response = client.post(reverse("ird:core_group_meeting", args=[group.pk]), meeting_body(group))
    assert response.status_code == 302
    meeting = CoreGroupMeeting.objects.get()
    assert meeting.attended.count() == group.members.count()
    assert "The plan was reviewed" in client.get(page(group)).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"meeting-held_on": "3000-01-01"}, "Enter a date from 1900 to 2100."),
        ({"meeting-held_on": "31/02/2026"}, "Enter a real date"),
        ({"meeting-next_meeting_on": ""}, "Enter the date of the next meeting."),
        ({"meeting-attended": []}, "Record who attended the meeting."),
        ({"meeting-attended": ["not-a-member"]}, "is not a valid UUID"),
        ({"meeting-held_on": "2026-01-01", "meeting-next_meeting_on": "2025-12-01"}, "after"),
        ({"meeting-held_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, "future"),
        ({"meeting-version": "x"}, "Enter a whole number"),
    ],
)
def test_a_bad_meeting_is_an_error_on_the_page(client, group, social_worker, fields, message):
    client.force_login(social_worker)
    response = client.post(
        reverse("ird:core_group_meeting", args=[group.pk]), meeting_body(group, **fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not CoreGroupMeeting.objects.exists()


@pytest.mark.parametrize("role", ["police_participant", "health_participant"])
def test_a_member_may_not_record_a_meeting(client, request, group, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("ird:core_group_meeting", args=[group.pk]), meeting_body(group))
    assert response.status_code == 403
    assert not CoreGroupMeeting.objects.exists()
    assert AuditEntry.objects.filter(action="denied").exists()


def test_an_outsider_posting_gets_404(client, group, other_team_manager):
    client.force_login(other_team_manager)
    response = client.post(reverse("ird:core_group_meeting", args=[group.pk]), meeting_body(group))
    assert response.status_code == 404
    assert not CoreGroupMeeting.objects.exists()


def test_a_stale_form_is_a_conflict_and_keeps_what_was_typed(
    client, group, social_worker, team_manager
):
    stale = meeting_body(group, **{"meeting-notes": "Mine: the nursery reported no concerns."})
    client.force_login(team_manager)
    assert client.post(reverse("ird:plan_action_add", args=[group.pk]), action_body(group))
    client.force_login(social_worker)
    response = client.post(reverse("ird:core_group_meeting", args=[group.pk]), stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else" in body and "Mine: the nursery" in body
    assert not CoreGroupMeeting.objects.exists()


# --- Members ----------------------------------------------------------------------------------


def test_a_parent_is_added_by_name_and_role(client, group, social_worker):
    client.force_login(social_worker)
    response = client.post(
        reverse("ird:core_group_member", args=[group.pk]),
        {"member-version": group.version, "member-name": "Kim Smith", "member-role": "Mother"},
    )
    assert response.status_code == 302
    assert CoreGroupMember.objects.filter(name="Kim Smith", kind="family").exists()


def test_a_member_with_neither_account_nor_name_is_an_error(client, group, social_worker):
    client.force_login(social_worker)
    before = CoreGroupMember.objects.count()
    response = client.post(
        reverse("ird:core_group_member", args=[group.pk]), {"member-version": group.version}
    )
    assert response.status_code == 400
    assert "give a parent" in response.content.decode()
    assert CoreGroupMember.objects.count() == before


# --- The plan ---------------------------------------------------------------------------------


def test_an_action_is_added_and_updated_from_the_page(client, group, social_worker):
    client.force_login(social_worker)
    assert (
        client.post(reverse("ird:plan_action_add", args=[group.pk]), action_body(group)).status_code
        == 302
    )
    action = PlanAction.objects.get()
    group.refresh_from_db()
    url = reverse("ird:plan_action", args=[group.pk, action.pk])
    prefix = f"update-{action.pk}"
    response = client.post(
        url, {f"{prefix}-version": group.version, f"{prefix}-status": "not_needed"}
    )
    assert response.status_code == 400
    assert "no longer needed" in response.content.decode()
    response = client.post(
        url,
        {
            f"{prefix}-version": group.version,
            f"{prefix}-status": "not_needed",
            f"{prefix}-note": "The school now shares it with the named person.",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "not_needed"
    assert client.post(url, {f"{prefix}-version": "1"}).status_code == 403  # closed now


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action-due_date": "2101-01-01"}, "Enter a date from 1900 to 2100."),
        ({"action-due_date": "2020-01-01"}, "past"),
        ({"action-description": ""}, "Describe the action."),
        ({"action-owner_agency": "999999"}, "Select a valid choice"),
    ],
)
def test_a_bad_action_is_an_error_on_the_page(client, group, social_worker, fields, message):
    client.force_login(social_worker)
    response = client.post(
        reverse("ird:plan_action_add", args=[group.pk]), action_body(group, **fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanAction.objects.exists()


def test_an_action_of_another_group_is_404(client, group, social_worker):
    client.force_login(social_worker)
    url = reverse("ird:plan_action", args=[group.pk, uuid.uuid4()])
    assert client.post(url, {}).status_code == 404


def test_the_owning_agency_updates_its_action(client, group, social_worker, health_participant):
    action = core_group.plan_action_add(
        group=group,
        by=social_worker,
        expected_version=group.version,
        description="Health visitor visits weekly.",
        owner_agency=health_participant.agency,
        due_date=today() + timedelta(days=3),
    )
    group.refresh_from_db()
    prefix = f"update-{action.pk}"
    client.force_login(health_participant)
    assert "Update this action" in client.get(page(group)).content.decode()
    response = client.post(
        reverse("ird:plan_action", args=[group.pk, action.pk]),
        {
            f"{prefix}-version": group.version,
            f"{prefix}-status": "done",
            f"{prefix}-note": "Visited.",
        },
    )
    assert response.status_code == 302


# --- Fixed queries and links ------------------------------------------------------------------


def grow(group, by, count: int) -> None:
    for index in range(count):
        group.refresh_from_db()
        core_group.plan_action_add(
            group=group,
            by=by,
            expected_version=group.version,
            description=f"Action {index}.",
            owner_agency=by.agency,
            owner=by,
            due_date=today() + timedelta(days=index + 1),
        )
        group.refresh_from_db()
        core_group.meeting_record(
            group=group,
            by=by,
            expected_version=group.version,
            held_on=today(),
            attended=list(group.members.all()),
            notes=f"Meeting {index}.",
            next_meeting_on=today() + timedelta(days=14),
        )
        group.refresh_from_db()
        core_group.member_add(
            group=group,
            by=by,
            expected_version=group.version,
            name=f"Relative {index}",
            role="Aunt",
        )


def page_queries(client, group) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page(group)).status_code == 200
    return len(queries)


def test_the_page_takes_fixed_queries(client, group, social_worker):
    client.force_login(social_worker)
    grow(group, social_worker, 1)
    one = page_queries(client, group)
    grow(group, social_worker, 6)
    assert page_queries(client, group) == one


def test_the_cppm_page_the_register_and_the_referral_link_to_the_group(
    client, registered, group, team_manager
):
    client.force_login(team_manager)
    link = page(group)
    assert link in client.get(reverse("ird:cppm_detail", args=[registered.pk])).content.decode()
    assert link in client.get(reverse("ird:register")).content.decode()
    referral = client.get(reverse("referral_detail", args=[registered.referral_id]))
    assert link in referral.content.decode()


def test_the_referral_page_names_a_group_without_a_link_for_those_outside_it(
    client, registered, group, other_team_manager
):
    client.force_login(other_team_manager)  # reads the referral, not the core group
    body = client.get(reverse("referral_detail", args=[registered.referral_id])).content.decode()
    assert "Core group and child" in body and page(group) not in body


def test_who_saw_this_child_finds_the_core_group(group):
    assert ("core_group", str(group.pk)) in extensions.records_about([group.referral_id])
