"""The core group of a registered child and the child's plan: every write, one function per
verb, guarded, audited and chased as the CPPM services are (ird.cppm).

Practice (National Guidance for Child Protection in Scotland 2021 (2023) 3.137 and Appendix D):
- a CPPM that places a child on the register forms the core group: the lead professional, the
  agencies' practitioners invited to the CPPM, and the parents and carers (noted by name and
  role; they have no account);
- the core group first meets within 15 working days of the registration, then as the plan
  says: each meeting records the date of the next, which is chased like the first;
- the child's plan is a list of actions, each owned by an agency (and a person where named),
  with a due date, chased to it as IRD actions are; an action is done (saying what was done)
  or no longer needed (saying why);
- a review CPPM that removes the child from the register closes the core group: its open
  deadlines are cancelled and its open actions are no longer needed.

Every change names the version of the group it was read at (`expected_version`): the group is
locked and compared first, so of two edits from one version one wins and the other is refused
(EditConflict), nothing overwritten.
"""

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ird import access, services
from ird.errors import CoreGroupRefused
from ird.models import (
    CoreGroup,
    CoreGroupMeeting,
    CoreGroupMember,
    Cppm,
    PlanAction,
    Registration,
)
from ird.selectors import PARENT_KINDS
from referrals import audit, chronology, deadlines
from referrals.errors import EditConflict, NotPermitted
from referrals.models import Agency, ChronologyEntry, Deadline, Relationship, Staff
from referrals.services import progress

Member = CoreGroupMember.Kind
ActionStatus = PlanAction.Status
GROUP_SUBJECT = "core_group"
ACTION_SUBJECT = "child_plan_action"
GROUP_KINDS = ("core_group_first", "core_group_meeting")
PLAN_WITHIN = timedelta(days=366)
# Every change of a plan action's status passes this table (as ird.cppm.CPPM_TRANSITIONS).
ACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.OPEN: frozenset({ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.NOT_NEEDED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.NOT_NEEDED: frozenset(),
}


def core_group_url(group: CoreGroup) -> str:
    return reverse("ird:core_group", args=[group.pk])


def _subject(group: CoreGroup) -> dict:
    return {"subject_type": GROUP_SUBJECT, "subject_id": str(group.pk)}


def _label(group: CoreGroup) -> str:
    return f"the core group from {group.formed_at.reference}"


def live_group_deadlines(group: CoreGroup) -> list[Deadline]:
    return list(
        deadlines.live_deadlines(**_subject(group))
        .filter(timescale__kind__in=GROUP_KINDS)
        .select_related("timescale")
    )


def live_action_deadlines(actions) -> dict[str, Deadline]:
    """The open deadline of each action, by the action's id: one query for the whole plan."""
    return {
        deadline.subject_id: deadline
        for deadline in Deadline.objects.filter(
            subject_type=ACTION_SUBJECT,
            subject_id__in=[str(action.pk) for action in actions],
            state__in=deadlines.LIVE_STATES,
        )
    }


# --- Forming and closing (called by ird.cppm inside the outcome's transaction) -------------


def core_group_form(
    *, registration: Registration, cppm: Cppm, by, lead_professional: Staff, formed_at: datetime
) -> CoreGroup:
    """The CPPM registered the child: the core group is formed and its first meeting is due
    within 15 working days."""
    group = CoreGroup.objects.create(
        registration=registration,
        referral=cppm.referral,
        formed_at=cppm,
        lead_professional=lead_professional,
    )
    now = timezone.now()
    members = [
        CoreGroupMember(
            core_group=group,
            kind=Member.LEAD_PROFESSIONAL,
            staff=lead_professional,
            agency=lead_professional.agency,
            role="Lead professional",
            added_at=now,
        )
    ]
    for invitation in cppm.invitations.select_related("staff", "agency"):
        if invitation.staff_id in {cppm.chair_id, lead_professional.pk}:
            continue
        members.append(
            CoreGroupMember(
                core_group=group,
                kind=Member.PRACTITIONER,
                staff=invitation.staff,
                agency=invitation.agency,
                role=invitation.role_in_cppm,
                added_at=now,
            )
        )
    for relationship in Relationship.objects.filter(
        person_id=registration.person_id, kind__in=PARENT_KINDS
    ).select_related("relative"):
        members.append(
            CoreGroupMember(
                core_group=group,
                kind=Member.FAMILY,
                name=relationship.relative.full_name[:200],
                role=relationship.get_kind_display(),
                added_at=now,
            )
        )
    CoreGroupMember.objects.bulk_create(members)
    deadline = services.open_deadline(
        "core_group_first",
        subject_label=_label(group),
        url=core_group_url(group),
        referral=cppm.referral,
        owner=lead_professional,
        team=cppm.referral.team,
        starts_at=formed_at,
        **_subject(group),
    )
    group.first_meeting_due_on = timezone.localdate(deadline.due_at)
    group.save(update_fields=["first_meeting_due_on"])
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=group,
        object_type="core_group",
        detail={
            "registration": str(registration.pk),
            "cppm": str(cppm.pk),
            "members": len(members),
        },
    )
    return group


