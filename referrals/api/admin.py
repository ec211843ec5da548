"""Administering partner API clients. A raw token or webhook secret is shown once, in the
message after the action that made it, and never again (only its hash or the secret's use
remains). Idempotency keys, events and deliveries are read-only."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from referrals.admin_base import ChildDataAdmin, ReadOnlyAdmin, ReadOnlyInline
from referrals.api import services
from referrals.api.errors import TokenRefused
from referrals.api.models import (
    ApiClient,
    ApiToken,
    IdempotencyKey,
    SubmittedConcern,
    WebhookDelivery,
    WebhookEvent,
)


class ApiTokenInline(ReadOnlyInline, admin.TabularInline):
    model = ApiToken
    fields = ["prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    rows_with = ("client",)
    readonly_fields = fields
    show_change_link = True


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "is_active", "active_tokens", "webhook_url", "created_at"]
    list_select_related = ["agency"]
    list_filter = ["agency", "is_active"]
    search_fields = ["name"]
    fields = ["name", "agency", "is_active", "webhook_url", "webhook_secret_set", "created_at"]
    readonly_fields = ["webhook_secret_set", "created_at"]
    inlines = [ApiTokenInline]
    actions = ["issue_token", "revoke_tokens", "new_webhook_secret"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        disabling = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if disabling:
            count = services.client_disable(client=obj, disabled_by=request.user)
            self.message_user(request, f"{obj.name} disabled: {count} token(s) revoked.")

    def get_queryset(self, request):
        # Each row's count of active tokens, counted in the list's own statement.
        active = Q(tokens__revoked_at__isnull=True, tokens__expires_at__gt=timezone.now())
        return (
            super()
            .get_queryset(request)
            .annotate(active_token_count=Count("tokens", filter=active))
        )

    @admin.display(description="active tokens")
    def active_tokens(self, client):
        return client.active_token_count

    @admin.display(description="webhook secret", boolean=True)
    def webhook_secret_set(self, client):
        return bool(client.webhook_secret)

    @admin.action(description="Issue a new token (shown once)")
    def issue_token(self, request, queryset):
        for client in queryset:
            try:
                token, raw = services.token_issue(client=client, issued_by=request.user)
            except TokenRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                continue
            self.message_user(
                request,
                f"New token for {client.name}, expiring {token.expires_at:%Y-%m-%d}. Copy it "
                f"now: it will not be shown again. {raw}",
                messages.WARNING,
            )

    @admin.action(description="Revoke all tokens")
    def revoke_tokens(self, request, queryset):
        for client in queryset:
            count = services.tokens_revoke(client=client, revoked_by=request.user)
            self.message_user(request, f"Revoked {count} token(s) of {client.name}.")

    @admin.action(description="Generate a new webhook signing secret (shown once)")
    def new_webhook_secret(self, request, queryset):
        for client in queryset:
            secret = services.webhook_secret_generate(client=client, changed_by=request.user)
            self.message_user(
                request,
                f"New webhook secret for {client.name}. Give it to the partner now: it will "
                f"not be shown again. {secret}",
                messages.WARNING,
            )


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["client", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["client"]
    fields = list_display
    readonly_fields = list_display
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # for the revoke action; every field is read-only

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for client in ApiClient.objects.filter(tokens__in=queryset).distinct():
            count = services.tokens_revoke(
                client=client, revoked_by=request.user, tokens=queryset.filter(client=client)
            )
            self.message_user(request, f"Revoked {count} token(s) of {client.name}.")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ChildDataAdmin):
    list_display = ["client", "key", "state", "response_status", "created_at", "completed_at"]
    list_filter = ["state", "client"]
    search_fields = ["key"]
    exclude = ["response_body"]  # it holds the concern as answered: children's details


@admin.register(SubmittedConcern)
class SubmittedConcernAdmin(ChildDataAdmin):
    list_display = ["external_reference", "client", "referral", "created_at"]
    list_filter = ["client"]
    search_fields = ["external_reference"]
    exclude = ["submitted"]


class WebhookDeliveryInline(ReadOnlyInline, admin.TabularInline):
    model = WebhookDelivery
    fields = ["attempted_at", "status_code", "succeeded", "error", "duration_ms", "url"]
    rows_with = ("event",)
    readonly_fields = fields


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "client", "created_at", "attempts", "delivered_at", "gave_up_at"]
    list_filter = ["event_type", "client"]
    readonly_fields = [
        "event_type",
        "client",
        "referral",
        "payload",
        "created_at",
        "attempts",
        "delivered_at",
        "gave_up_at",
    ]
    inlines = [WebhookDeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "attempted_at", "status_code", "succeeded", "error", "duration_ms"]
    list_filter = ["succeeded"]
    date_hierarchy = "attempted_at"
