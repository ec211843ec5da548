"""Subject access request pages, for holders of manage_subject_access (information governance).
The rules are in referrals/services/subject_access.py; every read of the gathered records and
every pack produced is audited against the person, so "who saw this child" lists them."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from referrals import audit, disclosure_pack
from referrals.models import DisclosureItem, Person, SubjectAccessRequest
from referrals.services import subject_access
from referrals.validation import BoundedDateField
from referrals.views.governance import find_person

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OpenForm(forms.Form):
    requester_name = forms.CharField(label="Who is asking", max_length=200)
    capacity = forms.ChoiceField(
        label="On whose behalf",
        choices=SubjectAccessRequest.Capacity.choices,
        widget=forms.RadioSelect,
    )
    childs_view = forms.CharField(
        label="The child's view",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=SubjectAccessRequest._meta.get_field("childs_view").help_text,
    )
    received_on = BoundedDateField(label="Date received", widget=DATE_INPUT)
    identity_evidence = forms.CharField(
        label="How the requester's identity (and authority) was checked", max_length=500
    )

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day < datetime.date(2000, 1, 1):
            raise forms.ValidationError("Enter a date received from 2000 onwards.")
        return day


class ItemForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[c for c in DisclosureItem.Decision.choices if c[0] != "undecided"],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(choices=DisclosureItem.Reason.choices, required=False)
    redactions = forms.CharField(
        label="Passages to black out, one a line",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label="Extend by", choices=[(1, "One month"), (2, "Two months")], coerce=int
    )
    extension_reason = forms.CharField(
        label="Why more time is needed (the requester is told)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _allowed(user) -> None:
    if not user.has_perm(subject_access.MANAGE):
        raise PermissionDenied("Subject access requests are for information governance.")


def _errors_to_form(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
@require_http_methods(["GET", "POST"])
def subject_access_list(request):
    """Open requests first, with their due dates; find the person for a new one (POST, so a
    CHI number never reaches a URL)."""
    _allowed(request.user)
    form, people, found = find_person(request, then="subject_access_new")
    if found is not None:
        return found
    requests = SubjectAccessRequest.objects.select_related("person").order_by("state", "due_on")[
        :200
    ]
    return render(
        request,
        "referrals/subject_access_list.html",
        {"form": form, "people": people, "requests": requests},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def subject_access_new(request, person_id):
    _allowed(request.user)
    person = get_object_or_404(Person, pk=person_id, merged_into__isnull=True)
    form = OpenForm(
        request.POST if request.method == "POST" else None,
        initial={"received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            opened = subject_access.open_request(
                person=person, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, f"Request opened: due {opened.due_on:%d %B %Y}.")
            return redirect("subject_access_detail", request_id=opened.pk)
    return render(
        request,
        "referrals/subject_access_new.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def subject_access_detail(request, request_id):
    _allowed(request.user)
    sar = get_object_or_404(
        SubjectAccessRequest.objects.select_related(
            "person", "opened_by", "submitted_by", "approved_by"
        ),
        pk=request_id,
    )
    items = list(sar.items.select_related("decided_by"))
    audit.record(
        actor=request.user,
        action=audit.Action.VIEW,
        subject=sar.person,
        detail={"page": "subject_access", "request": str(sar.pk)},
    )
    return render(
        request,
        "referrals/subject_access_detail.html",
        {
            "sar": sar,
            "items": items,
            "undecided": sum(item.decision == DisclosureItem.Decision.UNDECIDED for item in items),
            "item_form": ItemForm(),
            "extend_form": ExtendForm(),
        },
    )


def _act(request, request_id, action, success: str):
    """Run a service step on the request; its refusal is shown on the request's page."""
    _allowed(request.user)
    sar = get_object_or_404(SubjectAccessRequest, pk=request_id)
    try:
        action(sar)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("subject_access_detail", request_id=sar.pk)


@login_required
@require_POST
def subject_access_item(request, request_id, position):
    _allowed(request.user)
    item = get_object_or_404(DisclosureItem, request_id=request_id, position=position)
    form = ItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Item {position}: choose disclose, redact or withhold.")
        return redirect("subject_access_detail", request_id=request_id)
    data = form.cleaned_data
    return _act(
        request,
        request_id,
        lambda sar: subject_access.decide_item(
            item=item,
            by=request.user,
            decision=data["decision"],
            reason=data["reason"],
            redactions=data["redactions"].splitlines(),
        ),
        f"Item {position}: decision recorded.",
    )


@login_required
@require_POST
def subject_access_extend(request, request_id):
    _allowed(request.user)
    get_object_or_404(SubjectAccessRequest, pk=request_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one or two months and say why more time is needed.")
        return redirect("subject_access_detail", request_id=request_id)
    return _act(
        request,
        request_id,
        lambda sar: subject_access.extend(
            request=sar,
            by=request.user,
            months=form.cleaned_data["months"],
            reason=form.cleaned_data["extension_reason"],
        ),
        "Extended: tell the requester the new date and why.",
    )


@login_required
@require_POST
def subject_access_submit(request, request_id):
    return _act(
        request,
        request_id,
        lambda sar: subject_access.submit(request=sar, by=request.user),
        "Sent to a second officer for approval.",
    )


@login_required
@require_POST
def subject_access_approve(request, request_id):
    if request.POST.get("outcome") == "send_back":
        return _act(
            request,
            request_id,
            lambda sar: subject_access.send_back(request=sar, by=request.user),
            "Sent back for more work.",
        )
    return _act(
        request,
        request_id,
        lambda sar: subject_access.approve(request=sar, by=request.user),
        "Approved: the pack can now be produced.",
    )


PACKS = {
    "pdf": ("application/pdf", disclosure_pack.pdf),
    "zip": ("application/zip", disclosure_pack.archive),
}


@login_required
@require_safe
def subject_access_pack(request, request_id, fmt):
    _allowed(request.user)
    sar = get_object_or_404(SubjectAccessRequest.objects.select_related("person"), pk=request_id)
    if fmt not in PACKS:
        raise Http404("A pack is a PDF or a ZIP.")
    content_type, build = PACKS[fmt]
    try:
        content = build(sar)
    except disclosure_pack.NotReleasable as refusal:
        messages.error(request, str(refusal))
        return redirect("subject_access_detail", request_id=sar.pk)
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        subject=sar.person,
        detail={"page": "subject_access_pack", "request": str(sar.pk), "format": fmt},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-{sar.received_on:%Y-%m-%d}.{fmt}"'
    )
    return response
