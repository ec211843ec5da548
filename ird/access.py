"""Who may see and do what with an IRD. The only way views load an IRD for a user.

- The invited (chair and recorder are always invited) see the IRD, its teleconference details
  and its record. Nobody else sees the teleconference details.
- Coordinators (team managers of the referral's team, service managers) see the IRD's overview
  so that they can schedule, reschedule or cancel it; its record only if they are invited.
- The child protection committee / QA team sees signed-off IRDs (for quality review).
- Everyone else: 404, exactly as if the IRD did not exist.
- An IRD about a restricted child (referrals/restrictions.py): the invited see it; anyone else
  who could needs clearance or breaks the glass.
- The recorder edits the whole record while it is open; each other invited participant edits
  their own agency's "information shared by" section at the same time (police write what police
  share). Only the chair signs it off; after sign-off nobody edits it (addenda by the invited are
  the only change).
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from ird.models import (
    CoreGroup,
    CoreGroupMember,
    Cppm,
    CppmInvitation,
    Invitation,
    Ird,
    IrdAction,
    PlanAction,
    RecordSection,
)
from referrals import audit, restrictions
from referrals.access import (
    MANAGER_ROLES,
    SOCIAL_WORK_ROLES,
    can_read_reports,
    is_social_work_staff,
)
from referrals.models import Agency, ReferralChild, Role

Status = Ird.Status
RECORDING = frozenset({Status.IN_PROGRESS, Status.CONCLUDED})
SCHEDULABLE = frozenset({Status.REQUESTED, Status.SCHEDULED})
EMERGENCY_RECORDING = SCHEDULABLE | RECORDING  # from the request until sign-off
TAKES_PART_ROLES = SOCIAL_WORK_ROLES | {Role.IRD_PARTICIPANT}
# NG2021 3.18: police, health or social work convene an IRD (any agency can ask for one).
CONVENING_KINDS = frozenset({Agency.Kind.POLICE, Agency.Kind.HEALTH, Agency.Kind.SOCIAL_WORK})
# The section of the record each agency's participants write themselves.
AGENCY_SECTION = {
    Agency.Kind.POLICE: RecordSection.Key.INFO_POLICE,
    Agency.Kind.HEALTH: RecordSection.Key.INFO_HEALTH,
    Agency.Kind.SOCIAL_WORK: RecordSection.Key.INFO_SOCIAL_WORK,
    Agency.Kind.EDUCATION: RecordSection.Key.INFO_EDUCATION,
    Agency.Kind.OTHER: RecordSection.Key.INFO_OTHER,
}


def _signed_in(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def is_coordinator(user) -> bool:
    """Social work managers schedule IRDs (for their own team's referrals, or all for a
    service manager)."""
    return is_social_work_staff(user) and user.role in MANAGER_ROLES


def is_quality_staff(user) -> bool:
    return _signed_in(user) and user.role == Role.COMMITTEE


def takes_part(user) -> bool:
    """Whose menu shows IRDs."""
    return (
        _signed_in(user)
        and not getattr(user, "is_api_client", False)
        and (user.role in TAKES_PART_ROLES | {Role.COMMITTEE})
    )


def can_be_invited(user) -> bool:
    return _signed_in(user) and user.role in TAKES_PART_ROLES and user.agency_id is not None


def can_lead(user) -> bool:
    """The lead professional in a child protection investigation is a social worker."""
    return is_social_work_staff(user)


def _convening_agency(user) -> bool:
    agency = getattr(user, "agency", None)
    return agency is not None and agency.kind in CONVENING_KINDS


def may_convene(user, referral) -> bool:
    """Convene an IRD from a concern's page: social work staff, who are the ones who see
    concerns (police and health convene through their systems, by the partner API, or by
    asking the duty team, who tick "IRD asked for" on the concern)."""
    return is_social_work_staff(user) and referral.status != referral.Status.CLOSED


def is_staff_user(user) -> bool:
    """Signed in as a member of staff (a partner system's API client is not)."""
    return _signed_in(user) and not getattr(user, "is_api_client", False)


def invited_ird_ids(user) -> QuerySet:
    return Invitation.objects.filter(staff=user, removed_at__isnull=True).values("ird_id")


def irds_visible_to(user) -> QuerySet[Ird]:
    if not _signed_in(user) or getattr(user, "is_api_client", False):
        return Ird.objects.none()
    if is_coordinator(user) and user.role == Role.SERVICE_MANAGER:
        return Ird.objects.all()
    condition = Q(pk__in=invited_ird_ids(user))
    if is_coordinator(user):
        condition |= Q(referral__team_id=user.team_id)
    if is_quality_staff(user):
        condition |= Q(status=Status.SIGNED_OFF)
    return Ird.objects.filter(condition)


def access_ird(user, ird_id: UUID, queryset: QuerySet | None = None) -> Ird:
    """`queryset`, if given, must already be narrowed by `irds_visible_to(user)`. An IRD about
    a restricted child needs the core's clearance, as the child's record does."""
    visible = queryset if queryset is not None else irds_visible_to(user)
    try:
        ird = visible.get(pk=ird_id)
    except Ird.DoesNotExist:
        if Ird.objects.filter(pk=ird_id).exists():
            audit.record(
                actor=user, action=audit.Action.DENIED, object_type="ird", object_id=str(ird_id)
            )
        raise Http404("No IRD found.") from None
    # Those invited to the IRD were chosen for it: the invitation is their clearance. Anyone
    # else (a coordinator, the committee) needs the core's, as for the child's record.
    if not invited_ird_ids(user).filter(ird_id=ird.pk).exists():
        children = ReferralChild.objects.filter(referral_id=ird.referral_id)
        restrictions.require_clearance(user, children.values_list("person_id", flat=True))
    return ird


@dataclass(frozen=True)
class Viewer:
    """What one person may do with one IRD, worked out once per request."""

    user: object
    ird: Ird
    invited: bool
    coordinator: bool
    quality: bool

    @property
    def status(self) -> str:
        return self.ird.status

    @property
    def is_chair(self) -> bool:
        return self.invited and self.ird.chair_id == self.user.pk

    @property
    def is_recorder(self) -> bool:
        return self.invited and self.ird.recorder_id == self.user.pk

    @property
    def can_see_teleconference(self) -> bool:
        return self.invited and teleconference_open(self.ird)

    @property
    def can_see_record(self) -> bool:
        return self.invited or (self.quality and self.status == Status.SIGNED_OFF)

    @property
    def can_schedule(self) -> bool:
        return self.coordinator and self.status in SCHEDULABLE

    can_cancel = can_schedule

    @property
    def can_decide_children(self) -> bool:
        return self.coordinator and self.status in SCHEDULABLE | RECORDING

    @property
    def can_start(self) -> bool:
        return (self.is_chair or self.is_recorder) and self.status == Status.SCHEDULED

    @property
    def can_record(self) -> bool:
        return self.is_recorder and self.status in RECORDING

    @property
    def writable_sections(self) -> frozenset[str]:
        """The sections of the record this person may write now: all of them for the recorder,
        their own agency's "information shared by" for anyone else invited."""
        if not self.invited or self.status not in RECORDING:
            return frozenset()
        if self.is_recorder:
            return frozenset(RecordSection.Key.values)
        agency = getattr(self.user, "agency", None)
        own = AGENCY_SECTION.get(agency.kind) if agency is not None else None
        return frozenset({own}) if own else frozenset()

    @property
    def from_convening_agency(self) -> bool:
        return _convening_agency(self.user)

    @property
    def can_record_initial_discussion(self) -> bool:
        """Out of hours, before the full IRD: a coordinator, or police, health or social work
        staff invited to it."""
        return self.status in SCHEDULABLE and (
            self.coordinator or (self.invited and self.from_convening_agency)
        )

    @property
    def can_request_repeat(self) -> bool:
        """After sign-off: a coordinator, or police, health or social work staff invited."""
        return self.status == Status.SIGNED_OFF and (
            self.coordinator or (self.invited and self.from_convening_agency)
        )

    @property
    def can_record_emergency_measure(self) -> bool:
        """Anyone invited (police taking a child to a place of safety, s.56, above all) while
        the IRD is under way; the referral's team always may (the core's rule)."""
        return self.invited and self.status in EMERGENCY_RECORDING

    @property
    def can_conclude(self) -> bool:
        return (self.is_chair or self.is_recorder) and self.status == Status.IN_PROGRESS

    @property
    def can_sign_off(self) -> bool:
        return self.is_chair and self.status == Status.CONCLUDED

    @property
    def can_add_addendum(self) -> bool:
        return self.invited and self.status == Status.SIGNED_OFF

    @property
    def can_circulate(self) -> bool:
        return (self.is_chair or self.is_recorder) and self.status == Status.SIGNED_OFF

    @property
    def can_tick_follow_up(self) -> bool:
        named = self.ird.lead_professional_id == self.user.pk
        return (self.is_chair or self.is_recorder or named or self.coordinator) and (
            self.status in {Status.CONCLUDED, Status.SIGNED_OFF}
        )

    @property
    def can_review_quality(self) -> bool:
        return self.quality and self.status == Status.SIGNED_OFF

    def can_update_action(self, action: IrdAction) -> bool:
        """The owner, anyone invited from the owning agency, or the chair; while it is open and
        the IRD has ended or is under way."""
        if action.status != IrdAction.Status.OPEN or not self.invited:
            return False
        if self.status not in RECORDING | {Status.SIGNED_OFF}:
            return False
        return (
            action.owner_id == self.user.pk
            or self.is_chair
            or action.owner_agency_id == self.user.agency_id
        )


def teleconference_open(ird: Ird) -> bool:
    """The dial-in and PIN are shown (to the invited: page and partner API alike) until the IRD
    is cancelled or its record signed off."""
    return ird.status not in {Status.CANCELLED, Status.SIGNED_OFF}


def viewer(user, ird: Ird) -> Viewer:
    signed_in = is_staff_user(user)
    invited = (
        signed_in
        and Invitation.objects.filter(ird=ird, staff=user, removed_at__isnull=True).exists()
    )
    coordinator = (
        signed_in
        and is_coordinator(user)
        and (user.role == Role.SERVICE_MANAGER or user.team_id == ird.referral.team_id)
    )
    return Viewer(
        user=user,
        ird=ird,
        invited=invited,
        coordinator=coordinator,
        quality=signed_in and is_quality_staff(user),
    )


# --- Partner systems (API clients act for an agency) --------------------------------------


def irds_invited_agency(agency_id) -> QuerySet[Ird]:
    """IRDs someone from the agency is invited to: what that agency's partner system reads."""
    return Ird.objects.filter(
        pk__in=Invitation.objects.filter(agency_id=agency_id, removed_at__isnull=True).values(
            "ird_id"
        )
    ).exclude(status=Status.REQUESTED)


def agency_may_update_action(agency_id, action: IrdAction) -> bool:
    return action.owner_agency_id == agency_id


# --- Child protection planning meetings and the register -----------------------------------
#
# As for IRDs: the invited see the meeting; the coordinators (team managers of the referral's
# team, service managers) see it and schedule; everyone else gets 404. The chair records the
# outcome; the chair or a coordinator writes and issues the record. The register page is for
# managers and the child protection committee.

REGISTER_ROLES = frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.COMMITTEE})
CPPM_RECORDING = frozenset({Cppm.Status.HELD, Cppm.Status.INQUORATE})


