from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from referrals import audit, deadlines, second_factor
from referrals.admin_base import ChildDataAdmin, DateRangeAdmin, ReadOnlyInline, RowsWithRelated
from referrals.models import (
    Agency,
    AuditEntry,
    ChronologyEntry,
    ClosureDay,
    ConcernCategory,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Deadline,
    DeadlineAlert,
    EmergencyMeasureKind,
    EscalationContact,
    LegalHold,
    Notification,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    RetentionClass,
    ScreeningDecision,
    ShareRoute,
    Staff,
    Team,
    Timescale,
)
from referrals.services import retention


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "locality", "receives_partner_concerns"]
    list_filter = ["agency", "locality"]
    search_fields = ["name"]
    autocomplete_fields = ["service_manager"]


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "agency", "team", "is_active"]
    list_select_related = ["agency", "team"]
    list_filter = ["role", "agency", "team", "is_active", "is_staff"]
    fieldsets = UserAdmin.fieldsets + (
        ("Role and agency", {"fields": ["role", "agency", "team", "job_title", "phone"]}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (
            "Role and agency",
            {"fields": ["first_name", "last_name", "email", "role", "agency", "team"]},
        ),
    )
    actions = ["disable_accounts", "reset_second_factor"]

    def save_model(self, request, obj, form, change):
        """Creating and changing staff accounts is audited: which fields, never their values."""
        super().save_model(request, obj, form, change)
        fields = sorted(
            name for name in form.changed_data if name not in {"password1", "password2"}
        )
        audit.record(
            actor=request.user,
            action=audit.Action.CHANGE if change else audit.Action.CREATE,
            subject=obj,
            detail={"fields": fields, "disabled": not obj.is_active} if change else {},
        )

    @admin.action(description="Disable their accounts (their sessions end at once)")
    def disable_accounts(self, request, queryset):
        for staff in queryset.filter(is_active=True):
            staff.is_active = False
            staff.save(update_fields=["is_active"])
            audit.record(
                actor=request.user,
                action=audit.Action.CHANGE,
                subject=staff,
                detail={"fields": ["is_active"], "disabled": True},
            )
        self.message_user(request, "Accounts disabled; their sessions have ended.")

    @admin.action(description="Reset their second factor (a lost phone): they enrol again")
    def reset_second_factor(self, request, queryset):
        for staff in queryset:
            second_factor.reset(user=staff, by=request.user)
        self.message_user(
            request,
            f"Second factor reset for {queryset.count()} people; their sessions have ended and "
            "each enrols an authenticator app at their next sign-in.",
        )


@admin.register(ConcernCategory)
class ConcernCategoryAdmin(DateRangeAdmin):
    list_display = ["label", "code", "is_neglect", "valid_from", "valid_to", "display_order"]
    list_editable = ["valid_from", "valid_to", "display_order"]


@admin.register(EmergencyMeasureKind)
class EmergencyMeasureKindAdmin(DateRangeAdmin):
    """One row per kind the rules know (EmergencyMeasure.Kind): retire one with its last day,
    never delete or add one."""

    list_display = ["label", "code", "valid_from", "valid_to", "display_order"]
    list_editable = ["valid_from", "valid_to", "display_order"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CumulativeHarmRule)
class CumulativeHarmRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "concern_count",
        "window_days",
        "category",
        "counts_neglect_only",
        "active",
    ]


class RelationshipInline(ReadOnlyInline, admin.TabularInline):
    model = Relationship
    fk_name = "person"
    rows_with = ("person", "relative")
    autocomplete_fields = ["relative"]
    extra = 0


@admin.register(Person)
class PersonAdmin(ChildDataAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "postcode", "merged_into"]
    search_fields = ["last_name", "first_name", "chi_number"]
    list_filter = ["unborn", "sex"]
    readonly_fields = ["first_name_key", "last_name_key", "merged_into"]
    inlines = [RelationshipInline]


class ReferralChildInline(ReadOnlyInline, admin.TabularInline):
    model = ReferralChild
    fk_name = "referral"
    rows_with = ("referral", "person", "proposed_match")
    autocomplete_fields = ["person", "proposed_match"]
    extra = 0


class ReferralAdultInline(ReadOnlyInline, admin.TabularInline):
    model = ReferralAdult
    rows_with = ("referral", "person")
    autocomplete_fields = ["person"]
    extra = 0


class ScreeningDecisionInline(ReadOnlyInline, admin.StackedInline):
    model = ScreeningDecision
    extra = 0
    rows_with = ("proposed_by", "reviewed_by")
    readonly_fields = ["proposed_by", "proposed_at", "reviewed_by", "reviewed_at", "state"]


@admin.register(Referral)
class ReferralAdmin(ChildDataAdmin):
    list_display = ["reference", "status", "team", "source_agency", "received_at", "immediate_risk"]
    list_filter = ["status", "team", "source_agency", "immediate_risk", "categories"]
    search_fields = ["reference", "external_reference"]
    readonly_fields = ["reference", "status", "version", "received_by", "created_at", "updated_at"]
    filter_horizontal = ["categories"]
    inlines = [ReferralChildInline, ReferralAdultInline, ScreeningDecisionInline]
    date_hierarchy = "received_at"


@admin.register(ChronologyEntry)
class ChronologyEntryAdmin(ChildDataAdmin):
    list_display = ["person", "occurred_at", "kind", "referral"]
    list_select_related = ["person", "referral"]
    list_filter = ["kind"]
    autocomplete_fields = ["person"]
    raw_id_fields = ["referral"]


