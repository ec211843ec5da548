"""The intake form: enter the concern and the people in it, confirm who each person is, save.

Step one validates the concern; step two shows, for each person, the existing records that may
be them (with score, reasons and history) and asks the social worker to pick one or create a
new record. The step-one answers travel signed, so step two cannot be skipped or forged: a new
record can only be chosen for a person who was searched for.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from referrals import access, matching, name_matching, restrictions, selectors
from referrals.forms import AdultFormSet, ChildFormSet, ConcernForm
from referrals.models import Referral
from referrals.services import intake

SIGNING_SALT = "referrals.intake"
PAYLOAD_MAX_AGE = 6 * 3600  # a long phone call, then the form


def _forms(data=None, initial=None):
    initial = initial or {}
    return (
        ConcernForm(data, initial=initial.get("concern")),
        ChildFormSet(data, prefix="child", initial=initial.get("children")),
        AdultFormSet(data, prefix="adult", initial=initial.get("adults")),
    )


def _values(form) -> dict:
    return {bound.name: bound.value() for bound in form}


def _render_entry(request, concern_form, children, adults, status=200):
    return render(
        request,
        "referrals/intake_form.html",
        {
            "concern_form": concern_form,
            "children": children,
            "adults": adults,
            "formsets": [children, adults],
        },
        status=status,
    )


def _person_details(cleaned) -> name_matching.PersonDetails:
    return name_matching.PersonDetails(
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        date_of_birth=cleaned.get("date_of_birth"),
        postcode=cleaned.get("postcode", ""),
        chi_number=cleaned.get("chi_number", ""),
    )


def _people_to_confirm(children, adults) -> list[dict]:
    people = []
    for kind, formset in (("child", children), ("adult", adults)):
        for index, form in enumerate(formset.forms):
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            people.append(
                {
                    "field": f"match-{kind}-{index}",
                    "kind": kind,
                    "form": form,
                    "candidates": matching.candidates_for(_person_details(form.cleaned_data)),
                }
            )
    return people


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request):
    if not access.can_intake(request.user):
        raise PermissionDenied("Only social work staff can enter referrals.")
    if request.method == "GET":
        return _render_entry(
            request,
            *_forms(initial={"concern": {"intake_token": uuid.uuid4()}, "children": [{}]}),
        )

    action = request.POST.get("action", "continue")
    if action in {"confirm", "edit"}:
        return _confirm_step(request, action)

    concern_form, children, adults = _forms(request.POST)
    if action in {"add_child", "add_adult"}:
        # Redraw with one more empty section, keeping what was typed and showing no errors yet.
        child_rows = [_values(form) for form in children.forms]
        adult_rows = [_values(form) for form in adults.forms]
        (child_rows if action == "add_child" else adult_rows).append({})
        return _render_entry(
            request,
            *_forms(
                initial={
                    "concern": _values(concern_form),
                    "children": child_rows,
                    "adults": adult_rows,
                }
            ),
        )
    if not (concern_form.is_valid() and children.is_valid() and adults.is_valid()):
        return _render_entry(request, concern_form, children, adults, status=400)
    token = concern_form.cleaned_data["intake_token"] or uuid.uuid4()
    already = _already_recorded(request, token)
    if already is not None:
        return already

    payload = {
        key: request.POST.getlist(key)
        for key in request.POST
        if key not in {"csrfmiddlewaretoken", "action"}
    }
    payload["intake_token"] = [str(token)]
    return _render_confirm(
        request, _people_to_confirm(children, adults), signing.dumps(payload, salt=SIGNING_SALT)
    )


def _render_confirm(request, people, signed, choices=None, errors=None, status=200):
    """Step two. `people` comes from _people_to_confirm: matching runs once per request."""
    choices, errors = choices or {}, errors or {}
    # Each candidate's history of involvement, for every candidate at once.
    involvement = selectors.involvement_of(
        {candidate.person.pk for person in people for candidate in person["candidates"]}
    )
    # A restricted record this worker may not see can still be chosen (the concern must reach
    # the child's record), but its details and history are withheld.
    hidden = set(restrictions.hidden_people(request.user).values_list("person_id", flat=True))
    for person in people:
        person["error"] = errors.get(person["field"], "")
        person["choice"] = choices.get(person["field"], "")
        person["histories"] = [
            (
                candidate,
                None if candidate.person.pk in hidden else involvement[candidate.person.pk],
                candidate.person.pk in hidden,
            )
            for candidate in person["candidates"]
        ]
    return render(
        request,
        "referrals/intake_confirm.html",
        {
            "people": people,
            "payload": signed,
            "has_choices": bool(choices),
            "form_error": errors.get("form", ""),
            "has_errors": bool(errors),
        },
        status=status,
    )


def _already_recorded(request, token):
    """A step posted again after the referral was saved (Back, reload, a second Save): show
    the referral made rather than record it twice."""
    existing = Referral.objects.filter(intake_token=token).only("pk", "reference").first()
    if existing is None:
        return None
    messages.info(
        request,
        f"This referral was already recorded as {existing.reference}: nothing was recorded twice.",
    )
    return redirect("referral_detail", referral_id=existing.pk)


def _confirm_step(request, action):
    signed = request.POST.get("payload", "")
    try:
        payload = signing.loads(signed, salt=SIGNING_SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, "The form expired or was changed. Please enter it again.")
        return redirect("referral_new")
    token = uuid.UUID(payload["intake_token"][0])
    already = _already_recorded(request, token)
    if already is not None:
        return already
    data = QueryDict(mutable=True)
    for key, values in payload.items():
        data.setlist(key, values)
    concern_form, children, adults = _forms(data)
    if action == "edit" or not (
        concern_form.is_valid() and children.is_valid() and adults.is_valid()
    ):
        return _render_entry(request, concern_form, children, adults)

    people = _people_to_confirm(children, adults)
    choices = {person["field"]: request.POST.get(person["field"], "") for person in people}
    chosen, errors = intake.records_choose(
        [
            intake.PersonToMatch(
                field=person["field"],
                name="{first_name} {last_name}".format(**person["form"].cleaned_data),
                candidates=tuple(person["candidates"]),
                choice=choices[person["field"]],
            )
            for person in people
        ]
    )
    if errors:
        return _render_confirm(request, people, signed, choices, errors, status=400)

    try:
        existing = intake.referral_receive(
            concern=_concern(request.user, concern_form, people, chosen, token),
            team=intake.intake_team(request.user),
            received_by=request.user,
        )
    except IntegrityError:
        # The same form submitted twice at once: the other request recorded it. Anything
        # else (a CHI number another record took in the meantime) is for the user to see.
        existing = Referral.objects.filter(intake_token=token).first()
        if existing is None:
            return _render_confirm(
                request,
                people,
                signed,
                choices,
                {
                    "form": "Someone else has just recorded one of these people. Check the "
                    "choices below and save again."
                },
                status=409,
            )
    messages.success(request, f"Referral {existing.reference} recorded.")
    return redirect("referral_detail", referral_id=existing.pk)


def _concern(user, concern_form, people, chosen, token) -> intake.Concern:
    data = concern_form.cleaned_data
    concern = intake.Concern(
        channel=data["channel"],
        source_agency=data["source_agency"],
        referrer_name=data["referrer_name"],
        referrer_role=data["referrer_role"],
        referrer_phone=data["referrer_phone"],
        referrer_email=data["referrer_email"],
        referrer_manager_email=data["referrer_manager_email"],
        occurred_at=data["occurred_at"],
        summary=data["summary"],
        immediate_risk=data["immediate_risk"],
        ird_requested=data["ird_requested"],
        categories=list(data["categories"]),
        consent_sought=data["consent_sought"],
        consent_given=data["consent_given"],
        reason_consent_not_sought=data["reason_consent_not_sought"],
        sharing_basis=data["sharing_basis"],
        intake_token=token,
    )
    for person in people:
        cleaned = {k: v for k, v in person["form"].cleaned_data.items() if k != "DELETE"}
        candidate = chosen[person["field"]]
        existing = candidate.person if candidate else None
        if person["kind"] == "child":
            concern.children.append(
                intake.ChildIntake(
                    details=intake.PersonFields(**cleaned),
                    existing=existing,
                    match_score=candidate.score if candidate else None,
                )
            )
        else:
            relationship = cleaned.pop("relationship")
            concern.adults.append(
                intake.AdultIntake(
                    details=intake.PersonFields(**cleaned),
                    relationship=relationship,
                    existing=existing,
                )
            )
    return concern
