"""The core group and the child's plan (issue 11): formed at registration with its first
meeting due within 15 working days, meetings each setting the next (chased), the plan's
actions chased like IRD actions, the version check, every refusal (nothing saved), and the
group closed with its deadlines cancelled when a review CPPM de-registers the child."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ird import core_group, cppm
from ird.errors import CoreGroupRefused
from ird.models import CoreGroup, CoreGroupMeeting, CoreGroupMember, PlanAction, Registration
from referrals import deadlines
from referrals.errors import EditConflict, NotPermitted
from referrals.models import (
    Agency,
    AuditEntry,
    ChronologyEntry,
    Deadline,
    DeadlineAlert,
    Relationship,
)
from referrals.working_days import LONDON, add_working_days
from tests.factories import PersonFactory, StaffFactory, TeamFactory
from tests.ird.conftest import outcome

pytestmark = pytest.mark.django_db
Level = Deadline.Level
Member = CoreGroupMember.Kind


@pytest.fixture
def group(registered) -> CoreGroup:
    return CoreGroup.objects.select_related("registration", "referral").get()


def live(kind: str, subject_id) -> Deadline:
    return Deadline.objects.select_related("timescale").get(
        timescale__kind=kind, subject_id=str(subject_id), state__in=deadlines.LIVE_STATES
    )


def today():
    return timezone.localdate()


def record_meeting(group, by, **fields):
    fields.setdefault("held_on", today())
    fields.setdefault("attended", list(group.members.all()))
    fields.setdefault("notes", "The plan was agreed; the child is safe at home.")
    fields.setdefault("next_meeting_on", today() + timedelta(days=28))
    group.refresh_from_db()
    return core_group.meeting_record(group=group, by=by, expected_version=group.version, **fields)


def add_action(group, by, **fields):
    fields.setdefault("description", "Health visitor visits weekly.")
    fields.setdefault("owner_agency", Agency.objects.get(kind="health"))
    fields.setdefault("due_date", today() + timedelta(days=10))
    group.refresh_from_db()
    return core_group.plan_action_add(group=group, by=by, expected_version=group.version, **fields)


def snapshot(group) -> tuple:
    group.refresh_from_db()
    return (
        group.version,
        group.status,
        CoreGroupMember.objects.count(),
        CoreGroupMeeting.objects.count(),
        sorted(PlanAction.objects.values_list("status", "due_date", "note")),
        sorted(Deadline.objects.values_list("timescale__kind", "state", "due_at")),
    )


# --- Forming ----------------------------------------------------------------------------------


def test_registration_forms_the_core_group_with_its_first_meeting_due_in_15_working_days(
    registered, social_worker, police_participant, health_participant, team_manager
):
    group = CoreGroup.objects.get()
    registration = Registration.objects.get()
    assert group.registration == registration and group.formed_at == registered
    assert group.lead_professional == social_worker and group.active
    members = {(m.kind, m.staff_id) for m in group.members.all()}
    # The lead professional and the CPPM's invited practitioners; the chair is not a member.
    assert members == {
        (Member.LEAD_PROFESSIONAL, social_worker.pk),
        (Member.PRACTITIONER, police_participant.pk),
        (Member.PRACTITIONER, health_participant.pk),
    }
    first = live("core_group_first", group.pk)
    assert first.owner == social_worker and first.url == f"/ird/core-group/{group.pk}/"
    expected = add_working_days(registered.held_at, 15, deadlines.closure_days()).date()
    assert timezone.localtime(first.due_at, LONDON).date() == expected
    assert group.first_meeting_due_on == expected
    assert AuditEntry.objects.filter(action="create", object_type="core_group").count() == 1


def test_parents_and_carers_join_by_name_and_role(
    scheduled, team_manager, social_worker, police_participant
):
    child = scheduled.children.get()
    mother = PersonFactory(first_name="Kim", last_name="Smith", date_of_birth=None)
    Relationship.objects.create(person=child, relative=mother, kind=Relationship.Kind.PARENT)
    cppm.cppm_outcome_record(
        cppm=scheduled,
        by=team_manager,
        outcome=outcome(
            register=[child],
            categories=[scheduled.referral.categories.first()],
            lead_professional=social_worker,
        ),
    )
    family = CoreGroupMember.objects.get(kind=Member.FAMILY)
    assert (family.name, family.role, family.staff_id) == ("Kim Smith", "Parent", None)


# --- Meetings ---------------------------------------------------------------------------------


def test_a_meeting_meets_the_first_deadline_and_chases_the_next(group, social_worker):
    first = live("core_group_first", group.pk)
    members = list(group.members.all())[:2]

    meeting = record_meeting(group, social_worker, attended=members)

    assert set(meeting.attended.all()) == set(members)
    first.refresh_from_db()
    assert first.state == Deadline.State.MET
    following = live("core_group_meeting", group.pk)
    assert timezone.localtime(following.due_at, LONDON).date() == today() + timedelta(days=28)
    group.refresh_from_db()
    assert group.next_meeting_on == today() + timedelta(days=28) and group.version == 2
    audit = AuditEntry.objects.filter(action="change", object_type="core_group").last()
    assert audit.detail["meeting"] == str(meeting.pk)
    entry = ChronologyEntry.objects.get(
        person=group.registration.person, kind=ChronologyEntry.Kind.CORE_GROUP
    )
    assert "Core group met (2 attended)" in entry.summary

    record_meeting(group, social_worker, next_meeting_on=today() + timedelta(days=42))
    states = sorted(
        Deadline.objects.filter(timescale__kind="core_group_meeting").values_list(
            "state", flat=True
        )
    )
    assert states == [Deadline.State.MET, Deadline.State.OPEN]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"held_on": "tomorrow"}, "cannot be in the future"),
        ({"held_on": "before registration"}, "meets after the registration"),
        ({"attended": []}, "who attended"),
        ({"notes": "  "}, "notes"),
        ({"next_meeting_on": "today"}, "still to come"),
        ({"next_meeting_on": "in two years"}, "within a year"),
        ({"attended": "a stranger"}, "Only members"),
    ],
)
def test_a_bad_meeting_saves_nothing(group, social_worker, team_manager, fields, message):
    dates = {
        "tomorrow": today() + timedelta(days=1),
        "before registration": group.registration.registered_on - timedelta(days=1),
        "today": today(),
        "in two years": today() + timedelta(days=730),
    }
    fields = {
        key: dates.get(value, value) if isinstance(value, str) else value
        for key, value in fields.items()
    }
    if fields.get("attended") == "a stranger":
        other = core_group.member_add(
            group=group, by=team_manager, expected_version=group.version, name="X", role="Aunt"
        )
        CoreGroupMember.objects.filter(pk=other.pk).update(core_group=_other_group(group))
        fields["attended"] = [CoreGroupMember.objects.get(pk=other.pk)]
    before = snapshot(group)
    with pytest.raises(CoreGroupRefused, match=message):
        record_meeting(group, social_worker, **fields)
    assert snapshot(group) == before


def _other_group(group):
    """A second registered child's group (its registration made by hand)."""
    person = PersonFactory()
    registration = Registration.objects.create(
        person=person,
        referral=group.referral,
        registered_on=group.registration.registered_on,
        registered_at=group.formed_at,
        recorded_by=group.lead_professional,
    )
    return CoreGroup.objects.create(
        registration=registration,
        referral=group.referral,
        formed_at=group.formed_at,
        lead_professional=group.lead_professional,
    )


