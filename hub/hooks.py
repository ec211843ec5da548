"""Everything hub/ answers through the core's registry (referrals.extensions): `register` adds
it, once, from HubConfig.ready."""

from django.db.models import Exists, Q
from django.urls import reverse
from django.utils import timezone

from hub import access, disposal, selectors, services, summary, volume
from hub.models import AuditAssignment, AuditRecord, Review
from referrals import seam
from referrals.extensions import HomeItem, HomeSection, NavigationEntry
from referrals.models import Referral

HOME_LIMIT = 20


def register(registry: seam.Registry) -> None:
    registry.add(seam.VolumeSteps, volume.reviews)
    registry.add(seam.ReferralReceived, referral_received)
    registry.add(seam.ScreeningApproved, screening_approved)
    registry.add(seam.ReferralDisposing, disposal.on_referral_disposing)
    registry.add(seam.KeptApartDisposing, disposal.on_kept_apart_disposing)
    registry.add(seam.KeptApartRecords, disposal.kept_apart)
    registry.add(seam.HomeSections, home_sections)
    registry.add(seam.Navigation, navigation)
    registry.add(seam.QualityScope, quality_scope)
    registry.add(seam.PersonMerged, summary.on_person_merged)


def referral_received(*, referral, actor) -> None:
    """Every referral enters the quality review queue, its review deadline counting from
    receipt."""
    services.review_enqueue(referral=referral, entered_at=referral.received_at)


def screening_approved(*, referral, decision) -> None:
    """An approved screening decision enters the decision review queue."""
    services.review_enqueue(referral=referral, decision=decision, entered_at=decision.reviewed_at)


def _due(deadline, now) -> tuple[str, bool]:
    if deadline is None:
        return "", False
    return f"Due {timezone.localtime(deadline.due_at):%d %b %Y %H:%M}", deadline.due_at <= now


def home_sections(user, now) -> list[HomeSection]:
    """A reviewer's queue to claim and the claims they hold; an auditor's records to grade."""
    sections: list[HomeSection] = []
    if access.is_reviewer(user):
        unclaimed = (
            Review.objects.filter(state=Review.State.QUEUED)
            .exclude(Exists(selectors.live_claim(now)))
            .select_related("referral", "deadline")
            .order_by("-referral__immediate_risk", "entered_at", "pk")[:HOME_LIMIT]
        )
        held = selectors.claims_held_by(user)
        sections.append(_reviews("Reviews you hold", [c.review for c in held], now, order=12))
        sections.append(_reviews("Reviews to claim", list(unclaimed), now, order=13))
    assignments = list(
        AuditAssignment.objects.filter(auditor=user, state=AuditAssignment.State.ASSIGNED)
        .select_related("record__round", "record__referral", "deadline")
        .order_by("deadline__due_at", "record__position")[:HOME_LIMIT]
    )
    if assignments or access.can_see_audit_work(user):
        items = []
        for assignment in assignments:
            due, overdue = _due(assignment.deadline, now)
            record = assignment.record
            items.append(
                HomeItem(
                    title=f"{record.referral.reference} in the audit of "
                    f"{record.round.period_start:%B %Y}",
                    detail=due,
                    url=reverse("hub:audit_assignment", args=[assignment.pk]),
                    overdue=overdue,
                )
            )
        sections.append(
            HomeSection(
                heading="Audit records to grade",
                items=tuple(items),
                empty="You have no audit records to grade.",
                more_url=reverse("hub:audit_list"),
                more_label="Practice audits",
                order=10 if any(item.overdue for item in items) else 25,
            )
        )
    return sections


def _reviews(heading: str, reviews: list[Review], now, *, order: int) -> HomeSection:
    items = []
    for review in reviews:
        due, overdue = _due(review.deadline, now)
        risk = "Immediate risk. " if review.referral.immediate_risk else ""
        items.append(
            HomeItem(
                title=f"{review.referral.reference}: {review.get_kind_display().lower()}",
                detail=f"{risk}{due}".strip(),
                url=reverse("hub:review", args=[review.pk]),
                overdue=overdue,
            )
        )
    return HomeSection(
        heading=heading,
        items=tuple(items),
        empty="None." if heading.startswith("Reviews you") else "The queue is empty.",
        more_url=reverse("hub:queue"),
        more_label="The review queue",
        order=10 if any(item.overdue for item in items) else order,
    )


def navigation(user) -> list[NavigationEntry]:
    """The hub's links, by the hub's own rules: a police member of the audit panel sees
    Practice audits as a committee member does."""
    entries = []
    if access.is_reviewer(user):
        entries.append(
            NavigationEntry("Review queue", reverse("hub:queue"), 50, ("/hub/reviews/",))
        )
    if access.can_see_audit_work(user):
        audits = reverse("hub:audit_list")
        entries.append(NavigationEntry("Practice audits", audits, 60, (audits,)))
    if access.can_read_reports(user):
        reports = reverse("hub:reports")
        entries.append(NavigationEntry("Reports", reports, 70, (reports,)))
    if access.can_see_team_feedback(user):
        entries.append(NavigationEntry("Team feedback", reverse("hub:team_feedback"), 80))
    return entries


def quality_scope(user):
    """Need to know for quality staff: a reviewer reads the referrals waiting in the hub's
    queue and those they have claimed or reviewed; anyone grading an audit, the records sampled
    for it; the committee, every audit sample."""
    scope = Q(pk__in=[])
    if access.is_reviewer(user):
        scope |= Q(hub_reviews__state=Review.State.QUEUED)
        scope |= Q(hub_reviews__claims__reviewer=user)
        scope |= Q(hub_reviews__submitted_by=user)
    if access.is_committee(user):
        scope |= Q(pk__in=AuditRecord.objects.values("referral_id"))
    else:
        graded = AuditAssignment.objects.filter(auditor=user).values("record__referral_id")
        scope |= Q(pk__in=graded)
    return Referral.objects.filter(scope).values("pk")
