"""Telling partner systems what became of their concerns: events, and signed webhook POSTs.

Services call `concern_event` inside their transaction. It records an event only for concerns a
partner submitted, and queues delivery with `delay_on_commit`, so a rolled-back change sends
nothing. Delivery state lives in the database (WebhookEvent, WebhookDelivery): a task that runs
twice finds the event delivered and stops.

Each delivery is a JSON POST with the header

    Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

so the receiver can check the body came from us, unaltered, recently (README: "For partner
developers")."""

import hashlib
import hmac
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from referrals import audit, queueing, sharing
from referrals.api import tasks
from referrals.api.models import (
    MAX_DELIVERY_ATTEMPTS,
    ApiClient,
    SubmittedConcern,
    WebhookDelivery,
    WebhookEvent,
)
from referrals.models import Referral, ReferralFeedback, ScreeningDecision

logger = logging.getLogger(__name__)

STATUS_CHANGED = WebhookEvent.Type.STATUS_CHANGED
DECISION_APPROVED = WebhookEvent.Type.DECISION_APPROVED
FEEDBACK_GIVEN = WebhookEvent.Type.FEEDBACK_GIVEN

SIGNATURE_HEADER = "Webhook-Signature"
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = MAX_DELIVERY_ATTEMPTS  # also bounds redeliveries by the broker (pitfall 2)
RETRY_BACKOFF_MAX = timedelta(seconds=600)  # tasks.deliver_webhook's retry_backoff_max


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def approved_decision(referral: Referral) -> ScreeningDecision | None:
    return (
        referral.screening_decisions.filter(state=ScreeningDecision.State.APPROVED)
        .order_by("-reviewed_at")
        .first()
    )


def decision_summary(decision: ScreeningDecision | None) -> dict | None:
    if decision is None:
        return None
    return {
        "code": decision.outcome,
        "label": decision.get_outcome_display(),
        "approved_at": _iso(decision.reviewed_at),
    }


def concern_event(
    referral: Referral, event_type: str, *, feedback: ReferralFeedback | None = None
) -> WebhookEvent | None:
    """Record that something happened to a partner's concern and queue its webhook. Does
    nothing for referrals no partner submitted. Call inside the change's transaction. An
    approved decision also moves the status, so it is told as a status change too."""
    if event_type == DECISION_APPROVED:
        concern_event(referral, STATUS_CHANGED)
    submission = (
        SubmittedConcern.objects.filter(referral_id=referral.pk).select_related("client").first()
    )
    if submission is None:
        return None
    if event_type == STATUS_CHANGED and _status_already_told(submission, referral.status):
        return None
    data = {
        "concern": {
            "id": str(referral.pk),
            "reference": referral.reference,
            "external_reference": submission.external_reference,
            "status": referral.status,
            "decision": decision_summary(approved_decision(referral)),
            "updated_at": _iso(referral.updated_at),
        }
    }
    if feedback is not None:
        data["feedback"] = {"id": str(feedback.pk), "given_at": _iso(feedback.given_at)}
    event = WebhookEvent(
        client=submission.client,
        referral=referral,
        event_type=event_type,
        created_at=timezone.now(),
    )
    event.payload = {
        "id": str(event.pk),
        "type": event_type,
        "created_at": _iso(event.created_at),
        "data": data,
    }
    event.save()
    if submission.client.webhook_url and submission.client.is_active:
        # delay_on_commit, made robust: a broker that is down at commit must not turn the
        # committed change into an error. The event row is the source of truth, and
        # redeliver_pending (beat) queues whatever was never sent.
        queueing.on_commit(tasks.deliver_webhook, str(event.pk))
    return event