def core_group_close(*, registration: Registration, cppm: Cppm, by, day: date) -> None:
    """The child is removed from the register: the core group closes, its open deadlines are
    cancelled and what is still open in the plan is no longer needed."""
    group = (
        CoreGroup.objects.select_for_update()
        .filter(registration=registration, status=CoreGroup.Status.ACTIVE)
        .first()
    )
    if group is None:
        return
    now = timezone.now()
    open_actions = list(
        PlanAction.objects.filter(core_group=group, status=ActionStatus.OPEN).values_list(
            "pk", flat=True
        )
    )
    PlanAction.objects.filter(pk__in=open_actions).update(
        status=ActionStatus.NOT_NEEDED,
        note=f"The child was removed from the child protection register at {cppm.reference}.",
        completed_at=now,
        completed_by=by,
        updated_at=now,
    )
    Deadline.objects.filter(
        subject_type=ACTION_SUBJECT,
        subject_id__in=[str(pk) for pk in open_actions],
        state__in=deadlines.LIVE_STATES,
    ).update(state=Deadline.State.CANCELLED, completed_at=now, next_action_at=None, updated_at=now)
    deadlines.deadline_cancel(**_subject(group))
    group.status, group.closed_on, group.closed_at = CoreGroup.Status.CLOSED, day, cppm
    group.next_meeting_on = None
    progress.save_new_version(group, "status", "closed_on", "closed_at", "next_meeting_on")
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=group,
        object_type="core_group",
        detail={"status": group.status, "cppm": str(cppm.pk), "actions_closed": len(open_actions)},
    )


# --- Changes by the group ---------------------------------------------------------------------


def _lock(group: CoreGroup, expected_version: int) -> CoreGroup:
    locked = (
        CoreGroup.objects.select_for_update(of=("self",))
        .select_related("referral__team", "registration__person", "formed_at")
        .get(pk=group.pk)
    )
    if locked.version != expected_version:
        raise EditConflict(
            "The core group was changed by someone else while you were working on it. Check "
            "it as it is now and submit again."
        )
    if not locked.active:
        raise CoreGroupRefused(
            "The core group is closed: the child is no longer on the child protection register."
        )
    return locked


def _manager(group: CoreGroup, by) -> access.CoreGroupViewer:
    viewer = access.core_group_viewer(by, group)
    if not viewer.can_manage:
        raise NotPermitted(
            "The lead professional or a social work manager of the referral's team does this."
        )
    return viewer


def _audit(by, group: CoreGroup, **detail) -> None:
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=group,
        object_type="core_group",
        detail={**detail, "version": group.version},
    )


@transaction.atomic
def member_add(
    *,
    group: CoreGroup,
    by,
    expected_version: int,
    staff: Staff | None = None,
    name: str = "",
    role: str = "",
) -> CoreGroupMember:
    """A practitioner (with an account) or a parent or carer (a name and a role) joins."""
    group = _lock(group, expected_version)
    _manager(group, by)
    if (staff is None) == (not name.strip()):
        raise CoreGroupRefused(
            "Choose a practitioner, or give the name of a parent or carer: one or the other."
        )
    if staff is not None and not access.can_be_invited(staff):
        raise CoreGroupRefused(f"{staff} cannot be a member of a core group.")
    if staff is None and not role.strip():
        raise CoreGroupRefused("Say who the parent or carer is to the child (their role).")
    try:
        with transaction.atomic():
            member = CoreGroupMember.objects.create(
                core_group=group,
                kind=Member.PRACTITIONER if staff else Member.FAMILY,
                staff=staff,
                agency=staff.agency if staff else None,
                name="" if staff else name.strip(),
                role=(role.strip() or (staff.job_title if staff else ""))[:120],
                added_at=timezone.now(),
            )
    except IntegrityError:
        raise CoreGroupRefused(f"{staff} is already a member of the core group.") from None
    progress.save_new_version(group)
    _audit(by, group, member_added=str(member.pk), kind=member.kind)
    return member


