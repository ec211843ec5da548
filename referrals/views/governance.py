"""Information governance pages: who saw a child's records (view_access_report; reading the
report is itself audited) and the disposal of records past retention (manage_retention lists,
approve_disposal approves). Permissions by role are in referrals/roles.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from referrals import audit, governance
from referrals.models import DisposalList, Person
from referrals.services import disposal, retention

PAGE_SIZE = 100


class FindForm(forms.Form):
    record = forms.CharField(
        label="CHI number or referral reference",
        max_length=30,
        help_text="For example 1503181014 or CW-2026-000123.",
        error_messages={"required": "Enter a CHI number or a referral reference."},
    )


NOT_FOUND = "No child has that CHI number, and no referral that reference."


def find_person(request, *, then: str):
    """The governance pages' "find the child" form: (form, people, redirect to `then` for the
    one person found, else None). POST, so CHI numbers never appear in URLs or logs."""
    form = FindForm(request.POST if request.method == "POST" else None)
    people = None
    if request.method == "POST" and form.is_valid():
        people = governance.find_people(form.cleaned_data["record"])
        if len(people) == 1:
            return form, people, redirect(then, person_id=people[0].pk)
        if not people:
            form.add_error("record", NOT_FOUND)
    return form, people, None


def _allowed(user) -> None:
    if not user.has_perm("referrals.view_access_report"):
        raise PermissionDenied("Access reports are for information governance.")


@login_required
@require_http_methods(["GET", "POST"])
def access_report_find(request):
    """POST, so CHI numbers never appear in URLs or server logs."""
    _allowed(request.user)
    form, people, found = find_person(request, then="person_access_report")
    if found is not None:
        return found
    return render(
        request,
        "referrals/access_report_find.html",
        {"form": form, "people": people},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def person_access_report(request, person_id):
    _allowed(request.user)
    person = get_object_or_404(Person, pk=person_id)
    page = Paginator(governance.who_saw(person).select_related("actor"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=person,
        detail={"page": "access_report"},
    )
    return render(request, "referrals/access_report.html", {"person": person, "page": page})


def _may_see_disposal(user) -> None:
    if not (user.has_perm(retention.MANAGE) or user.has_perm(disposal.APPROVE)):
        raise PermissionDenied("Disposal is for information governance and service managers.")


@login_required
@require_safe
def disposal_lists(request):
    """The latest list and its log; references, classes and dates only (no personal data)."""
    _may_see_disposal(request.user)
    lists = list(DisposalList.objects.select_related("listed_by", "approved_by")[:12])
    current = lists[0] if lists else None
    records = list(current.records.all()) if current else []
    return render(
        request,
        "referrals/disposal.html",
        {
            "lists": lists,
            "current": current,
            "records": records,
            "may_prepare": request.user.has_perm(retention.MANAGE),
            "may_approve": request.user.has_perm(disposal.APPROVE),
        },
    )


@login_required
@require_POST
def disposal_prepare(request):
    disposal.prepare_list(by=request.user)
    messages.success(request, "A new list of records due for disposal awaits a manager.")
    return redirect("disposal_lists")


@login_required
@require_POST
def disposal_approve(request, list_id):
    _may_see_disposal(request.user)
    disposal_list = get_object_or_404(DisposalList, pk=list_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm that these records may be disposed of.")
        return redirect("disposal_lists")
    try:
        disposal.approve_list(disposal_list=disposal_list, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("disposal_lists")
    messages.success(request, "Approved: the records are being disposed of now.")
    return redirect("disposal_lists")