@pytest.mark.parametrize(
    "who", ["police_participant", "health_participant", "other_team_manager", "committee_member"]
)
def test_only_the_lead_professional_or_a_coordinator_records_a_meeting(request, group, who):
    before = snapshot(group)
    with pytest.raises(NotPermitted):
        record_meeting(group, request.getfixturevalue(who))
    assert snapshot(group) == before


@pytest.mark.parametrize("who", ["team_manager", "service_manager"])
def test_a_coordinator_records_a_meeting(request, group, who):
    record_meeting(group, request.getfixturevalue(who))
    assert CoreGroupMeeting.objects.count() == 1


def test_a_stale_version_is_refused_and_nothing_overwritten(group, social_worker, team_manager):
    read_at = group.version
    record_meeting(group, team_manager)
    before = snapshot(group)
    with pytest.raises(EditConflict):
        core_group.plan_action_add(
            group=group,
            by=social_worker,
            expected_version=read_at,
            description="Nursery daily.",
            owner_agency=Agency.objects.get(kind="education"),
            due_date=today() + timedelta(days=3),
        )
    assert snapshot(group) == before


# --- Members ----------------------------------------------------------------------------------


def test_members_are_added_by_name_or_account(group, social_worker, education):
    teacher = StaffFactory(role="ird_participant", team=TeamFactory(agency=education))
    core_group.member_add(
        group=group, by=social_worker, expected_version=group.version, staff=teacher
    )
    group.refresh_from_db()
    carer = core_group.member_add(
        group=group,
        by=social_worker,
        expected_version=group.version,
        name="Jean Smith",
        role="Kinship carer (grandmother)",
    )
    assert carer.kind == Member.FAMILY and carer.staff is None
    assert group.members.filter(staff=teacher, kind=Member.PRACTITIONER).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "one or the other"),
        ({"name": "Jean Smith"}, "their role"),
        ({"staff": "already"}, "already a member"),
        ({"staff": "hub_reviewer"}, "cannot be a member"),
    ],
)
def test_bad_members_are_refused(request, group, social_worker, fields, message):
    if fields.get("staff") == "already":
        fields["staff"] = social_worker
    elif fields.get("staff"):
        fields["staff"] = request.getfixturevalue(fields["staff"])
    before = snapshot(group)
    with pytest.raises(CoreGroupRefused, match=message):
        core_group.member_add(
            group=group, by=social_worker, expected_version=group.version, **fields
        )
    assert snapshot(group) == before