def may_coordinate(user, referral) -> bool:
    """Schedule a CPPM or record a temporary registration for the referral's children."""
    return is_coordinator(user) and (
        user.role == Role.SERVICE_MANAGER or user.team_id == referral.team_id
    )


def can_see_register(user) -> bool:
    return (
        _signed_in(user)
        and not getattr(user, "is_api_client", False)
        and user.role in REGISTER_ROLES
    )


def cppms_visible_to(user) -> QuerySet[Cppm]:
    if not _signed_in(user) or getattr(user, "is_api_client", False):
        return Cppm.objects.none()
    if is_coordinator(user) and user.role == Role.SERVICE_MANAGER:
        return Cppm.objects.all()
    condition = Q(pk__in=CppmInvitation.objects.filter(staff=user).values("cppm_id"))
    if is_coordinator(user):
        condition |= Q(referral__team_id=user.team_id)
    return Cppm.objects.filter(condition)


def access_cppm(user, cppm_id: UUID, queryset: QuerySet | None = None) -> Cppm:
    """Out of scope and missing look the same (404, the refusal audited); a restricted child
    needs clearance unless the person was invited."""
    visible = queryset if queryset is not None else cppms_visible_to(user)
    try:
        cppm = visible.get(pk=cppm_id)
    except Cppm.DoesNotExist:
        if Cppm.objects.filter(pk=cppm_id).exists():
            audit.record(
                actor=user, action=audit.Action.DENIED, object_type="cppm", object_id=str(cppm_id)
            )
        raise Http404("No CPPM found.") from None
    if not CppmInvitation.objects.filter(cppm=cppm, staff=user).exists():
        restrictions.require_clearance(user, cppm.children.values_list("pk", flat=True))
    return cppm


