"""The partner API's own records: who may call it, the hashed tokens they call it with, the
idempotency keys that make retries safe, which client submitted which concern, and the events
(and webhook deliveries) that tell partners what became of their concerns."""

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

TOKEN_LIFETIME = timedelta(days=90)
MAX_ACTIVE_TOKENS = 2  # the old one and the new one, while a partner rotates
MAX_DELIVERY_ATTEMPTS = 10  # per webhook event; also bounds redeliveries by the broker


class ApiClient(models.Model):
    """A partner system (for example a police force's concern database). It acts for its agency:
    it sees the concerns that its agency's clients submitted, and nothing else.

    A client is what `request.user` is on partner API requests, so it answers the few questions
    DRF asks of a user; the audit log names it by `str()` with its agency's code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True, help_text="The partner system's name.")
    agency = models.ForeignKey(
        "referrals.Agency", on_delete=models.PROTECT, related_name="api_clients"
    )
    is_active = models.BooleanField(
        default=True, help_text="An inactive client's valid tokens are refused with 403."
    )
    webhook_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="HTTPS address that receives signed event notifications. Leave empty for none.",
    )
    # A shared HMAC key: we must be able to sign with it, so it is stored as given (not hashed),
    # shown once when generated and never displayed again.
    webhook_secret = models.CharField(max_length=128, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # What DRF and the audit log ask of request.user.
    is_authenticated = True
    is_anonymous = False
    is_api_client = True
    role = "api_client"

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name


def _default_expiry():
    return timezone.now() + TOKEN_LIFETIME


class ApiToken(models.Model):
    """Only a SHA-256 hash of the token is kept; `prefix` (not secret) finds the row. Tokens are
    long random strings, so a fast hash is enough: there is nothing to guess from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_default_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.client} token {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyKey(models.Model):
    """One row per (client, Idempotency-Key). Inserted `in_progress` in its own committed
    transaction before the work starts, so the unique constraint decides which of several
    concurrent retries does the work; completed in the same transaction as the work."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the canonical request.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    locked_at = models.DateTimeField(help_text="When the current attempt took the key.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.key}"


class SubmittedConcern(models.Model):
    """Which client submitted which referral, under which of its own references, and the fields
    as it submitted them (a partner reads back what it sent, never what the council holds)."""

    referral = models.OneToOneField(
        "referrals.Referral",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="partner_submission",
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="concerns")
    external_reference = models.CharField(max_length=64)
    submitted = models.JSONField(help_text="The validated submission, children in order.")
    child_link_ids = models.JSONField(
        default=list, help_text="ReferralChild ids in the order the children were submitted."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_reference"], name="external_reference_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.external_reference}"


class WebhookEvent(models.Model):
    """Something a partner should hear about its concern. Kept whether or not the client has a
    webhook, so that `GET /api/v1/events/` can replay what a partner missed."""

    class Type(models.TextChoices):
        STATUS_CHANGED = "concern.status_changed", "Concern status changed"
        DECISION_APPROVED = "concern.decision_approved", "Screening decision approved"
        FEEDBACK_GIVEN = "concern.feedback_given", "Practice hub feedback given"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="events")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_type = models.CharField(max_length=40, choices=Type.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["client", "created_at"], name="webhook_event_client_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(delivered_at__isnull=True),
                name="webhook_event_undelivered_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.created_at:%Y-%m-%d %H:%M}"


class WebhookDelivery(models.Model):
    """One attempt to POST an event to the client's webhook: what came back, or what failed."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    url = models.CharField(max_length=500)
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        outcome = self.status_code or self.error or "no answer"
        return f"{self.event} at {self.attempted_at:%Y-%m-%d %H:%M}: {outcome}"
