"""The child protection committee's statistics page and its CSV return. For those who read
the hub's reports (the committee and service managers); a bad period is a form error on the
page (400), nothing counted."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from ird import access, forms, statistics
from referrals import audit, ratelimit, sharing
from referrals.csv_export import csv_response

REFUSED = "Child protection statistics are for the child protection committee and service managers."


def _period(request) -> tuple[forms.StatisticsPeriodForm, tuple | None]:
    """The period asked for, or the statistics year of today when none is."""
    if not request.GET:
        start, end = statistics.statistics_year(timezone.localdate())
        return forms.StatisticsPeriodForm(initial={"start": start, "end": end}), (start, end)
    form = forms.StatisticsPeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, (form.cleaned_data["start"], form.cleaned_data["end"])


@login_required
@require_safe
def statistics_page(request):
    if not access.can_read_statistics(request.user):
        raise PermissionDenied(REFUSED)
    form, period = _period(request)
    found = statistics.child_protection_statistics(*period) if period else None
    if found is not None:
        audit.record(
            actor=request.user,
            action=audit.Action.VIEW,
            object_type="cp_statistics",
            detail={"start": period[0].isoformat(), "end": period[1].isoformat()},
        )
    return render(
        request,
        "ird/statistics.html",
        {
            "form": form,
            "stats": found,
            "query": urlencode({"start": period[0], "end": period[1]}) if period else "",
        },
        status=200 if found is not None else 400,
    )


@login_required
@require_safe
@ratelimit.per_user("export", "export")
def statistics_csv(request):
    if not access.can_read_statistics(request.user):
        raise PermissionDenied(REFUSED)
    form, period = _period(request)
    if period is None:
        return render(request, "ird/statistics.html", {"form": form, "stats": None}, status=400)
    found = statistics.child_protection_statistics(*period)
    columns = statistics.return_columns()
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        object_type="cp_statistics",
        detail={
            "start": period[0].isoformat(),
            "end": period[1].isoformat(),
            **sharing.basis(sharing.Route.CSV_EXPORT),
        },
    )
    return csv_response(
        f"child-protection-statistics-{period[0]}-to-{period[1]}.csv",
        columns,
        [statistics.return_row(found, columns)],
    )