@dataclass(frozen=True)
class CppmViewer:
    """What one person may do with one planning meeting, worked out once per request."""

    user: object
    cppm: Cppm
    invited: bool
    coordinator: bool

    @property
    def is_chair(self) -> bool:
        return self.cppm.chair_id == self.user.pk

    @property
    def can_record_outcome(self) -> bool:
        return self.is_chair and self.cppm.status == Cppm.Status.SCHEDULED

    @property
    def can_write_record(self) -> bool:
        return (
            (self.is_chair or self.coordinator)
            and self.cppm.status in CPPM_RECORDING
            and self.cppm.record_issued_at is None
        )

    @property
    def can_reconvene(self) -> bool:
        return self.coordinator and self.cppm.status == Cppm.Status.INQUORATE

    @property
    def can_reschedule(self) -> bool:
        """Who may schedule the CPPM moves or cancels it, until it has been held."""
        return self.coordinator and self.cppm.status == Cppm.Status.SCHEDULED

    can_cancel = can_reschedule


def cppm_viewer(user, cppm: Cppm) -> CppmViewer:
    signed_in = _signed_in(user) and not getattr(user, "is_api_client", False)
    return CppmViewer(
        user=user,
        cppm=cppm,
        invited=signed_in and CppmInvitation.objects.filter(cppm=cppm, staff=user).exists(),
        coordinator=signed_in and may_coordinate(user, cppm.referral),
    )


