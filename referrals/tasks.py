"""Celery tasks: thin wrappers around services, ids in, safe to run twice."""

import smtplib

from celery import shared_task

from referrals import audit_chain, deadlines, notifications
from referrals.services import disposal, feedback, retention


@shared_task(acks_late=True, ignore_result=True)
def sweep_deadlines() -> int:
    return len(deadlines.sweep())


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=10,
)
def send_deadline_alert_email(alert_id: int) -> None:
    deadlines.alert_email(alert_id=alert_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=10,
)
def send_notification_email(notification_id: str) -> None:
    notifications.notification_email(notification_id=notification_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=10,
)
def send_referrer_feedback_email(feedback_id: str) -> None:
    feedback.referrer_email(feedback_id=feedback_id)


@shared_task(acks_late=True, ignore_result=True)
def resend_unsent_referrer_email() -> int:
    return feedback.resend_unsent_referrer_email()


@shared_task(acks_late=True, ignore_result=True)
def export_audit_head() -> None:
    audit_chain.export_head()


@shared_task(acks_late=True, ignore_result=True)
def list_disposal_due() -> int:
    """The monthly list for a manager's approval, e-mailed to information governance."""
    due = retention.due_for_disposal()  # listed once, for both the list and the e-mail
    disposal.prepare_list(due=due)
    return retention.email_due_listing(due=due)


@shared_task(acks_late=True, ignore_result=True)
def carry_out_disposal(disposal_list_id: str) -> None:
    disposal.carry_out(disposal_list_id)


@shared_task(acks_late=True, ignore_result=True)
def resume_disposal() -> int:
    return disposal.resume_approved()
