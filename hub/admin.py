"""Administration of the hub: its settings, rubrics (drafted, published, never edited once in
use), the audit panel; reviews and audit rounds are shown read-only."""

from django.contrib import admin, messages

from hub import services
from hub.models import (
    AuditPanelMember,
    AuditRound,
    Criterion,
    Factor,
    HubSettings,
    Review,
    ReviewClaim,
    Rubric,
)
from referrals.admin_base import ChildDataAdmin, ReadOnlyInline
from referrals.errors import DomainError


@admin.register(HubSettings)
class HubSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "claim_minutes",
        "hub_team",
        "audit_every_months",
        "audit_sample_size",
        "auditors_per_record",
    ]

    def has_add_permission(self, request):
        return not HubSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class LockedOncePublished:
    """Criteria and factors change only while their rubric is a draft."""

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.editable) and super().has_delete_permission(request, obj)


class CriterionInline(LockedOncePublished, admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "code", "label", "guidance"]


class FactorInline(LockedOncePublished, admin.TabularInline):
    model = Factor
    extra = 0
    fields = ["position", "kind", "label"]


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "version", "state", "published_at"]
    list_filter = ["kind", "state"]
    inlines = [CriterionInline, FactorInline]
    actions = ["draft_new_version", "publish"]
    readonly_fields = ["state", "published_at", "version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.editable:
            return ["kind", "version", "name", "description", "state", "published_at"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            latest = Rubric.objects.filter(kind=obj.kind).order_by("-version").first()
            obj.version = latest.version + 1 if latest else 1
        super().save_model(request, obj, form, change)

    @admin.action(description="Draft a new version of the selected rubric")
    def draft_new_version(self, request, queryset):
        for rubric in queryset:
            draft = services.rubric_new_version(rubric=rubric, by=request.user)
            self.message_user(request, f"Drafted {draft}: change it, then publish it.")

    @admin.action(description="Publish the selected draft (retires the version in use)")
    def publish(self, request, queryset):
        for rubric in queryset:
            try:
                services.rubric_publish(rubric=rubric, by=request.user)
            except DomainError as error:
                self.message_user(request, f"{rubric}: {error}", level=messages.ERROR)
            else:
                self.message_user(request, f"{rubric.name} version {rubric.version} is in use.")


@admin.register(AuditPanelMember)
class AuditPanelMemberAdmin(admin.ModelAdmin):
    list_display = ["staff", "staff_agency", "active", "added_at"]
    list_select_related = ["staff__agency"]
    list_filter = ["active", "staff__agency"]
    autocomplete_fields = ["staff"]

    @admin.display(description="Agency")
    def staff_agency(self, obj):
        return obj.staff.agency


class ClaimInline(ReadOnlyInline, admin.TabularInline):
    model = ReviewClaim
    rows_with = ("reviewer",)
    fields = ["reviewer", "state", "claimed_at", "expires_at", "ended_at"]
    readonly_fields = fields


@admin.register(Review)
class ReviewAdmin(ChildDataAdmin):
    list_display = ["referral", "kind", "state", "entered_at", "submitted_by", "overall"]
    list_select_related = ["referral", "submitted_by"]
    list_filter = ["kind", "state"]
    search_fields = ["referral__reference"]
    inlines = [ClaimInline]


@admin.register(AuditRound)
class AuditRoundAdmin(ChildDataAdmin):
    list_display = ["__str__", "state", "opened_at", "seed", "sample_size", "summary_sent_at"]