# --- The child's plan -------------------------------------------------------------------------


def test_a_plan_action_is_chased_to_its_due_date_and_met_when_done(
    group, social_worker, health_participant
):
    action = add_action(group, social_worker, owner=health_participant)
    deadline = live("child_plan_action", action.pk)
    assert deadline.owner == health_participant
    assert timezone.localtime(deadline.due_at, LONDON).date() == action.due_date
    group.refresh_from_db()

    core_group.plan_action_update(
        action=action,
        by=health_participant,
        expected_version=group.version,
        status="done",
        note="Visited on Monday and Thursday.",
    )

    action.refresh_from_db()
    deadline.refresh_from_db()
    assert action.status == "done" and action.completed_by == health_participant
    assert deadline.state == Deadline.State.MET
    assert ChronologyEntry.objects.filter(kind="action", summary__contains="plan action").exists()
    assert AuditEntry.objects.filter(object_type="child_plan_action", action="change").exists()


def test_no_longer_needed_with_a_reason_cancels_the_deadline(group, social_worker):
    action = add_action(group, social_worker)
    group.refresh_from_db()
    with pytest.raises(CoreGroupRefused, match="why"):
        core_group.plan_action_update(
            action=action, by=social_worker, expected_version=group.version, status="not_needed"
        )
    core_group.plan_action_update(
        action=action,
        by=social_worker,
        expected_version=group.version,
        status="not_needed",
        note="The family moved the appointment to the GP.",
    )
    assert live_or_none("child_plan_action", action.pk) is None
    assert Deadline.objects.get(subject_id=str(action.pk)).state == Deadline.State.CANCELLED
    group.refresh_from_db()
    with pytest.raises(NotPermitted):  # closed actions are no longer updated by anyone
        core_group.plan_action_update(
            action=action, by=social_worker, expected_version=group.version, status="done"
        )


def live_or_none(kind, subject_id):
    return Deadline.objects.filter(
        timescale__kind=kind, subject_id=str(subject_id), state__in=deadlines.LIVE_STATES
    ).first()


