"""Restricted records and break-glass (referrals/models/restriction.py says what they are).

Restriction narrows, never widens: it is checked after a record is found in the person's
scope (out of scope stays 404), and only people on the restriction, the manager who set it, or
someone with a live break-glass access see the record, its referrals and its IRDs.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from referrals import access, audit, notifications
from referrals.errors import DomainError, NotPermitted
from referrals.models import BreakGlass, Notification, Person, Restriction, Role, Staff


class BreakGlassRequired(Exception):  # noqa: N818 - a signal to the view layer, not an error
    """The person may open this record only by breaking the glass."""

    def __init__(self, person_id):
        super().__init__(f"Person {person_id} is restricted.")
        self.person_id = person_id


class RestrictionRefused(DomainError):
    pass


def _cleared(user, now) -> Q:
    """Restrictions this user passes: named on it, set it, or a live break-glass."""
    live = BreakGlass.objects.filter(
        person_id=OuterRef("person_id"), staff_id=user.pk, expires_at__gt=now
    )
    return Q(allowed=user) | Q(set_by=user) | Q(Exists(live))


def hidden_people(user, now=None) -> QuerySet:
    """Ids of the restricted people this user may not see now (names and details withheld)."""
    now = now or timezone.now()
    cleared = Restriction.objects.filter(_cleared(user, now)).values("person_id")
    return Restriction.objects.exclude(person_id__in=cleared).values("person_id")


def hidden_ids(user, now=None) -> set:
    """The same, as a set for a list page: show "Restricted record" in place of these names."""
    return {row["person_id"] for row in hidden_people(user, now)}


def require_clearance(user, person_ids) -> None:
    """Raise BreakGlassRequired for the first restricted person here this user may not see."""
    blocked = hidden_people(user).filter(person_id__in=list(person_ids)).first()
    if blocked is not None:
        raise BreakGlassRequired(blocked["person_id"])


def can_restrict(user) -> bool:
    return access.is_social_work_staff(user) and user.role in access.MANAGER_ROLES


@transaction.atomic
def restrict(*, person: Person, by, reason: str, explanation: str, allowed) -> Restriction:
    if not can_restrict(by):
        raise NotPermitted("Only a team manager or service manager restricts a record.")
    if reason not in Restriction.Reason.values:
        raise RestrictionRefused("Choose why the record is restricted.")
    if reason == Restriction.Reason.OTHER and not explanation.strip():
        raise RestrictionRefused("Explain why the record is restricted.")
    restriction, _ = Restriction.objects.update_or_create(
        person=person,
        defaults={
            "reason": reason,
            "explanation": explanation.strip(),
            "set_by": by,
            "set_at": timezone.now(),
        },
    )
    restriction.allowed.set([*allowed, by])
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=person,
        detail={
            "restricted": reason,
            "allowed": sorted(str(s.pk) for s in restriction.allowed.all()),
        },
    )
    return restriction


@transaction.atomic
def lift(*, person: Person, by) -> None:
    if not can_restrict(by):
        raise NotPermitted("Only a team manager or service manager lifts a restriction.")
    Restriction.objects.filter(person=person).delete()
    audit.record(actor=by, action=audit.Action.CHANGE, subject=person, detail={"restricted": False})


@transaction.atomic
def break_glass(*, person: Person, by, reason: str, explanation: str) -> BreakGlass:
    """Open a restricted record for BREAK_GLASS_MINUTES, telling its manager and the
    information governance officers at once."""
    if reason not in BreakGlass.Reason.values:
        raise RestrictionRefused("Choose why you need to see this record.")
    if len(explanation.strip()) < 10:
        raise RestrictionRefused("Explain why you need to see this record now.")
    restriction = Restriction.objects.select_related("set_by").filter(person=person).first()
    if restriction is None:
        raise RestrictionRefused("This record is not restricted.")
    now = timezone.now()
    entry = BreakGlass.objects.create(
        person=person,
        staff=by,
        reason=reason,
        explanation=explanation.strip(),
        opened_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    audit.record(
        actor=by,
        action=audit.Action.BREAK_GLASS,
        subject=person,
        detail={"reason": reason, "break_glass": str(entry.pk)},
    )
    officers = Staff.objects.filter(role=Role.INFORMATION_GOVERNANCE, is_active=True)
    notifications.notify(
        [restriction.set_by, *officers],
        kind=Notification.Kind.GENERAL,
        title=f"Break-glass access to a restricted record by {by.get_full_name() or by}",
        body=f"{BreakGlass.Reason(reason).label}. It lasts {settings.BREAK_GLASS_MINUTES} "
        "minutes and is listed for review.",
        person=person,
        url="/governance/break-glass/",
        email=True,
    )
    return entry


@transaction.atomic
def review(*, entry: BreakGlass, by, outcome: str, note: str = "") -> BreakGlass:
    if not by.has_perm("referrals.review_break_glass"):
        raise NotPermitted("Break-glass reviews are for information governance.")
    if outcome not in BreakGlass.Review.values or outcome == BreakGlass.Review.PENDING:
        raise RestrictionRefused("Choose the outcome of the review.")
    entry = BreakGlass.objects.select_for_update().get(pk=entry.pk)
    entry.review, entry.review_note = outcome, note.strip()
    entry.reviewed_by, entry.reviewed_at = by, timezone.now()
    entry.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    audit.record(actor=by, action=audit.Action.CHANGE, subject=entry, detail={"review": outcome})
    return entry
