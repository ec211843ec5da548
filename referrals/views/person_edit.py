"""Correcting a person's details from their page (social work staff; every change audited and
kept on the chronology by people.person_update), and confirming or rejecting a possible match
the partner API left to a person (managers, by the merge rules)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from referrals import access
from referrals.errors import DomainError
from referrals.forms import PersonEditForm
from referrals.models import ReferralChild
from referrals.services import people


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, person_id):
    person = access.access_person(request.user, person_id)
    if not access.can_screen(request.user):
        raise PermissionDenied("Only social work staff can correct a person's details.")
    initial = model_to_dict(person, fields=[*people.EDITABLE, "version"])
    form = PersonEditForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            people.person_update(person=person, by=request.user, expected_version=version, **data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as error:
            form.add_error(None, str(error))
            status = error.status_code
        else:
            messages.success(request, "Details saved; the previous values are on the chronology.")
            return redirect("person_detail", person_id=person.pk)
    if form.errors and status == 200:
        status = 400
    return render(
        request, "referrals/person_edit.html", {"person": person, "form": form}, status=status
    )


@login_required
@require_POST
def match_decide(request, referral_id, link_id):
    """Confirm or reject a possible match shown on the referral page ("May be ...")."""
    referral = access.access_referral(request.user, referral_id)
    link = get_object_or_404(ReferralChild, pk=link_id, referral=referral)
    try:
        if request.POST.get("outcome") == "confirm":
            people.match_confirm(link=link, by=request.user)
            messages.success(request, "Confirmed: the records are now one.")
        else:
            people.match_reject(link=link, by=request.user, because=request.POST.get("because", ""))
            messages.success(request, "Recorded: a different child.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied(str(error)) from error
        messages.error(request, str(error))
    return redirect("referral_detail", referral_id=referral.pk)
