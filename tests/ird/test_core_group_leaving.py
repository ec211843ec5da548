"""A member leaving a core group (issue 11): the membership is ended (when, by whom, why), not
deleted, so the meetings they attended still name them; the access it gave ends; they are not
offered for or recorded at later meetings; their open actions are chased at the lead
professional and shown as needing a new owner. Audited; version checked; refusals save
nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ird import access, core_group
from ird.errors import CoreGroupRefused
from ird.models import CoreGroup, CoreGroupMember, Registration
from referrals import deadlines
from referrals.errors import EditConflict, NotPermitted
from referrals.models import AuditEntry, Deadline

pytestmark = pytest.mark.django_db
REASON = "The officer has moved to another division."


@pytest.fixture
def group(registered) -> CoreGroup:
    return CoreGroup.objects.select_related("registration", "referral").get()


def membership(group, staff) -> CoreGroupMember:
    return CoreGroupMember.objects.get(core_group=group, staff=staff, left_at__isnull=True)


def leave(group, member, by, reason=REASON):
    group.refresh_from_db()
    return core_group.member_leave(
        group=group, member=member, by=by, expected_version=group.version, reason=reason
    )


def record_meeting(group, by, attended, held_on=None):
    group.refresh_from_db()
    return core_group.meeting_record(
        group=group,
        by=by,
        expected_version=group.version,
        held_on=held_on or timezone.localdate(),
        attended=attended,
        notes="The plan was agreed.",
        next_meeting_on=timezone.localdate() + timedelta(days=28),
    )


def police_action(group, by, owner):
    group.refresh_from_db()
    return core_group.plan_action_add(
        group=group,
        by=by,
        expected_version=group.version,
        description="Police check the home weekly.",
        owner_agency=owner.agency,
        owner=owner,
        due_date=timezone.localdate() + timedelta(days=10),
    )


def action_deadline(action) -> Deadline:
    return Deadline.objects.get(
        subject_type="child_plan_action",
        subject_id=str(action.pk),
        state__in=deadlines.LIVE_STATES,
    )


# --- The service ---------------------------------------------------------------------------


def test_leaving_keeps_the_membership_and_the_meetings_it_attended(
    group, social_worker, police_participant
):
    officer = membership(group, police_participant)
    meeting = record_meeting(group, social_worker, list(group.members.all()))

    left = leave(group, officer, social_worker)

    assert left.left_at is not None and left.left_recorded_by == social_worker
    assert left.left_reason == REASON
    assert officer in meeting.attended.all()  # history stays
    row = AuditEntry.objects.filter(object_type="core_group", action="change").order_by("id").last()
    assert row.detail["member_left"] == str(officer.pk)
    assert REASON not in str(row.detail)


def test_access_gained_only_through_membership_ends(
    group, social_worker, team_manager, police_participant
):
    assert group in access.core_groups_visible_to(police_participant)
    leave(group, membership(group, police_participant), team_manager)

    assert group not in access.core_groups_visible_to(police_participant)
    assert not access.core_group_viewer(police_participant, group).member
    assert group in access.core_groups_visible_to(social_worker)  # the lead professional
    assert group in access.core_groups_visible_to(team_manager)  # a coordinator


def test_a_leaver_is_not_recorded_at_a_later_meeting(group, social_worker, police_participant):
    officer = membership(group, police_participant)
    leave(group, officer, social_worker)
    # They left a week ago, the child having been registered a fortnight ago.
    today = timezone.localdate()
    Registration.objects.filter(pk=group.registration_id).update(
        registered_on=today - timedelta(days=14)
    )
    CoreGroupMember.objects.filter(pk=officer.pk).update(left_at=timezone.now() - timedelta(days=7))
    group.registration.refresh_from_db()
    officer.refresh_from_db()
    with pytest.raises(CoreGroupRefused, match="left the core group before the meeting"):
        record_meeting(group, social_worker, [officer], held_on=today)
    # A meeting held before they left is still recorded with them.
    record_meeting(group, social_worker, [officer], held_on=today - timedelta(days=10))


def test_their_open_actions_are_chased_at_the_lead_professional(
    group, social_worker, police_participant
):
    action = police_action(group, social_worker, police_participant)
    assert action_deadline(action).owner == police_participant

    leave(group, membership(group, police_participant), social_worker)

    assert action_deadline(action).owner == social_worker
    assert core_group.left_staff_ids(group) == {police_participant.pk}
    with pytest.raises(CoreGroupRefused, match="has left the core group"):
        police_action(group, social_worker, police_participant)


def test_leaving_refusals_save_nothing(group, social_worker, health_participant):
    lead = membership(group, social_worker)
    with pytest.raises(CoreGroupRefused, match="lead professional"):
        leave(group, lead, social_worker)
    nurse = membership(group, health_participant)
    with pytest.raises(CoreGroupRefused, match="Say why"):
        leave(group, nurse, social_worker, reason=" ")
    with pytest.raises(EditConflict):
        core_group.member_leave(
            group=group,
            member=nurse,
            by=social_worker,
            expected_version=group.version - 1,
            reason=REASON,
        )
    assert not CoreGroupMember.objects.filter(left_at__isnull=False).exists()
    leave(group, nurse, social_worker)
    with pytest.raises(CoreGroupRefused, match="left the core group on"):
        leave(group, nurse, social_worker)


@pytest.mark.parametrize("who", ["police_participant", "health_participant", "other_team_manager"])
def test_only_the_lead_professional_or_a_coordinator_records_a_leaving(
    request, group, health_participant, who
):
    with pytest.raises(NotPermitted):
        leave(group, membership(group, health_participant), request.getfixturevalue(who))
    assert membership(group, health_participant).left_at is None


def test_a_leaver_may_rejoin(group, social_worker, police_participant):
    leave(group, membership(group, police_participant), social_worker)
    group.refresh_from_db()
    again = core_group.member_add(
        group=group, by=social_worker, expected_version=group.version, staff=police_participant
    )
    assert again.left_at is None
    assert group in access.core_groups_visible_to(police_participant)
    assert CoreGroupMember.objects.filter(core_group=group, staff=police_participant).count() == 2
    assert core_group.left_staff_ids(group) == set()


# --- The page ------------------------------------------------------------------------------


def page(group) -> str:
    return reverse("ird:core_group", args=[group.pk])


def leave_url(group) -> str:
    return reverse("ird:core_group_member_leave", args=[group.pk])


def leave_body(group, member, **fields) -> dict:
    group.refresh_from_db()
    body = {"leave-version": group.version, "leave-member": member.pk, "leave-reason": REASON}
    body.update(fields)
    return body


def test_the_lead_professional_records_a_leaving_from_the_page(
    client, group, social_worker, police_participant
):
    action = police_action(group, social_worker, police_participant)
    officer = membership(group, police_participant)
    client.force_login(social_worker)
    assert "A member leaves" in client.get(page(group)).content.decode()

    response = client.post(leave_url(group), leave_body(group, officer))

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.left_at is not None
    shown = client.get(page(group)).content.decode()
    assert "Needs a new owner" in shown and REASON in shown
    assert f'name="meeting-attended" value="{officer.pk}"' not in shown
    assert action_deadline(action).owner == social_worker

    client.force_login(police_participant)  # their access came only from the membership
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    assert client.get(page(group)).status_code == 404
    denied = AuditEntry.objects.filter(id__gt=mark).get()
    assert (denied.action, denied.object_id) == ("denied", str(group.pk))


def test_bad_input_is_a_clear_error_on_the_page(client, group, social_worker, health_participant):
    nurse = membership(group, health_participant)
    lead = membership(group, social_worker)
    client.force_login(social_worker)
    response = client.post(leave_url(group), leave_body(group, nurse, **{"leave-reason": ""}))
    assert response.status_code == 400
    assert "Say why the member is leaving the core group." in response.content.decode()
    response = client.post(leave_url(group), leave_body(group, lead))  # not offered
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    stale = leave_body(group, nurse, **{"leave-version": group.version - 1})
    assert client.post(leave_url(group), stale).status_code == 409
    assert not CoreGroupMember.objects.filter(left_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("police_participant", 403),  # a member, but not who manages the group
        ("health_participant", 403),
        ("other_team_manager", 404),
        ("committee_member", 404),
    ],
)
def test_who_may_not_record_a_leaving(client, request, group, health_participant, who, expected):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        leave_url(group), leave_body(group, membership(group, health_participant))
    )
    assert response.status_code == expected
    assert membership(group, health_participant).left_at is None
