"""What every app's admin builds on: read-only registrations, and child data that is read in
the admin leaving the same audit rows as the pages.

Records about children (people, referrals, chronologies, IRDs, reviews, partner submissions)
change only through the services, which check the rules and audit the change: in the admin
they are read-only. Reading them is audited: one row for a list page (naming the records
shown, never the words searched for) and one for each record opened.
"""

from django.contrib import admin
from django.db import models

from referrals import audit
from referrals.validation import in_date_range


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DateRangeAdmin(admin.ModelAdmin):
    """Dates and times typed in the admin are held to the pages' range (1900 to 2100), so
    none can overflow what is worked out from them (a closure day, a deadline's escalations)."""

    formfield_overrides = {
        models.DateField: {"validators": [in_date_range]},
        models.DateTimeField: {"validators": [in_date_range]},
    }


class RowsWithRelated:
    """Mix into an inline: the records each row names (in its fields and its title) are read
    with the rows, in the same statement, rather than one statement a row (issue 14, P7)."""

    rows_with: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # Never select_related() bare: it follows every link that cannot be empty.
        return queryset.select_related(*self.rows_with) if self.rows_with else queryset


class ReadOnlyInline(RowsWithRelated):
    """Mix into an inline of a read-only record."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ChildDataAdmin(ReadOnlyAdmin):
    """Read-only, and every page of it audited like the application's own pages."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit.record(
                actor=request.user,
                action=audit.Action.SEARCH if request.GET.get("q") else audit.Action.VIEW,
                object_type=self.model._meta.model_name,
                detail={
                    "admin": "list",
                    "shown": [str(obj.pk) for obj in changelist.result_list],
                },
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", {}).get("original")
        if shown is not None:
            audit.record(
                actor=request.user,
                action=audit.Action.VIEW,
                subject=shown,
                detail={"admin": "record"},
            )
        return response
