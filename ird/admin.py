"""IRD configuration in the admin: decision codes and CPPM types. The IRDs and CPPMs
themselves, their records and the procedure versions are shown read-only: they change through
the application's services, which keep the audit log, the deadlines and the calendar
invitations in step."""

from django.contrib import admin

from ird.models import (
    CalendarMessage,
    Cppm,
    CppmInvitation,
    CppmType,
    DecisionCode,
    Invitation,
    Ird,
    IrdAction,
    IrdDecision,
    ProcedureReview,
    ProcedureVersion,
    QualityReview,
)
from referrals.admin_base import ChildDataAdmin, DateRangeAdmin, ReadOnlyAdmin, ReadOnlyInline


@admin.register(DecisionCode)
class DecisionCodeAdmin(DateRangeAdmin):
    list_display = [
        "label",
        "code",
        "cppm",
        "medical_examination",
        "valid_from",
        "valid_to",
        "display_order",
    ]
    list_editable = ["valid_from", "valid_to", "display_order"]
    list_filter = ["cppm"]


@admin.register(CppmType)
class CppmTypeAdmin(DateRangeAdmin):
    """The four statutory kinds, seeded: retired by their dates, never added or deleted (the
    rules key on the kind; CPPMs keep theirs)."""

    list_display = ["label", "kind", "valid_from", "valid_to", "display_order"]
    list_editable = ["valid_from", "valid_to", "display_order"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvitationInline(ReadOnlyInline, admin.TabularInline):
    model = Invitation
    rows_with = ("staff", "agency", "ird")
    fields = ["staff", "agency", "role_in_ird", "invited_at", "removed_at"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline, admin.TabularInline):
    model = IrdDecision
    rows_with = ("code", "recorded_by")
    fields = ["code", "recorded_by", "recorded_at"]
    readonly_fields = fields


@admin.register(Ird)
class IrdAdmin(ChildDataAdmin):
    list_display = ["reference", "status", "scheduled_for", "chair", "recorder", "signed_off_at"]
    list_select_related = ["chair", "recorder"]
    list_filter = ["status"]
    search_fields = ["reference"]
    # Only what organises the IRD: the record's text is read in the application, where each
    # read is audited.
    fields = [
        "reference",
        "referral",
        "status",
        "requested_at",
        "scheduled_for",
        "duration_minutes",
        "coordinator",
        "chair",
        "recorder",
        "started_at",
        "concluded_at",
        "lead_professional",
        "signed_off_at",
        "signed_off_by",
        "cancelled_at",
        "calendar_sequence",
        "version",
        "record_version",
    ]
    raw_id_fields = ["referral"]
    inlines = [InvitationInline, DecisionInline]


class CppmInvitationInline(ReadOnlyInline, admin.TabularInline):
    model = CppmInvitation
    rows_with = ("staff", "agency", "cppm")
    fields = ["staff", "agency", "role_in_cppm", "invited_at"]
    readonly_fields = fields


@admin.register(Cppm)
class CppmAdmin(ChildDataAdmin):
    list_display = ["reference", "kind", "status", "scheduled_for", "chair", "held_at"]
    list_filter = ["kind", "status"]
    search_fields = ["reference"]
    # What organises the meeting; its record and the reasons given are read in the
    # application, where each read is audited.
    fields = [
        "reference",
        "referral",
        "ird",
        "previous",
        "kind",
        "status",
        "scheduled_for",
        "duration_minutes",
        "coordinator",
        "chair",
        "extended_by",
        "held_at",
        "outcome_recorded_by",
        "lead_professional",
        "reporter_referral",
        "record_issued_at",
        "cancelled_at",
        "cancelled_by",
        "calendar_sequence",
        "version",
    ]
    inlines = [CppmInvitationInline]


@admin.register(IrdAction)
class IrdActionAdmin(ChildDataAdmin):
    list_display = ["ird", "owner_agency", "owner", "due_date", "status", "version"]
    list_select_related = ["ird", "owner_agency", "owner"]
    list_filter = ["status", "owner_agency"]
    fields = [
        "ird",
        "owner_agency",
        "owner",
        "due_date",
        "status",
        "completed_at",
        "completed_by_label",
        "holds_cppm",
        "version",
    ]


@admin.register(CalendarMessage)
class CalendarMessageAdmin(ChildDataAdmin):
    list_display = ["ird", "cppm", "recipient", "method", "sequence", "created_at", "sent_at"]
    list_select_related = ["ird", "cppm", "recipient"]
    list_filter = ["method"]
    fields = ["ird", "cppm", "recipient", "method", "sequence", "created_at", "sent_at", "ics"]


@admin.register(QualityReview)
class QualityReviewAdmin(ChildDataAdmin):
    list_display = [
        "ird",
        "reviewer",
        "reviewed_at",
        "timeliness",
        "attendance",
        "completeness",
        "rationale",
    ]


class ProcedureReviewInline(ReadOnlyInline, admin.TabularInline):
    model = ProcedureReview
    fk_name = "procedure"
    rows_with = ("reviewed_by", "next_version")
    fields = ["outcome", "reviewed_by", "reviewed_at", "extended_until", "next_version"]
    readonly_fields = fields


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "version", "effective_from", "trial_ends_on", "status"]
    list_filter = ["status"]
    inlines = [ProcedureReviewInline]
