"""Who may see and do what in the practice hub; the only way hub views load a protected record.

Built on referrals.access: practice hub reviewers work the queue; the child protection
committee (QA) reads everything the hub holds, runs practice audits and reads the reports, as
service managers do; team managers see their own team's feedback; auditors, whatever their
agency, see the records they are asked to grade. A review becomes visible to social work staff
once it is submitted. Out of scope and missing look the same: both are 404, and a real record
refused leaves a "denied" audit row."""

from uuid import UUID

from django.db.models import QuerySet

from hub.models import AuditAssignment, AuditPanelMember, AuditRound, Review
from referrals import access as core_access
from referrals import restrictions
from referrals.access import MANAGER_ROLES, QUALITY_ROLES, is_social_work_staff, visible_or_404
from referrals.models import ReferralChild, Role


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_reviewer(user) -> bool:
    return _active(user) and user.role == Role.HUB_REVIEWER


def is_committee(user) -> bool:
    return _active(user) and user.role == Role.COMMITTEE


def is_quality_staff(user) -> bool:
    return _active(user) and user.role in QUALITY_ROLES


# The rule lives in the core: ird's child protection statistics are read by the same people.
can_read_reports = core_access.can_read_reports


def can_see_team_feedback(user) -> bool:
    """Team managers (their own team) and service managers (every team)."""
    if not (is_social_work_staff(user) and user.role in MANAGER_ROLES):
        return False
    return user.role == Role.SERVICE_MANAGER or user.team_id is not None


def can_run_audits(user) -> bool:
    return is_committee(user)


def can_read_audit_rounds(user) -> bool:
    return is_quality_staff(user)


def is_auditor(user) -> bool:
    """On the audit panel, or with audit work of their own."""
    if not _active(user):
        return False
    return (
        AuditPanelMember.objects.filter(staff=user, active=True).exists()
        or AuditAssignment.objects.filter(auditor=user).exists()
    )


def can_see_audit_work(user) -> bool:
    return can_read_audit_rounds(user) or is_auditor(user)


def reviews_visible_to(user) -> QuerySet[Review]:
    if is_quality_staff(user):
        return Review.objects.all()
    if is_social_work_staff(user):
        return Review.objects.filter(state=Review.State.SUBMITTED)
    return Review.objects.none()


def rounds_visible_to(user) -> QuerySet[AuditRound]:
    if can_read_audit_rounds(user):
        return AuditRound.objects.all()
    return AuditRound.objects.none()


def assignments_visible_to(user) -> QuerySet[AuditAssignment]:
    if not _active(user):
        return AuditAssignment.objects.none()
    return AuditAssignment.objects.filter(auditor=user)


def learning_visible_to(user) -> QuerySet[AuditRound]:
    """A round's learning summary, once sent: for social work staff, quality staff and the
    round's auditors."""
    sent = AuditRound.objects.filter(summary_sent_at__isnull=False)
    if is_quality_staff(user) or is_social_work_staff(user):
        return sent
    if _active(user):
        return sent.filter(records__assignments__auditor=user).distinct()
    return AuditRound.objects.none()


def access_review(user, review_id: UUID, queryset: QuerySet | None = None) -> Review:
    """`queryset`, if given, must already be narrowed by `reviews_visible_to(user)`."""
    visible = queryset if queryset is not None else reviews_visible_to(user)
    review = visible_or_404(visible, user, review_id)
    # A review shows the children: a restricted child's needs the core's clearance.
    children = ReferralChild.objects.filter(referral_id=review.referral_id)
    restrictions.require_clearance(user, children.values_list("person_id", flat=True))
    return review


def access_round(user, round_id: UUID, queryset: QuerySet | None = None) -> AuditRound:
    visible = queryset if queryset is not None else rounds_visible_to(user)
    return visible_or_404(visible, user, round_id)


def access_learning(user, round_id: UUID) -> AuditRound:
    return visible_or_404(learning_visible_to(user), user, round_id)


def access_assignment(
    user, assignment_id: UUID, queryset: QuerySet | None = None
) -> AuditAssignment:
    visible = queryset if queryset is not None else assignments_visible_to(user)
    assignment = visible_or_404(visible, user, assignment_id)
    restrictions.require_clearance(user, [assignment.record.person_id])
    return assignment


def sees_every_team(user) -> bool:
    """A service manager's team feedback covers every team (and may pick one); a team
    manager's only their own."""
    return user.role == Role.SERVICE_MANAGER
