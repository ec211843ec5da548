"""What ird/ adds to the core's pages and partner API answers (registered in IrdConfig.ready
through referrals.extensions)."""

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from ird import access
from ird.models import Ird, IrdDecision
from referrals.extensions import RelatedRecord

HEADING = "Inter-agency referral discussion"
HELD = frozenset({Ird.Status.CONCLUDED, Ird.Status.SIGNED_OFF})


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


def concern_ird(referral, agency_id) -> dict | None:
    """The partner API concern's `ird`: the newest IRD about the referral that the agency takes
    part in (API.md), with its decisions once it was held."""
    ird = (
        Ird.objects.filter(
            referral=referral, pk__in=access.irds_invited_agency(agency_id).values("pk")
        )
        .prefetch_related("decisions__code")
        .order_by("-requested_at")
        .first()
    )
    if ird is None:
        return None
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
