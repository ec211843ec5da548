"""Telling staff what needs them: in-app notifications (e-mailed too where asked), and who a
team's managers are."""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from referrals import memo, queueing, tasks
from referrals.models import Notification, Person, Referral, Role, Staff, Team

logger = logging.getLogger(__name__)


def team_managers(team: Team) -> list[Staff]:
    managers = memo.remembered(
        ("team_managers", team.pk),
        lambda: tuple(Staff.objects.filter(team=team, role=Role.TEAM_MANAGER, is_active=True)),
    )
    return list(managers)


def notify(
    recipients: Iterable[Staff],
    *,
    kind: str,
    title: str,
    body: str = "",
    referral: Referral | None = None,
    person: Person | None = None,
    url: str = "",
    email: bool = False,
) -> list[Notification]:
    """One notification per recipient. With `email`, each is also e-mailed (title and link
    only: no personal details in e-mail) by a task queued once the transaction commits."""
    unique = {staff.pk: staff for staff in recipients}
    created = Notification.objects.bulk_create(
        Notification(
            recipient=staff,
            kind=kind,
            title=title,
            body=body,
            referral=referral,
            person=person,
            url=url,
            email_wanted=email,
        )
        for staff in unique.values()
    )
    if email:
        for notification in created:
            transaction.on_commit(partial(queue_email, notification.pk), robust=True)
    return created


def queue_email(notification_id) -> None:
    # Broker down: the deadline sweep finds unsent e-mail and queues it again.
    queueing.enqueue(tasks.send_notification_email, str(notification_id))


def unsent_emails(older_than) -> list:
    return list(
        Notification.objects.filter(
            email_wanted=True, emailed_at__isnull=True, created_at__lte=older_than
        ).values_list("pk", flat=True)[:200]
    )


@transaction.atomic
def notification_email(*, notification_id) -> None:
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient", "referral")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None:
        return
    if notification.recipient.email:
        link = notification.url or (
            f"/referrals/{notification.referral_id}/" if notification.referral_id else "/"
        )
        send_mail(
            subject=notification.title,
            message=f"{notification.title}\n\nOpen it: {settings.SITE_URL.rstrip('/')}{link}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
