"""Recording an emergency measure against a referral, and that the Reporter was told. Only the
referral's allocated team (and service managers) change it: access.can_work_on."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from referrals import access
from referrals.forms import EmergencyMeasureForm
from referrals.models import EmergencyMeasure
from referrals.services import emergency
from referrals.views.pages import _load_referral


def _may_change(user, referral) -> None:
    if not access.can_work_on(user, referral):
        raise PermissionDenied(access.not_your_team(referral))


def _return_to(request) -> str:
    """Where to go back to after recording: the page the form was opened from (an IRD's page),
    if it is one of this site's, else ""."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith("/") else ""


def _back(request, referral):
    return redirect(_return_to(request) or reverse("referral_detail", args=[referral.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def measure_new(request, referral_id):
    referral = _load_referral(request, referral_id)
    _may_change(request.user, referral)
    children = [link.person for link in referral.child_links.all()]
    form = EmergencyMeasureForm(
        request.POST if request.method == "POST" else None, children=children
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            measure = emergency.measure_record(
                referral=referral,
                child=next(c for c in children if str(c.pk) == data["child"]),
                by=request.user,
                kind=data["kind"],
                granted_at=data["granted_at"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{measure.get_kind_display()} recorded.")
            return _back(request, referral)
    return render(
        request,
        "referrals/emergency_measure_form.html",
        {"referral": referral, "form": form, "return_to": _return_to(request)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def measure_reporter_told(request, referral_id, measure_id):
    referral = _load_referral(request, referral_id)
    _may_change(request.user, referral)
    measure = get_object_or_404(EmergencyMeasure, pk=measure_id, referral=referral)
    try:
        emergency.reporter_told(measure=measure, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Recorded: the Children's Reporter was told.")
    return _back(request, referral)