@transaction.atomic
def member_leave(
    *, group: CoreGroup, member: CoreGroupMember, by, expected_version: int, reason: str
) -> CoreGroupMember:
    """A member leaves the core group: the row stays (the meetings they attended name them),
    the access it gave ends, and their open actions are chased at the lead professional
    until someone else is named."""
    group = _lock(group, expected_version)
    _manager(group, by)
    # The default ordering joins the agency, which may be empty: lock the member's row alone.
    member = (
        CoreGroupMember.objects.select_for_update(of=("self",))
        .filter(pk=member.pk, core_group=group)
        .order_by("pk")
        .first()
    )
    if member is None:
        raise CoreGroupRefused("Only a member of this core group can leave it.")
    if member.left_at is not None:
        raise CoreGroupRefused(
            f"{member.display_name} left the core group on "
            f"{timezone.localdate(member.left_at):%d %B %Y}."
        )
    if member.kind == Member.LEAD_PROFESSIONAL or member.staff_id == group.lead_professional_id:
        raise CoreGroupRefused(
            "The lead professional leads the core group and cannot leave it: a review CPPM "
            "names another lead professional."
        )
    if not reason.strip():
        raise CoreGroupRefused("Say why the member is leaving the core group.")
    now = timezone.now()
    member.left_at, member.left_recorded_by, member.left_reason = now, by, reason.strip()
    member.save(update_fields=["left_at", "left_recorded_by", "left_reason"])
    orphaned = 0
    if member.staff_id:
        open_actions = PlanAction.objects.filter(
            core_group=group, owner_id=member.staff_id, status=ActionStatus.OPEN
        ).values_list("pk", flat=True)
        orphaned = Deadline.objects.filter(
            subject_type=ACTION_SUBJECT,
            subject_id__in=[str(pk) for pk in open_actions],
            state__in=deadlines.LIVE_STATES,
        ).update(owner=group.lead_professional, team=group.referral.team, updated_at=now)
    progress.save_new_version(group)
    _audit(by, group, member_left=str(member.pk), actions_needing_owner=orphaned)
    return member


@transaction.atomic
def meeting_record(
    *,
    group: CoreGroup,
    by,
    expected_version: int,
    held_on: date,
    attended: list[CoreGroupMember],
    notes: str,
    next_meeting_on: date,
) -> CoreGroupMeeting:
    """A core group meeting was held: the first meeting's deadline (or the last meeting's
    "next meeting") is met, and the next meeting is chased to the date it set."""
    group = _lock(group, expected_version)
    _manager(group, by)
    today = timezone.localdate()
    if held_on > today:
        raise CoreGroupRefused("The meeting's date cannot be in the future.")
    if held_on < group.registration.registered_on:
        raise CoreGroupRefused(
            "The core group meets after the registration "
            f"({group.registration.registered_on:%d %B %Y}): check the meeting's date."
        )
    if not attended:
        raise CoreGroupRefused("Record who attended the meeting.")
    if any(member.core_group_id != group.pk for member in attended):
        raise CoreGroupRefused("Only members of this core group are recorded as attending.")
    gone = [
        member.display_name
        for member in attended
        if member.left_at is not None and timezone.localdate(member.left_at) < held_on
    ]
    if gone:
        raise CoreGroupRefused(
            f"{', '.join(gone)} left the core group before the meeting: they did not attend it."
        )
    if not notes.strip():
        raise CoreGroupRefused("Record what the meeting discussed and agreed (notes).")
    if next_meeting_on <= today:
        raise CoreGroupRefused("The next meeting is on a date still to come.")
    if next_meeting_on > today + PLAN_WITHIN:
        raise CoreGroupRefused(
            f"Set the next meeting within a year: by {today + PLAN_WITHIN:%d %B %Y}."
        )
    now = timezone.now()
    meeting = CoreGroupMeeting.objects.create(
        core_group=group,
        held_on=held_on,
        notes=notes.strip(),
        next_meeting_on=next_meeting_on,
        recorded_by=by,
        recorded_at=now,
    )
    meeting.attended.set(attended)
    chronology.chronology_add(
        people=[group.registration.person],
        kind=ChronologyEntry.Kind.CORE_GROUP,
        summary=f"Core group met ({len(attended)} attended); next meeting "
        f"{next_meeting_on:%d %B %Y}.",
        occurred_at=timezone.make_aware(datetime.combine(held_on, time(12))),
        referral=group.referral,
        recorded_by=by,
    )
    for kind in GROUP_KINDS:
        deadlines.deadline_meet(kind=kind, **_subject(group))
    services.open_deadline(
        "core_group_meeting",
        subject_label=_label(group),
        url=core_group_url(group),
        referral=group.referral,
        owner=group.lead_professional,
        team=group.referral.team,
        starts_at=now,
        due_at=max(services.action_due_at(next_meeting_on), now),
        **_subject(group),
    )
    group.next_meeting_on = next_meeting_on
    progress.save_new_version(group, "next_meeting_on")
    _audit(by, group, meeting=str(meeting.pk), attended=len(attended))
    return meeting


