"""Everything ird/ answers through the core's registry (referrals.extensions): `register` adds
it, once, from IrdConfig.ready."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ird import access, disposal, people, selectors, services, volume
from ird.models import (
    CoreGroup,
    Cppm,
    Ird,
    IrdAction,
    IrdDecision,
    ProcedureVersion,
    Registration,
)
from referrals import seam
from referrals.extensions import (
    ActionLink,
    HomeItem,
    HomeSection,
    NavigationEntry,
    RegisterStatus,
    RelatedRecord,
    SubjectRecord,
)
from referrals.models import Role

HEADING = "Inter-agency referral discussion"
HELD = frozenset({Ird.Status.CONCLUDED, Ird.Status.SIGNED_OFF})
HOME_LIMIT = 20
PROCEDURE_NOTICE_DAYS = 14  # the committee sees a trial ending two weeks ahead


def register(registry: seam.Registry) -> None:
    registry.add(seam.VolumeSteps, volume.irds)
    registry.add(seam.ScreeningApproved, services.on_screening_approved)
    registry.add(seam.ReferralReceived, services.on_referral_received)
    registry.add(seam.PersonMerged, people.person_merged)
    registry.add(seam.ReferralDisposing, disposal.on_referral_disposing)
    registry.add(seam.KeptWith, disposal.kept_with)
    registry.add(seam.ReferralLinks, referral_links)
    registry.add(seam.ReferralLinks, referral_cppm_links)
    registry.add(seam.ReferralLinks, referral_core_group_links)
    registry.add(seam.ReferralActions, referral_actions)
    registry.add(seam.ReferralActions, referral_cppm_actions)
    registry.add(seam.ConcernIrds, concern_irds)
    registry.add(seam.IrdDecisions, ird_decisions)
    registry.add(seam.HomeSections, home_sections)
    registry.add(seam.ReferralSummaries, referral_summaries)
    registry.add(seam.Navigation, navigation)
    registry.add(seam.Navigation, register_navigation)
    registry.add(seam.Navigation, statistics_navigation)
    registry.add(seam.RecordsAbout, records_about)
    registry.add(seam.RecordsAbout, core_group_records_about)
    registry.add(seam.SubjectRecords, subject_records)
    registry.add(seam.RegisterStatuses, register_status)
    registry.add(seam.EmergencyMeasureRecorders, may_record_emergency_measure)


def _detail(ird: Ird) -> str:
    if ird.status == Ird.Status.SIGNED_OFF and ird.signed_off_at:
        return f"Signed off {timezone.localtime(ird.signed_off_at):%d %b %Y %H:%M}"
    if ird.status == Ird.Status.CANCELLED:
        return "Cancelled"
    if ird.scheduled_for:
        return f"Scheduled for {timezone.localtime(ird.scheduled_for):%d %b %Y %H:%M}"
    return f"Requested {timezone.localtime(ird.requested_at):%d %b %Y %H:%M}"


def referral_links(user, referral) -> list[RelatedRecord]:
    """The referral's IRDs; a link only for those this user may open."""
    irds = list(Ird.objects.filter(referral=referral).order_by("-requested_at"))
    if not irds:
        return []
    visible = set(
        access.irds_visible_to(user).filter(referral=referral).values_list("pk", flat=True)
    )
    return [
        RelatedRecord(
            heading=HEADING,
            title=ird.reference,
            status=ird.get_status_display(),
            detail=_detail(ird),
            url=reverse("ird:detail", args=[ird.pk]) if ird.pk in visible else "",
        )
        for ird in irds
    ]


def referral_actions(user, referral) -> list[ActionLink]:
    """Social work staff convene an IRD from the concern, before screening, when none is under
    way (NG2021 3.18)."""
    if not access.may_convene(user, referral):
        return []
    if (
        Ird.objects.filter(referral=referral)
        .exclude(status__in=[Ird.Status.SIGNED_OFF, Ird.Status.CANCELLED])
        .exists()
    ):
        return []
    return [
        ActionLink(
            label="Convene an IRD now",
            url=reverse("ird:convene", args=[referral.pk]),
            hint="Police, health or social work can ask for an IRD without waiting for screening.",
        )
    ]


def concern_irds(referral_ids, agency_id) -> dict:
    """Each concern's `ird` for the partner API: the newest IRD about it that the agency takes
    part in, with its decisions once it was held. Two queries for a whole page."""
    newest = {}
    for ird in (
        Ird.objects.filter(
            referral_id__in=list(referral_ids),
            pk__in=access.irds_invited_agency(agency_id).values("pk"),
        )
        .prefetch_related("decisions__code")
        .order_by("referral_id", "-requested_at")
    ):
        newest.setdefault(ird.referral_id, ird)
    return {referral_id: _concern_ird(ird) for referral_id, ird in newest.items()}