# --- The core group and the child's plan -----------------------------------------------------
#
# As for CPPMs: the core group's members with an account (the lead professional and the
# agencies' practitioners) see it, and so do the coordinators (team managers of the referral's
# team, service managers); everyone else gets 404. The lead professional or a coordinator
# records meetings, adds members and agrees the plan's actions; an action is updated by its
# owner, a member from the owning agency, the lead professional or a coordinator. A closed
# group (the child is off the register) is read only.


def current_memberships(user) -> QuerySet[CoreGroupMember]:
    """A member who left keeps their row (the meetings they attended) but not its access."""
    return CoreGroupMember.objects.filter(staff=user, left_at__isnull=True)


def member_group_ids(user) -> QuerySet:
    return current_memberships(user).values("core_group_id")


def core_groups_visible_to(user) -> QuerySet[CoreGroup]:
    if not _signed_in(user) or getattr(user, "is_api_client", False):
        return CoreGroup.objects.none()
    if is_coordinator(user) and user.role == Role.SERVICE_MANAGER:
        return CoreGroup.objects.all()
    condition = Q(pk__in=member_group_ids(user)) | Q(lead_professional=user)
    if is_coordinator(user):
        condition |= Q(referral__team_id=user.team_id)
    return CoreGroup.objects.filter(condition)


def access_core_group(user, group_id: UUID, queryset: QuerySet | None = None) -> CoreGroup:
    """Out of scope and missing look the same (404, the refusal audited); a restricted child
    needs clearance unless the person is a member of the group."""
    visible = queryset if queryset is not None else core_groups_visible_to(user)
    try:
        group = visible.get(pk=group_id)
    except CoreGroup.DoesNotExist:
        if CoreGroup.objects.filter(pk=group_id).exists():
            audit.record(
                actor=user,
                action=audit.Action.DENIED,
                object_type="core_group",
                object_id=str(group_id),
            )
        raise Http404("No core group found.") from None
    if group.lead_professional_id != user.pk and not (
        current_memberships(user).filter(core_group=group).exists()
    ):
        restrictions.require_clearance(user, [group.registration.person_id])
    return group


@dataclass(frozen=True)
class CoreGroupViewer:
    """What one person may do with one core group, worked out once per request."""

    user: object
    group: CoreGroup
    member: bool
    coordinator: bool

    @property
    def is_lead(self) -> bool:
        return self.group.lead_professional_id == self.user.pk

    @property
    def can_manage(self) -> bool:
        """Record a meeting, add a member or record that one left, add an action."""
        return self.group.active and (self.is_lead or self.coordinator)

    def can_update_action(self, action: PlanAction) -> bool:
        if not self.group.active or action.status != PlanAction.Status.OPEN:
            return False
        return (
            self.can_manage
            or action.owner_id == self.user.pk
            or (self.member and action.owner_agency_id == self.user.agency_id)
        )


def core_group_viewer(user, group: CoreGroup) -> CoreGroupViewer:
    signed_in = _signed_in(user) and not getattr(user, "is_api_client", False)
    return CoreGroupViewer(
        user=user,
        group=group,
        member=signed_in and current_memberships(user).filter(core_group=group).exists(),
        coordinator=signed_in and may_coordinate(user, group.referral),
    )


def can_read_statistics(user) -> bool:
    """The child protection committee's statistics: for those who read the hub's reports."""
    return not getattr(user, "is_api_client", False) and can_read_reports(user)