def _check_action(
    group: CoreGroup, description: str, owner_agency: Agency, owner: Staff | None, due_date: date
):
    if not description.strip():
        raise CoreGroupRefused("Describe the action.")
    if owner is not None and owner.agency_id != owner_agency.pk:
        raise CoreGroupRefused(f"{owner} does not work for {owner_agency.name}.")
    if owner is not None and owner.pk in left_staff_ids(group):
        raise CoreGroupRefused(f"{owner} has left the core group: name someone else.")
    _check_due(due_date)


def left_staff_ids(group: CoreGroup, members=None) -> set:
    """Practitioners who left the group and have not rejoined: their open actions need a new
    owner. `members`: the group's members already loaded (the page), else one query."""
    if members is None:
        members = CoreGroupMember.objects.filter(core_group=group, staff__isnull=False)
    left = {member.staff_id for member in members if member.staff_id and member.left_at}
    return left - {member.staff_id for member in members if member.left_at is None}


def _check_due(due_date: date) -> None:
    today = timezone.localdate()
    if due_date < today:
        raise CoreGroupRefused("The due date of an action cannot be in the past.")
    if due_date > today + PLAN_WITHIN:
        raise CoreGroupRefused(
            f"An action of the plan is due within a year: by {today + PLAN_WITHIN:%d %B %Y}."
        )


@transaction.atomic
def plan_action_add(
    *,
    group: CoreGroup,
    by,
    expected_version: int,
    description: str,
    owner_agency: Agency,
    due_date: date,
    owner: Staff | None = None,
) -> PlanAction:
    """An action of the child's plan, chased to its due date by the timescales engine."""
    group = _lock(group, expected_version)
    _manager(group, by)
    _check_action(group, description, owner_agency, owner, due_date)
    now = timezone.now()
    action = PlanAction.objects.create(
        core_group=group,
        description=description.strip(),
        owner_agency=owner_agency,
        owner=owner,
        due_date=due_date,
        created_by=by,
    )
    services.open_deadline(
        "child_plan_action",
        subject_type=ACTION_SUBJECT,
        subject_id=str(action.pk),
        subject_label=_label(group),
        url=core_group_url(group),
        referral=group.referral,
        owner=owner,
        team=owner.team if owner is not None and owner.team_id else group.referral.team,
        starts_at=now,
        due_at=max(services.action_due_at(due_date), now),
    )
    progress.save_new_version(group)
    _audit(by, group, action_added=str(action.pk))
    return action


@transaction.atomic
def plan_action_update(
    *,
    action: PlanAction,
    by,
    expected_version: int,
    status: str,
    note: str = "",
    due_date: date | None = None,
) -> PlanAction:
    """Done (saying what was done), no longer needed (saying why), or still open with a new
    due date. The deadline is met, cancelled or moved with it."""
    group = _lock(action.core_group, expected_version)
    action = PlanAction.objects.select_for_update().get(pk=action.pk, core_group=group)
    if not access.core_group_viewer(by, group).can_update_action(action):
        raise NotPermitted(
            "The owner, a member from the owning agency, the lead professional or a social "
            "work manager of the referral's team updates this action."
        )
    if status not in ACTION_TRANSITIONS.get(action.status, frozenset()):
        raise CoreGroupRefused(
            f"This action is {action.get_status_display().lower()}: it cannot be changed "
            "again. Add a new action to the plan instead."
        )
    subject = {"kind": "child_plan_action", "subject_type": ACTION_SUBJECT}
    subject["subject_id"] = str(action.pk)
    now = timezone.now()
    if status == ActionStatus.OPEN:
        if due_date is None or due_date == action.due_date:
            raise CoreGroupRefused("Choose done, no longer needed, or a new due date.")
        _check_due(due_date)
        action.due_date = due_date
        deadlines.deadline_extend(due_at=max(services.action_due_at(due_date), now), **subject)
    elif not note.strip():
        raise CoreGroupRefused(
            "Say what was done."
            if status == ActionStatus.DONE
            else "Say why the action is no longer needed."
        )
    else:
        action.status, action.note = status, note.strip()
        action.completed_at, action.completed_by = now, by
        if status == ActionStatus.DONE:
            deadlines.deadline_meet(**subject)
            chronology.chronology_add(
                people=[group.registration.person],
                kind=ChronologyEntry.Kind.ACTION,
                summary=f"Child's plan action done ({action.owner_agency.name}): "
                f"{action.description[:200]}",
                occurred_at=now,
                referral=group.referral,
                recorded_by=by,
            )
        else:
            deadlines.deadline_cancel(**subject)
    action.save(
        update_fields=["status", "note", "due_date", "completed_at", "completed_by", "updated_at"]
    )
    progress.save_new_version(group)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=action,
        object_type="child_plan_action",
        detail={"core_group": str(group.pk), "status": status, "version": group.version},
    )
    return action