def _concern_ird(ird: Ird) -> dict:
    held = ird.status in HELD
    return {
        "id": ird.pk,
        "status": ird.status,
        "scheduled_for": ird.scheduled_for,
        "held_at": ird.started_at if held else None,
        "decisions": [
            {"code": decision.code.code, "label": decision.code.label}
            for decision in ird.decisions.all()
        ]
        if held
        else [],
    }


def ird_decisions(referrals, since, until) -> list[tuple[str, str, int]]:
    """Decisions taken at IRDs signed off in [since, until) about `referrals`, most frequent
    first: one aggregate query."""
    rows = (
        IrdDecision.objects.filter(
            ird__referral__in=referrals, ird__signed_off_at__gte=since, ird__signed_off_at__lt=until
        )
        .values("code__code", "code__label")
        .annotate(count=Count("pk"))
        .order_by("-count", "code__label")
    )
    return [(row["code__code"], row["code__label"], row["count"]) for row in rows]


def _when(ird: Ird) -> str:
    start = timezone.localtime(ird.scheduled_for)
    chair = ird.chair.get_full_name() if ird.chair else "no chair yet"
    return f"{start:%a %d %b %H:%M}, {ird.duration_minutes} minutes; chair {chair}"


def home_sections(user, now) -> list[HomeSection]:
    """What IRDs owe this person: the discussions they are invited to today and this week, the
    actions they (or their agency, at an IRD they attend) owe, IRDs to schedule for a coordinator,
    and for the committee the signed-off records to review and procedure trials ending."""
    if not access.takes_part(user):
        return []
    sections: list[HomeSection] = []
    today = timezone.localdate(now)
    week_end = timezone.make_aware(datetime.combine(today + timedelta(days=8), time.min))
    day_end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    day_start = timezone.make_aware(datetime.combine(today, time.min))
    invited = access.invited_ird_ids(user)
    coming = list(
        Ird.objects.filter(
            pk__in=invited,
            status__in=[Ird.Status.SCHEDULED, Ird.Status.IN_PROGRESS],
            scheduled_for__gte=day_start,
            scheduled_for__lt=week_end,
        )
        .select_related("chair")
        .order_by("scheduled_for")[:HOME_LIMIT]
    )

    def item(ird: Ird) -> HomeItem:
        return HomeItem(
            title=f"{ird.reference} ({ird.get_status_display().lower()})",
            detail=_when(ird),
            url=reverse("ird:detail", args=[ird.pk]),
        )

    sections.append(
        HomeSection(
            heading="IRDs today",
            items=tuple(item(ird) for ird in coming if ird.scheduled_for < day_end),
            empty="No IRD you are invited to takes place today.",
            more_url=reverse("ird:list"),
            more_label="All your IRDs",
            order=20,
        )
    )
    sections.append(
        HomeSection(
            heading="IRDs this week",
            items=tuple(item(ird) for ird in coming if ird.scheduled_for >= day_end),
            empty="No IRD you are invited to takes place in the next 7 days.",
            order=21,
        )
    )
    owed = list(
        IrdAction.objects.filter(status=IrdAction.Status.OPEN)
        .filter(
            Q(owner=user)
            | Q(owner__isnull=True, owner_agency_id=user.agency_id, ird_id__in=invited)
        )
        .select_related("ird")
        .order_by("due_date", "created_at")[:HOME_LIMIT]
    )
    sections.append(
        HomeSection(
            heading="IRD actions you owe",
            items=tuple(
                HomeItem(
                    title=f"{action.description[:80]} ({action.ird.reference})",
                    detail=f"Due {action.due_date:%d %b %Y}"
                    + ("" if action.owner_id else f", owed by {user.agency}"),
                    url=reverse("ird:detail", args=[action.ird_id]),
                    overdue=action.due_date < today,
                )
                for action in owed
            ),
            empty="You owe no open IRD actions.",
            order=10 if any(action.due_date < today for action in owed) else 22,
        )
    )
    if access.is_coordinator(user):
        to_schedule = Ird.objects.filter(status=Ird.Status.REQUESTED)
        if user.role != Role.SERVICE_MANAGER:
            to_schedule = to_schedule.filter(referral__team_id=user.team_id)
        sections.append(
            HomeSection(
                heading="IRDs to schedule",
                items=tuple(
                    HomeItem(
                        title=ird.reference,
                        detail=f"Requested {timezone.localtime(ird.requested_at):%d %b %Y %H:%M}",
                        url=reverse("ird:schedule", args=[ird.pk]),
                    )
                    for ird in to_schedule.order_by("requested_at")[:HOME_LIMIT]
                ),
                empty="No IRD waits to be scheduled.",
                order=15,
            )
        )
    if access.is_quality_staff(user):
        for_review = (
            Ird.objects.filter(status=Ird.Status.SIGNED_OFF)
            .exclude(quality_reviews__reviewer=user)
            .order_by("-signed_off_at")[:HOME_LIMIT]
        )
        sections.append(
            HomeSection(
                heading="IRD records to review",
                items=tuple(
                    HomeItem(
                        title=ird.reference,
                        detail=f"Signed off {timezone.localtime(ird.signed_off_at):%d %b %Y}",
                        url=reverse("ird:quality", args=[ird.pk]),
                    )
                    for ird in for_review
                ),
                empty="Every signed-off IRD record has your quality review.",
                order=30,
            )
        )
        ending = ProcedureVersion.objects.filter(
            status=ProcedureVersion.Status.TRIAL,
            trial_ends_on__lte=today + timedelta(days=PROCEDURE_NOTICE_DAYS),
        ).order_by("trial_ends_on")
        sections.append(
            HomeSection(
                heading="IRD procedure reviews due",
                items=tuple(
                    HomeItem(
                        title=str(procedure),
                        detail=f"Trial ends {procedure.trial_ends_on:%d %b %Y}",
                        url=reverse("ird:procedure_review", args=[procedure.pk]),
                        overdue=procedure.trial_ends_on < today,
                    )
                    for procedure in ending[:HOME_LIMIT]
                ),
                empty=f"No IRD procedure trial ends in the next {PROCEDURE_NOTICE_DAYS} days.",
                more_url=reverse("ird:procedures"),
                more_label="All IRD procedures",
                order=31,
            )
        )
    return sections


