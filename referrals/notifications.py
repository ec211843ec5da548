"""Telling staff what needs them: in-app notifications, and who a team's managers are."""

from collections.abc import Iterable

from referrals.models import Notification, Person, Referral, Role, Staff, Team


def team_managers(team: Team) -> list[Staff]:
    return list(Staff.objects.filter(team=team, role=Role.TEAM_MANAGER, is_active=True))


def notify(
    recipients: Iterable[Staff],
    *,
    kind: str,
    title: str,
    body: str = "",
    referral: Referral | None = None,
    person: Person | None = None,
) -> list[Notification]:
    unique = {staff.pk: staff for staff in recipients}
    return Notification.objects.bulk_create(
        Notification(
            recipient=staff, kind=kind, title=title, body=body, referral=referral, person=person
        )
        for staff in unique.values()
    )