def test_a_new_due_date_moves_the_deadline(group, social_worker):
    action = add_action(group, social_worker)
    group.refresh_from_db()
    later = today() + timedelta(days=20)
    core_group.plan_action_update(
        action=action,
        by=social_worker,
        expected_version=group.version,
        status="open",
        due_date=later,
    )
    assert timezone.localtime(live("child_plan_action", action.pk).due_at, LONDON).date() == later


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": " "}, "Describe"),
        ({"due_date": "yesterday"}, "past"),
        ({"due_date": "in two years"}, "within a year"),
        ({"owner": "police_participant"}, "does not work for"),
    ],
)
def test_bad_plan_actions_save_nothing(request, group, social_worker, fields, message):
    fields = dict(fields)
    if fields.get("due_date") == "yesterday":
        fields["due_date"] = today() - timedelta(days=1)
    elif fields.get("due_date"):
        fields["due_date"] = today() + timedelta(days=730)
    if "owner" in fields:
        fields["owner"] = request.getfixturevalue(fields["owner"])
    before = snapshot(group)
    with pytest.raises(CoreGroupRefused, match=message):
        add_action(group, social_worker, **fields)
    assert snapshot(group) == before


def test_who_updates_an_action(
    group, social_worker, police_participant, health_participant, other_team_manager
):
    action = add_action(group, social_worker)  # owned by health, no person named
    group.refresh_from_db()
    for outsider in (police_participant, other_team_manager):
        with pytest.raises(NotPermitted):
            core_group.plan_action_update(
                action=action,
                by=outsider,
                expected_version=group.version,
                status="done",
                note="Done.",
            )
    # A member from the owning agency may.
    core_group.plan_action_update(
        action=action,
        by=health_participant,
        expected_version=group.version,
        status="done",
        note="Done.",
    )


def test_an_unchanged_open_action_is_refused(group, social_worker):
    action = add_action(group, social_worker)
    group.refresh_from_db()
    with pytest.raises(CoreGroupRefused, match="new due date"):
        core_group.plan_action_update(
            action=action, by=social_worker, expected_version=group.version, status="open"
        )


# --- Closing ----------------------------------------------------------------------------------


def test_de_registration_closes_the_group_and_cancels_its_deadlines(
    group, review, team_manager, social_worker
):
    record_meeting(group, social_worker)
    action = add_action(group, social_worker)
    child = review.children.get()

    cppm.cppm_outcome_record(
        cppm=review,
        by=team_manager,
        outcome=outcome(deregister=[child], lead_professional=social_worker),
    )

    group.refresh_from_db()
    action.refresh_from_db()
    assert group.status == CoreGroup.Status.CLOSED and group.closed_at == review
    assert action.status == "not_needed" and review.reference in action.note
    assert not Deadline.objects.filter(
        subject_id__in=[str(group.pk), str(action.pk)], state__in=deadlines.LIVE_STATES
    ).exists()
    with pytest.raises(CoreGroupRefused, match="closed"):
        record_meeting(group, social_worker)


def test_a_review_that_keeps_the_child_keeps_the_group(group, review, team_manager, social_worker):
    cppm.cppm_outcome_record(
        cppm=review, by=team_manager, outcome=outcome(lead_professional=social_worker)
    )
    group.refresh_from_db()
    assert group.active and live("core_group_first", group.pk)


# --- Chasing: each level exactly once -------------------------------------------------------


def _chase(found: Deadline) -> list[int]:
    moments = sorted(m for m in deadlines.level_moments(found).values() if m is not None)
    for moment in (*moments, moments[-1] + timedelta(days=1)):
        deadlines.sweep(now=moment + timedelta(minutes=1))
        deadlines.sweep(now=moment + timedelta(minutes=2))
    return list(
        DeadlineAlert.objects.filter(deadline=found)
        .order_by("level")
        .values_list("level", flat=True)
    )


@pytest.mark.parametrize("kind", ["core_group_first", "core_group_meeting", "child_plan_action"])
def test_each_level_is_chased_exactly_once(group, social_worker, kind, settings):
    settings.REMINDER_HOURS = None
    if kind == "core_group_meeting":
        record_meeting(group, social_worker)
        found = live(kind, group.pk)
    elif kind == "child_plan_action":
        found = live(kind, add_action(group, social_worker).pk)
    else:
        found = live(kind, group.pk)
    assert _chase(found) == [Level.WARNED, Level.DUE, Level.MANAGER, Level.SERVICE_MANAGER]