def referral_summaries(referral_ids) -> dict:
    """Each referral's IRDs in one line: reference, where it stands and, once held, its
    decisions. Two queries whatever the number of referrals."""
    found: dict = {}
    irds = (
        Ird.objects.filter(referral_id__in=referral_ids)
        .prefetch_related("decisions__code")
        .order_by("requested_at")
    )
    for ird in irds:
        line = f"{ird.reference}: {_detail(ird)}"
        decisions = [decision.code.label for decision in ird.decisions.all()]
        if ird.status in HELD and decisions:
            line += f"; decided {', '.join(decisions).lower()}"
        found.setdefault(ird.referral_id, []).append(line)
    return found


def navigation(user) -> list[NavigationEntry]:
    if not (access.takes_part(user) or access.is_coordinator(user)):
        return []
    irds = reverse("ird:list")
    return [NavigationEntry("IRDs", irds, 40, (irds,))]


def records_about(referral_ids) -> list[tuple[str, str]]:
    return [
        ("ird", str(pk))
        for pk in Ird.objects.filter(referral_id__in=referral_ids).values_list("pk", flat=True)
    ]


def subject_records(person) -> list[SubjectRecord]:
    """Each IRD that covered the person (or the referral naming them), as its record reads,
    for a subject access request: why it was held, each section, the decisions and actions."""
    irds = (
        Ird.objects.filter(
            Q(children__person=person, children__included=True)
            | Q(referral__child_links__person=person)
        )
        .distinct()
        .select_related("referral")
        .prefetch_related("sections", "decisions__code", "actions", "addenda")
        .order_by("requested_at")
    )
    records = []
    for ird in irds:
        parts = [f"Why the IRD started: {ird.reason}"] if ird.reason else []
        if ird.initial_discussion:
            parts.append(f"Initial discussion: {ird.initial_discussion}")
        parts += [f"{s.get_key_display()}: {s.text}" for s in ird.sections.all() if s.text]
        parts += [
            f"Decision: {d.code.label}" + (f" ({d.rationale})" if d.rationale else "")
            for d in ird.decisions.all()
        ]
        parts += [f"Action: {a.description}" for a in ird.actions.all()]
        parts += [f"Addendum: {a.text}" for a in ird.addenda.all()]
        records.append(
            SubjectRecord(
                source_type="ird",
                source_id=str(ird.pk),
                heading=f"IRD {ird.reference} ({_detail(ird)})",
                occurred_at=ird.scheduled_for or ird.requested_at,
                text="\n\n".join(parts) or "No record was written.",
            )
        )
    return records


# --- Child protection planning meetings and the register -----------------------------------

CPPM_HEADING = "Child protection planning meeting"


