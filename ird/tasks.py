"""Celery tasks for IRDs: thin wrappers around services, ids in, safe to run twice."""

import smtplib

from celery import shared_task

from ird import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=10,
)
def send_calendar_message(message_id: str) -> None:
    services.calendar_message_send(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def resend_unsent_calendar_messages() -> int:
    return services.calendar_resend_unsent()
