"""Reads for the IRD pages and the partner API, each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)

from ird import access
from ird.models import (
    Addendum,
    Attendance,
    Circulation,
    CoreGroup,
    CoreGroupMeeting,
    CoreGroupMember,
    Cppm,
    CppmInvitation,
    CppmType,
    DecisionCode,
    FollowUpItem,
    Invitation,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    PlanAction,
    ProcedureVersion,
    QualityReview,
    RecordSection,
    Registration,
    Revision,
)
from referrals.models import (
    Agency,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Staff,
)

Status = Ird.Status
LIST_LIMIT = 100
PARENT_KINDS = [
    Relationship.Kind.PARENT,
    Relationship.Kind.STEP_PARENT,
    Relationship.Kind.CARER,
    Relationship.Kind.PARTNER_OF_PARENT,
]
SIBLING_KINDS = [Relationship.Kind.SIBLING, Relationship.Kind.HALF_SIBLING]
CHILD_YEARS = 18


def ird_page(irds: QuerySet[Ird]) -> QuerySet[Ird]:
    """Everything the IRD pages show."""
    return irds.select_related(
        "referral__team",
        "chair__agency",
        "recorder__agency",
        "coordinator",
        "lead_professional",
        "signed_off_by",
        "previous",
        "requested_by",
        "requesting_agency",
        "initial_discussion_by",
    ).prefetch_related(
        Prefetch(
            "invitations",
            queryset=Invitation.objects.filter(removed_at__isnull=True)
            .select_related("staff", "agency")
            .order_by("agency__name", "invited_at"),
        ),
        Prefetch("children", queryset=IrdChild.objects.select_related("person", "decided_by")),
        Prefetch("sections", queryset=RecordSection.objects.select_related("updated_by")),
        Prefetch("attendance", queryset=Attendance.objects.select_related("agency")),
        "absence_reasons",
        Prefetch("decisions", queryset=IrdDecision.objects.select_related("code")),
        Prefetch("actions", queryset=IrdAction.objects.select_related("owner", "owner_agency")),
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        Prefetch("circulation", queryset=Circulation.objects.select_related("sent_by")),
        Prefetch("follow_up", queryset=FollowUpItem.objects.select_related("done_by")),
        Prefetch("quality_reviews", queryset=QualityReview.objects.select_related("reviewer")),
    )


def sections_in_order(ird: Ird) -> list[RecordSection]:
    order = {key: number for number, key in enumerate(RecordSection.Key.values)}
    return sorted(ird.sections.all(), key=lambda section: order.get(section.key, 99))


def record_parts(ird: Ird) -> dict:
    """The record as everyone invited reads it (ird_page's prefetches): the context of
    templates/ird/_record_body.html, for the page, the print view and the live stream."""
    return {
        "ird": ird,
        "sections": sections_in_order(ird),
        "attendance": list(ird.attendance.all()),
        "absences": list(ird.absence_reasons.all()),
        "decisions": list(ird.decisions.all()),
        "actions": list(ird.actions.all()),
        "children": [child for child in ird.children.all() if child.included],
        "addenda": list(ird.addenda.all()),
    }


@dataclass
class IrdLists:
    to_schedule: list[Ird]
    mine: list[Ird]
    for_review: list[Ird]


def ird_lists(user) -> IrdLists:
    rows = Ird.objects.select_related("referral", "chair", "recorder")
    to_schedule, for_review = [], []
    if access.is_coordinator(user):
        coordinated = rows.filter(status=Status.REQUESTED)
        if user.role != "service_manager":
            coordinated = coordinated.filter(referral__team_id=user.team_id)
        to_schedule = list(coordinated.order_by("requested_at")[:LIST_LIMIT])
    mine = list(
        rows.filter(pk__in=access.invited_ird_ids(user))
        .exclude(status=Status.CANCELLED)
        .order_by("status", "scheduled_for")[:LIST_LIMIT]
    )
    if access.is_quality_staff(user):
        for_review = list(
            rows.filter(status=Status.SIGNED_OFF)
            .exclude(quality_reviews__reviewer=user)
            .order_by("-signed_off_at")[:LIST_LIMIT]
        )
    order = [Status.IN_PROGRESS, Status.SCHEDULED, Status.CONCLUDED, Status.SIGNED_OFF]
    mine.sort(
        key=lambda ird: (
            order.index(ird.status) if ird.status in order else 9,
            ird.scheduled_for or ird.requested_at,
        )
    )
    return IrdLists(to_schedule=to_schedule, mine=mine, for_review=for_review)


def invitable_staff() -> QuerySet[Staff]:
    """Who can be invited, chair or record: IRD participants and social work staff."""
    return (
        Staff.objects.filter(
            is_active=True, agency__isnull=False, role__in=sorted(access.TAKES_PART_ROLES)
        )
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name")
    )


def cppm_chairs() -> QuerySet[Staff]:
    """A social work team manager or service manager chairs a CPPM."""
    return (
        Staff.objects.filter(
            is_active=True,
            agency__kind=Agency.Kind.SOCIAL_WORK,
            role__in=sorted(access.MANAGER_ROLES),
        )
        .select_related("agency")
        .order_by("last_name", "first_name")
    )


def lead_professional_choices() -> QuerySet[Staff]:
    return Staff.objects.filter(
        is_active=True,
        agency__kind=Agency.Kind.SOCIAL_WORK,
        role__in=sorted(access.SOCIAL_WORK_ROLES),
    ).order_by("last_name", "first_name")


def cppms_due(visible: QuerySet[Cppm]) -> QuerySet[Cppm]:
    """Scheduled CPPMs not yet recorded (those whose time has passed first), with what the
    list shows, in one query."""
    return (
        visible.filter(status=Cppm.Status.SCHEDULED)
        .select_related("referral__team", "chair")
        .order_by("scheduled_for")
    )


def cppm_types_in_use() -> QuerySet[CppmType]:
    return CppmType.objects.in_use()


def decision_codes_in_use() -> QuerySet[DecisionCode]:
    return DecisionCode.objects.in_use()


def revisions_of(ird: Ird) -> QuerySet[Revision]:
    return Revision.objects.filter(ird=ird).select_related("author")


def _is_child(person: Person, today: date) -> bool:
    if person.unborn:
        return True
    if person.date_of_birth is None:
        return False
    return person.date_of_birth > today - timedelta(days=365 * CHILD_YEARS + 4)


def household_children(referral: Referral, today: date) -> list[tuple[Person, str]]:
    """The referral's children, then the other children an IRD should consider (NG2021 3.16):
    brothers and sisters (recorded as such, or children of the same parents and carers), and
    children of the same household (the same address, or living with the same adults). One
    query: who is named, a sibling or of the household is decided by subqueries."""
    named = ReferralChild.objects.filter(referral=referral).values("person_id")
    adults = Q(
        relative_id__in=ReferralAdult.objects.filter(referral=referral).values("person_id")
    ) | Q(
        relative_id__in=Relationship.objects.filter(
            person_id__in=named, kind__in=PARENT_KINDS
        ).values("relative_id")
    )
    household_adults = (
        Relationship.objects.filter(person_id__in=named, lives_with=True)
        .exclude(kind__in=SIBLING_KINDS)
        .values("relative_id")
    )
    sibling = (
        Q(
            pk__in=Relationship.objects.filter(
                relative_id__in=named, kind__in=SIBLING_KINDS
            ).values("person_id")
        )
        | Q(
            pk__in=Relationship.objects.filter(person_id__in=named, kind__in=SIBLING_KINDS).values(
                "relative_id"
            )
        )
        | Q(pk__in=Relationship.objects.filter(adults, kind__in=PARENT_KINDS).values("person_id"))
    )
    same_address = ReferralChild.objects.filter(
        referral=referral,
        person__address_line1__iexact=OuterRef("address_line1"),
        person__postcode=OuterRef("postcode"),
    ).exclude(Q(person__address_line1="") | Q(person__postcode=""))
    household = Q(
        pk__in=Relationship.objects.filter(
            relative_id__in=household_adults, lives_with=True
        ).values("person_id")
    ) | Q(Exists(same_address))
    people = (
        Person.objects.filter(Q(pk__in=named) | sibling | household)
        .annotate(
            position=Subquery(
                ReferralChild.objects.filter(referral=referral, person=OuterRef("pk")).values(
                    "position"
                )[:1]
            ),
            is_sibling=ExpressionWrapper(sibling, output_field=BooleanField()),
        )
        .order_by("date_of_birth", "last_name")
    )
    found: dict = {}
    others = []
    for person in people:
        if person.position is not None:
            found[person.pk] = person
        elif person.merged_into_id is None and _is_child(person, today):
            others.append(person)
    named_children = sorted(found.values(), key=lambda person: person.position)
    return (
        [(person, IrdChild.Source.REFERRAL) for person in named_children]
        + [(person, IrdChild.Source.SIBLING) for person in others if person.is_sibling]
        + [(person, IrdChild.Source.HOUSEHOLD) for person in others if not person.is_sibling]
    )


def procedures() -> QuerySet[ProcedureVersion]:
    return ProcedureVersion.objects.select_related("created_by", "previous")


# --- Partner API ------------------------------------------------------------------------------


def api_irds(agency: Agency) -> QuerySet[Ird]:
    return (
        access.irds_invited_agency(agency.pk)
        .select_related("referral__partner_submission__client")
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=Invitation.objects.filter(removed_at__isnull=True).select_related(
                    "agency"
                ),
            ),
            Prefetch("decisions", queryset=IrdDecision.objects.select_related("code")),
            Prefetch(
                "actions",
                queryset=IrdAction.objects.filter(owner_agency=agency).select_related(
                    "owner_agency", "owner"
                ),
                to_attr="agency_actions",
            ),
        )
        .order_by("-scheduled_for", "-requested_at")
    )


# --- Child protection planning meetings and the register -----------------------------------


def cppm_page(cppms: QuerySet[Cppm]) -> QuerySet[Cppm]:
    """Everything the CPPM page shows."""
    return cppms.select_related(
        "referral__team",
        "ird",
        "previous",
        "chair",
        "coordinator",
        "lead_professional",
        "extended_by",
        "outcome_recorded_by",
        "cancelled_by",
    ).prefetch_related(
        "children",
        "categories",
        Prefetch("invitations", queryset=CppmInvitation.objects.select_related("staff", "agency")),
        Prefetch("registrations", queryset=Registration.objects.select_related("person")),
        Prefetch("deregistrations", queryset=Registration.objects.select_related("person")),
    )


def referral_cppms(referral: Referral) -> QuerySet[Cppm]:
    return Cppm.objects.filter(referral=referral).order_by("-scheduled_for")


def register_rows() -> QuerySet[Registration]:
    """Children on the register now, with their categories: two queries for any number."""
    return (
        Registration.objects.filter(ended_on__isnull=True)
        .select_related("person", "registered_at", "referral")
        .prefetch_related("categories")
        .order_by("review_due_on", "person__last_name", "person__first_name")
    )


def core_group_page(groups: QuerySet[CoreGroup]) -> QuerySet[CoreGroup]:
    """Everything the core group page shows, in a fixed number of queries however many
    members, meetings and actions."""
    members = CoreGroupMember.objects.select_related("staff", "agency")
    return groups.select_related(
        "registration__person",
        "referral__team",
        "formed_at",
        "closed_at",
        "lead_professional",
    ).prefetch_related(
        Prefetch("members", queryset=members),
        Prefetch(
            "meetings",
            queryset=CoreGroupMeeting.objects.select_related("recorded_by").prefetch_related(
                Prefetch("attended", queryset=members)
            ),
        ),
        Prefetch(
            "plan_actions",
            queryset=PlanAction.objects.select_related("owner", "owner_agency", "completed_by"),
        ),
    )


def referral_core_groups(referral_id) -> QuerySet[CoreGroup]:
    return (
        CoreGroup.objects.filter(referral_id=referral_id)
        .select_related("registration__person", "formed_at")
        .order_by("-created_at")
    )


def invited_staff(ird: Ird, *, current_only: bool = False):
    """The staff invited to the IRD (only those still invited, if `current_only`), with their
    agencies, by agency and name."""
    invitations = Invitation.objects.filter(ird=ird)
    if current_only:
        invitations = invitations.filter(removed_at__isnull=True)
    return (
        Staff.objects.filter(pk__in=invitations.values("staff_id"))
        .select_related("agency")
        .order_by("agency__name", "last_name")
    )