def register_status(person_ids) -> dict:
    """Who of these people is on the child protection register now: two queries."""
    return {
        registration.person_id: RegisterStatus(
            registered_on=registration.registered_on,
            temporary=registration.temporary,
            categories=tuple(category.label for category in registration.categories.all()),
            review_due_on=registration.review_due_on,
        )
        for registration in Registration.objects.filter(
            person_id__in=list(person_ids), ended_on__isnull=True
        ).prefetch_related("categories")
    }


def _cppm_detail(cppm: Cppm) -> str:
    when = timezone.localtime(cppm.scheduled_for).strftime("%d %b %Y %H:%M")
    if cppm.status == Cppm.Status.SCHEDULED:
        return f"{cppm.get_kind_display()}, scheduled for {when}"
    return f"{cppm.get_kind_display()}, {cppm.get_status_display().lower()} ({when})"


def referral_cppm_links(user, referral) -> list[RelatedRecord]:
    """The referral's planning meetings; a link only for those this user may open."""
    cppms = list(Cppm.objects.filter(referral=referral).order_by("-scheduled_for"))
    if not cppms:
        return []
    visible = set(
        access.cppms_visible_to(user).filter(referral=referral).values_list("pk", flat=True)
    )
    return [
        RelatedRecord(
            heading=CPPM_HEADING,
            title=cppm.reference,
            status=cppm.get_status_display(),
            detail=_cppm_detail(cppm),
            url=reverse("ird:cppm_detail", args=[cppm.pk]) if cppm.pk in visible else "",
        )
        for cppm in cppms
    ]


def referral_cppm_actions(user, referral) -> list[ActionLink]:
    """A coordinator schedules a CPPM once the IRD is signed off, and records a child
    registered elsewhere as temporarily registered here."""
    if not access.may_coordinate(user, referral):
        return []
    links = []
    if Ird.objects.filter(referral=referral, status=Ird.Status.SIGNED_OFF).exists():
        links.append(
            ActionLink(
                label="Schedule a CPPM",
                url=reverse("ird:cppm_new", args=[referral.pk]),
                hint="Initial, pre-birth, review or transfer child protection planning meeting.",
            )
        )
    links.append(
        ActionLink(
            label="Record a temporary registration",
            url=reverse("ird:register_temporary", args=[referral.pk]),
            hint="A child on another authority's register who stays or has moved here.",
        )
    )
    return links


def register_navigation(user) -> list[NavigationEntry]:
    entries = []
    if access.is_coordinator(user):  # team and service managers: their teams' CPPMs due
        due = reverse("ird:cppms_due")
        entries.append(NavigationEntry("CPPMs due", due, 44, (due,)))
    if access.can_see_register(user):
        url = reverse("ird:register")
        entries.append(NavigationEntry("CP register", url, 45, (url,)))
    return entries


# --- The core group and the statistics -------------------------------------------------------

CORE_GROUP_HEADING = "Core group and child's plan"


def referral_core_group_links(user, referral) -> list[RelatedRecord]:
    """The core groups of the referral's registered children; a link only for those this user
    may open (three queries)."""
    groups = list(selectors.referral_core_groups(referral.pk))
    if not groups:
        return []
    visible = set(
        access.core_groups_visible_to(user)
        .filter(referral_id=referral.pk)
        .values_list("pk", flat=True)
    )
    return [
        RelatedRecord(
            heading=CORE_GROUP_HEADING,
            title=f"Core group from {group.formed_at.reference}",
            status=group.get_status_display(),
            detail=(
                f"Next meeting {group.next_meeting_on:%d %b %Y}"
                if group.next_meeting_on
                else f"First meeting due by {group.first_meeting_due_on:%d %b %Y}"
                if group.first_meeting_due_on and group.active
                else ""
            ),
            url=reverse("ird:core_group", args=[group.pk]) if group.pk in visible else "",
        )
        for group in groups
    ]


def statistics_navigation(user) -> list[NavigationEntry]:
    if not access.can_read_statistics(user):
        return []
    url = reverse("ird:statistics")
    return [NavigationEntry("CP statistics", url, 72, (url,))]


def core_group_records_about(referral_ids) -> list[tuple[str, str]]:
    """The audit log's names for the core groups about these referrals, for "who saw this
    child"."""
    groups = CoreGroup.objects.filter(referral_id__in=referral_ids).values_list("pk", flat=True)
    return [("core_group", str(pk)) for pk in groups]


def may_record_emergency_measure(user, referral) -> bool:
    """Viewer.can_record_emergency_measure for any of the referral's IRDs, in one query: the
    core asks before letting someone other than the referral's team record a measure."""
    if not access.is_staff_user(user):
        return False
    return Ird.objects.filter(
        referral=referral,
        status__in=access.EMERGENCY_RECORDING,
        pk__in=access.invited_ird_ids(user),
    ).exists()