def redeliver_pending(*, older_than: timedelta = timedelta(minutes=15), limit: int = 500) -> int:
    """Queue delivery again for events still undelivered a while after they were recorded
    (a publish lost between commit and broker, a worker that died). Returns how many."""
    cutoff = timezone.now() - older_than
    pending = list(
        WebhookEvent.objects.filter(
            delivered_at__isnull=True,
            gave_up_at__isnull=True,
            created_at__lt=cutoff,
            client__is_active=True,
        )
        .exclude(client__webhook_url="")
        # Retries already on their way (backoff is at most 10 minutes) are left to run.
        .exclude(deliveries__attempted_at__gte=timezone.now() - 2 * RETRY_BACKOFF_MAX)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    for event_id in pending:
        queueing.enqueue(tasks.deliver_webhook, str(event_id))
    return len(pending)


def _status_already_told(submission: SubmittedConcern, status: str) -> bool:
    """A second screening proposal (after a return) leaves the status as it was: no event."""
    last = (
        WebhookEvent.objects.filter(referral_id=submission.referral_id, event_type=STATUS_CHANGED)
        .order_by("-created_at")
        .values_list("payload", flat=True)
        .first()
    )
    if last is not None:
        return last["data"]["concern"]["status"] == status
    return status == Referral.Status.RECEIVED


# --- Delivery -------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def url_refusal(url: str) -> str:
    """Why `url` may not receive webhooks, or "" if it may: HTTPS only, plain HTTP only to a
    loopback address and only when settings allow it (development and tests)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "not a valid address"
    if parts.username or parts.password:
        return "credentials in the address are not allowed"
    if parts.scheme == "https" and host:
        return ""
    if parts.scheme == "http" and _is_loopback(host):
        allowed = settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_HTTP_LOOPBACK", False)
        return "" if allowed else "plain http is allowed only in development"
    return "webhooks go to https addresses only"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answer that redirects is a failed delivery: we never follow it elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def webhook_deliver(*, event_id) -> bool:
    """One delivery attempt. True when the event is delivered (now or before) or can never be
    (no webhook, refused address, too many attempts); False when it is worth trying again."""
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update()
            .select_related("client")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.delivered_at is not None or event.gave_up_at is not None:
            return True  # gone, delivered, or given up: a duplicate task has nothing to do
        client: ApiClient = event.client
        if not client.webhook_url or not client.is_active:
            return True
        now = timezone.now()
        refusal = url_refusal(client.webhook_url)
        if refusal:
            WebhookDelivery.objects.create(
                event=event, url=client.webhook_url[:500], attempted_at=now, error=refusal
            )
            event.gave_up_at = now
            event.save(update_fields=["gave_up_at"])
            return True
        body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "child-welfare-referrals-webhooks/1",
            "Webhook-Id": str(event.pk),
            SIGNATURE_HEADER: sign(client.webhook_secret, timestamp, body),
        }
        status_code, error = None, ""
        started = time.monotonic()
        try:
            status_code = _post(client.webhook_url, body, headers)
        except (urllib.error.URLError, OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        duration = int((time.monotonic() - started) * 1000)
        succeeded = status_code is not None and 200 <= status_code < 300
        WebhookDelivery.objects.create(
            event=event,
            url=client.webhook_url[:500],
            attempted_at=now,
            status_code=status_code,
            error=error,
            succeeded=succeeded,
            duration_ms=duration,
        )
        event.attempts += 1
        fields = ["attempts"]
        if succeeded:
            event.delivered_at = timezone.now()
            fields.append("delivered_at")
            audit.record(
                actor=client,
                action=audit.Action.EXPORT,
                object_type="referral",
                object_id=str(event.referral_id or ""),
                detail={
                    "via": "webhook",
                    "event": str(event.pk),
                    **sharing.basis(sharing.Route.API_WEBHOOK),
                },
            )
        elif event.attempts >= MAX_ATTEMPTS:
            event.gave_up_at = timezone.now()
            fields.append("gave_up_at")
            logger.warning("webhook %s: giving up after %s attempts", event.pk, event.attempts)
        event.save(update_fields=fields)
        return succeeded or event.gave_up_at is not None
