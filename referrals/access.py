"""Who may see and do what. The only way views load a protected record.

Social work staff see every referral and person of the council; hub reviewers and the child
protection committee read them for quality work; partner agencies' staff see children's
records only through IRDs they are invited to (ird/). Out of scope and missing look the
same: both are 404.
"""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from referrals import audit, extensions, restrictions
from referrals.models import Person, Referral, ReferralChild, Role

SOCIAL_WORK_ROLES = frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER})
QUALITY_ROLES = frozenset({Role.HUB_REVIEWER, Role.COMMITTEE})
MANAGER_ROLES = frozenset({Role.TEAM_MANAGER, Role.SERVICE_MANAGER})


def is_social_work_staff(user) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role in SOCIAL_WORK_ROLES
        and user.is_social_work
    )


def can_read_case_records(user) -> bool:
    if is_social_work_staff(user) or is_auditor(user):
        return True
    return getattr(user, "is_authenticated", False) and user.role in QUALITY_ROLES


def can_read_reports(user) -> bool:
    """The child protection committee and service managers read the reports: the hub's, and
    ird's statistics for the committee."""
    active = getattr(user, "is_authenticated", False) and user.is_active
    if active and user.role == Role.COMMITTEE:
        return True
    return is_social_work_staff(user) and user.role == Role.SERVICE_MANAGER


def is_auditor(user) -> bool:
    """The read-only auditor: reads every record in the authority, changes nothing (no change
    rule names the role), every read audited like anyone's."""
    return getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.AUDITOR


def can_intake(user) -> bool:
    return is_social_work_staff(user)


can_screen = can_intake


def can_work_on(user, referral: Referral) -> bool:
    """Need to know: any social work staff may read a referral (every read audited), but only
    its allocated team and that team's managers (or a service manager) screen, close or
    otherwise change it."""
    if not is_social_work_staff(user):
        return False
    return user.role == Role.SERVICE_MANAGER or user.team_id == referral.team_id


def not_your_team(referral: Referral) -> str:
    """Why another team's worker may not change the referral, and whom to ask."""
    from referrals.notifications import team_managers  # noqa: PLC0415 - avoids a cycle

    managers = ", ".join(m.get_full_name() or m.username for m in team_managers(referral.team))
    ask = f"ask {managers}" if managers else "ask its team manager"
    return (
        f"Referral {referral.reference} is allocated to {referral.team.name}: {ask} to "
        "reallocate it to you, or to act on it."
    )


def can_approve(user, referral: Referral) -> bool:
    if not is_social_work_staff(user):
        return False
    if user.role == Role.SERVICE_MANAGER:
        return True
    return user.role == Role.TEAM_MANAGER and user.team_id == referral.team_id


def can_merge_people(user) -> bool:
    return is_social_work_staff(user) and user.role in MANAGER_ROLES


def referrals_visible_to(user) -> QuerySet[Referral]:
    """Social work staff: every referral of the council (each read audited). Quality staff
    (hub reviewers, the committee): only what their quality work puts in front of them, as the
    app doing that work says (extensions.quality_scope: the hub's queue, their claims, the
    audit samples they grade). Everyone else: none."""
    if is_social_work_staff(user) or is_auditor(user):
        return Referral.objects.all()
    if can_read_case_records(user):
        return Referral.objects.filter(pk__in=extensions.quality_scope(user))
    return Referral.objects.none()


def people_visible_to(user) -> QuerySet[Person]:
    if is_social_work_staff(user) or is_auditor(user):
        return Person.objects.all()
    if can_read_case_records(user):
        in_scope = ReferralChild.objects.filter(referral__in=referrals_visible_to(user))
        return Person.objects.filter(pk__in=in_scope.values("person_id"))
    return Person.objects.none()


def visible_or_404(queryset: QuerySet, user, pk: UUID):
    """The record `pk` from `queryset` (already narrowed to what `user` may see), or 404, the
    same whether it is missing or out of scope; the second is audited as a denial. Every app
    opens its records through this."""
    model = queryset.model
    try:
        return queryset.get(pk=pk)
    except model.DoesNotExist:
        if model.objects.filter(pk=pk).exists():
            # Someone tried to open a record outside their scope: that is worth knowing.
            audit.record(
                actor=user,
                action=audit.Action.DENIED,
                object_type=model._meta.model_name,
                object_id=str(pk),
            )
        raise Http404(f"No {model._meta.verbose_name} found.") from None


def access_referral(user, referral_id: UUID, queryset: QuerySet | None = None) -> Referral:
    """`queryset`, if given, must already be narrowed by `referrals_visible_to(user)`. A
    referral about a restricted child needs clearance (restrictions.BreakGlassRequired)."""
    visible = queryset if queryset is not None else referrals_visible_to(user)
    referral = visible_or_404(visible, user, referral_id)
    restrictions.require_clearance(
        user, ReferralChild.objects.filter(referral=referral).values_list("person_id", flat=True)
    )
    return referral


def person_in_scope(user, person_id: UUID) -> Person:
    """The person if this user's role reaches them, restricted or not (for the break-glass page
    itself); out of scope is 404, audited, as everywhere."""
    return visible_or_404(people_visible_to(user), user, person_id)


def access_person(user, person_id: UUID, queryset: QuerySet | None = None) -> Person:
    """`queryset`, if given, must already be narrowed by `people_visible_to(user)`; a
    restricted person needs clearance (restrictions.BreakGlassRequired)."""
    visible = queryset if queryset is not None else people_visible_to(user)
    person = visible_or_404(visible, user, person_id)
    restrictions.require_clearance(user, [person.pk])
    return person


def can_acknowledge_feedback(user, referral) -> bool:
    """The practice hub's feedback is acknowledged by the member of staff who received the
    referral, or a manager of its team."""
    if not is_social_work_staff(user):
        return False
    return user.pk == referral.received_by_id or (
        user.role == Role.TEAM_MANAGER and user.team_id == referral.team_id
    )


def referral_page_permissions(user, referral) -> dict[str, bool]:
    """What this user may do from the referral's page, each rule in one place: change it, merge
    people, propose a screening decision (none waiting), review one (four eyes: a manager who
    did not propose it), close it once decided, acknowledge the hub's feedback."""
    decision = referral.current_decision
    proposed = decision is not None and decision.state == decision.State.PROPOSED
    works_on = can_work_on(user, referral)
    return {
        "can_change": works_on,
        "can_merge": can_merge_people(user),
        "can_screen": works_on
        and referral.status in {Referral.Status.RECEIVED, Referral.Status.SCREENING}
        and not proposed,
        "can_review": proposed
        and can_approve(user, referral)
        and decision.proposed_by_id != user.pk,
        "can_close": works_on
        and referral.status in {Referral.Status.DECIDED, Referral.Status.IRD_HELD},
        "can_acknowledge_feedback": can_acknowledge_feedback(user, referral),
    }
