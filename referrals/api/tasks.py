"""Partner API background work: webhook delivery with retries, and clearing old idempotency
keys. Ids in, never model instances; the services check state, so a repeated run is harmless."""

from celery import shared_task

from referrals.api import idempotency, webhooks
from referrals.api.errors import WebhookDeliveryFailed
from referrals.api.models import MAX_DELIVERY_ATTEMPTS


@shared_task(
    acks_late=True,
    autoretry_for=(WebhookDeliveryFailed,),
    retry_backoff=30,  # 30 s, 60 s, 120 s ... between attempts
    retry_backoff_max=600,  # well inside the broker's visibility timeout (pitfall 1)
    retry_jitter=True,
    max_retries=MAX_DELIVERY_ATTEMPTS - 1,
)
def deliver_webhook(event_id: str) -> None:
    if not webhooks.webhook_deliver(event_id=event_id):
        raise WebhookDeliveryFailed(f"webhook event {event_id} not delivered yet")


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    """Run hourly: keys go when their retention class's period ends (at least 24 hours)."""
    return idempotency.keys_purge()


@shared_task(acks_late=True)
def redeliver_pending_webhooks() -> int:
    """Run every few minutes: queues events whose delivery was never queued or never ended."""
    return webhooks.redeliver_pending()