@admin.register(CumulativeHarmFlag)
class CumulativeHarmFlagAdmin(ChildDataAdmin):
    list_display = ["person", "rule", "raised_at", "concern_count", "status"]
    list_filter = ["status", "rule"]
    raw_id_fields = ["person", "triggered_by", "addressed_by"]


@admin.register(Notification)
class NotificationAdmin(ChildDataAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "referral", "person"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is searched here, never edited (the database refuses it too)."""

    list_display = [
        "at",
        "actor_label",
        "actor_role",
        "actor_agency",
        "action",
        "object_type",
        "object_id",
        "ip_address",
    ]
    list_filter = ["action", "object_type", "actor_role", "actor_agency"]
    search_fields = ["object_id", "actor_label", "request_id", "ip_address"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Timescale)
class TimescaleAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "kind",
        "amount",
        "unit",
        "warning_before",
        "escalate_to_manager_after",
        "escalate_to_service_manager_after",
    ]
    search_fields = ["label", "kind"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            deadlines.timescale_changed(obj)  # open deadlines follow the edited ladder


@admin.register(EscalationContact)
class EscalationContactAdmin(admin.ModelAdmin):
    """Who hears of another agency's overdue work. The list warns of agencies with none."""

    list_display = ["agency", "team", "staff", "mailbox"]
    list_filter = ["agency"]
    raw_id_fields = ["staff"]

    def changelist_view(self, request, extra_context=None):
        missing = Agency.objects.exclude(
            kind__in=[Agency.Kind.SOCIAL_WORK, Agency.Kind.COMMUNITY]
        ).exclude(escalation_contacts__isnull=False)
        names = ", ".join(agency.name for agency in missing)
        if names:
            messages.warning(
                request,
                f"No escalation contact for: {names}. Their overdue work escalates only to the "
                "social work service manager until one is set.",
            )
        return super().changelist_view(request, extra_context)


@admin.register(ClosureDay)
class ClosureDayAdmin(DateRangeAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


class DeadlineAlertInline(RowsWithRelated, admin.TabularInline):
    model = DeadlineAlert
    rows_with = ("deadline__timescale",)
    extra = 0
    readonly_fields = ["level", "created_at", "emailed_at"]
    can_delete = False


@admin.register(Deadline)
class DeadlineAdmin(DateRangeAdmin):
    list_display = [
        "timescale",
        "subject_type",
        "referral",
        "owner",
        "team",
        "due_at",
        "state",
        "level",
    ]
    list_select_related = ["timescale", "referral", "owner", "team"]
    list_filter = ["state", "level", "timescale", "team"]
    raw_id_fields = ["referral", "owner"]
    readonly_fields = ["next_action_at", "breached_at", "completed_at", "level"]
    inlines = [DeadlineAlertInline]
    date_hierarchy = "due_at"


@admin.register(RetentionClass)
class RetentionClassAdmin(admin.ModelAdmin):
    """Periods change with the council's retention schedule; each change is audited."""

    list_display = ["record_type", "period", "unit", "trigger", "disposal", "source", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # a record type without a class would be kept for ever, silently

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=AuditEntry.Action.CHANGE if change else AuditEntry.Action.CREATE,
            subject=obj,
            detail={"fields": sorted(form.changed_data)},
        )


@admin.register(ShareRoute)
class ShareRouteAdmin(admin.ModelAdmin):
    """The lawful basis of each way data leaves; every share records what was in force then,
    and every change here is audited."""

    list_display = ["route", "lawful_basis", "special_category_condition", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        present = set(ShareRoute.objects.values_list("route", flat=True))
        return super().has_add_permission(request) and present != set(ShareRoute.Route.values)

    def has_delete_permission(self, request, obj=None):
        return False  # a share without a recorded basis is not allowed to go unnoticed

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=AuditEntry.Action.CHANGE if change else AuditEntry.Action.CREATE,
            subject=obj,
            detail={"fields": sorted(form.changed_data)},
        )


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["person", "reason", "lift_reason"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            person = data.get("person")
            if person and LegalHold.objects.filter(person=person, lifted_at__isnull=True).exists():
                raise forms.ValidationError("This person's records are already under a legal hold.")
        elif self.instance.lifted_at is None and not (data.get("lift_reason") or "").strip():
            raise forms.ValidationError("To lift the hold, say why it is no longer needed.")
        return data


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Placed with a reason; lifted (never deleted) with a reason; both through the service,
    which checks the permission and audits."""

    form = LegalHoldForm
    list_display = ["pk", "person_id", "set_by", "set_at", "lifted_at"]
    list_filter = ["lifted_at"]
    raw_id_fields = ["person"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["person", "reason"]
        return ["person", "reason", "set_by", "set_at", "lift_reason", "lifted_by", "lifted_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["person", "reason", "set_by", "set_at", "lifted_by", "lifted_at"]
        return [*fixed, "lift_reason"] if obj.lifted_at else fixed

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(retention.MANAGE)

    def has_add_permission(self, request):
        return request.user.has_perm(retention.MANAGE)

    def save_model(self, request, obj, form, change):
        if change:
            lifted = retention.lift_hold(
                hold=obj, reason=form.cleaned_data["lift_reason"], by=request.user
            )
        else:
            lifted = retention.place_hold(
                person=form.cleaned_data["person"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        obj.pk = lifted.pk
