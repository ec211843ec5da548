"""Restricted records: the manager's restriction page, the break-glass page, and the
information governance officer's review of every break-glass use. Thin: the rules are in
referrals/restrictions.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from referrals import access, restrictions
from referrals.errors import DomainError
from referrals.models import BreakGlass, Restriction, Staff


class RestrictionForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why is the record restricted?",
        choices=Restriction.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the record is restricted."},
    )
    explanation = forms.CharField(
        label="Explanation",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allowed = forms.ModelMultipleChoiceField(
        label="Who may see it",
        required=False,
        queryset=Staff.objects.filter(is_active=True).order_by("last_name", "first_name"),
        help_text="You may always see it. Anyone else meets the break-glass page.",
        widget=forms.CheckboxSelectMultiple,
    )


class BreakGlassForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why do you need to see this record?",
        choices=BreakGlass.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you need to see this record."},
    )
    explanation = forms.CharField(
        label="Explain",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Explain why you need to see this record now."},
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[c for c in BreakGlass.Review.choices if c[0] != BreakGlass.Review.PENDING],
    )
    note = forms.CharField(label="Note", required=False, max_length=2000)


def _next(request, person) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return f"/people/{person.pk}/"


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request, person_id):
    """Only for a restricted record the person's role would otherwise let them see."""
    person = access.person_in_scope(request.user, person_id)
    if not Restriction.objects.filter(person=person).exists():
        return redirect(_next(request, person))
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            restrictions.break_glass(person=person, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect(_next(request, person))
    return render(
        request,
        "referrals/break_glass.html",
        {"form": form, "next": _next(request, person), "person_id": person.pk},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_restriction(request, person_id):
    person = access.access_person(request.user, person_id)
    if not restrictions.can_restrict(request.user):
        raise PermissionDenied("Only a team manager or service manager restricts a record.")
    current = Restriction.objects.filter(person=person).first()
    initial = (
        {
            "reason": current.reason,
            "explanation": current.explanation,
            "allowed": current.allowed.all(),
        }
        if current
        else None
    )
    form = RestrictionForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and "lift" in request.POST:
        restrictions.lift(person=person, by=request.user)
        messages.success(request, "The restriction is lifted.")
        return redirect("person_detail", person_id=person.pk)
    if request.method == "POST" and form.is_valid():
        try:
            restrictions.restrict(person=person, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The record is restricted.")
            return redirect("person_detail", person_id=person.pk)
    return render(
        request,
        "referrals/restriction_form.html",
        {"form": form, "person": person, "current": current},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def break_glass_report(request):
    if not request.user.has_perm("referrals.review_break_glass"):
        raise PermissionDenied("Break-glass reviews are for information governance.")
    uses = BreakGlass.objects.select_related("staff", "reviewed_by").order_by(
        "review", "-opened_at"
    )
    page = Paginator(uses, 50).get_page(request.GET.get("page"))
    return render(
        request, "referrals/break_glass_report.html", {"page": page, "form": ReviewForm()}
    )


@login_required
@require_POST
def break_glass_review(request, entry_id):
    if not request.user.has_perm("referrals.review_break_glass"):
        raise PermissionDenied("Break-glass reviews are for information governance.")
    entry = get_object_or_404(BreakGlass, pk=entry_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        restrictions.review(entry=entry, by=request.user, **form.cleaned_data)
        messages.success(request, "Review recorded.")
    else:
        messages.error(request, "Choose the outcome of the review.")
    return redirect("break_glass_report")
