"""Recording an emergency measure against a referral, and that the Reporter was told: the
referral's allocated team (and service managers), and those invited to one of its IRDs under
way, who come here from the IRD page (emergency.may_record)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from referrals import access, audit
from referrals.forms import EmergencyMeasureForm
from referrals.models import EmergencyMeasure, Referral
from referrals.services import emergency
from referrals.views.pages import _load_referral


def _load_for_recording(request, referral_id) -> Referral:
    """The referral as its page loads it; or, for someone invited to one of its IRDs who may
    record a measure (ird/ says), though its page stays closed to them: their invitation is
    their clearance, as on the IRD page. Anyone else who may not record: 403, or 404 if the
    referral is out of their scope."""
    referral = Referral.objects.filter(pk=referral_id).select_related("team").first()
    if (
        referral is not None
        and not access.referrals_visible_to(request.user).filter(pk=referral.pk).exists()
    ):
        if emergency.may_record(request.user, referral):
            return referral
    referral = _load_referral(request, referral_id)
    if not emergency.may_record(request.user, referral):
        raise PermissionDenied(access.not_your_team(referral))
    return referral


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
    referral = _load_for_recording(request, referral_id)
    children = [link.person for link in referral.child_links.all()]
    form = EmergencyMeasureForm(
        request.POST if request.method == "POST" else None,
        children=children,
        kinds=emergency.kinds_offered(),
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
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=referral,
        detail={"page": "emergency_measure"},
    )
    return render(
        request,
        "referrals/emergency_measure_form.html",
        {"referral": referral, "form": form, "return_to": _return_to(request)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def measure_reporter_told(request, referral_id, measure_id):
    referral = _load_for_recording(request, referral_id)
    measure = get_object_or_404(EmergencyMeasure, pk=measure_id, referral=referral)
    try:
        emergency.reporter_told(measure=measure, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Recorded: the Children's Reporter was told.")
    return _back(request, referral)
