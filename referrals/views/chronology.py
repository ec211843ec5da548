"""A worker's own entries in a child's chronology, and the chronology printed as a PDF."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from referrals import access, audit, chronology, chronology_pdf, ratelimit, selectors
from referrals.forms import ChronologyEventForm
from referrals.models import ChronologyEntry
from referrals.views.pages import chronology_filter, person_page


def _person(request, person_id):
    return access.access_person(
        request.user, person_id, selectors.person_page(access.people_visible_to(request.user))
    )


@login_required
@require_POST
def event_new(request, person_id):
    person = _person(request, person_id)
    form = ChronologyEventForm(request.POST, prefix="event")
    if form.is_valid():
        data = form.cleaned_data
        # A date alone: noon, London time, so that it stays on its day whatever the clocks do.
        occurred_at = timezone.make_aware(
            datetime.datetime.combine(data["occurred_on"], datetime.time(12))
        )
        try:
            chronology.event_record(
                person=person,
                by=request.user,
                occurred_at=occurred_at,
                category=data["category"],
                significance=data["significance"],
                summary=data["summary"],
                source_agency=data["source_agency"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                target = "occurred_on" if field == "occurred_at" else field
                form.add_error(None if target == "__all__" else target, problems)
        else:
            messages.success(request, "Event added to the chronology.")
            return redirect("person_detail", person_id=person.pk)
    return person_page(request, person, event_form=form, status=400)


@login_required
@require_safe
@ratelimit.per_user("print", "print")
def chronology_print(request, person_id):
    """The chronology as shown (with the page's filters), as a PDF: audited as a print."""
    person = _person(request, person_id)
    filters, entries, applied = chronology_filter(request, person)
    chosen = filters.cleaned_data if applied else {}
    narrowed = " ".join(
        part
        for part in (
            f"{ChronologyEntry.Kind(chosen['kind']).label.lower()} entries"
            if chosen.get("kind")
            else "",
            f"from {chosen['agency'].name}" if chosen.get("agency") else "",
        )
        if part
    )
    audit.record(
        actor=request.user,
        action=audit.Action.PRINT,
        subject=person,
        detail={"page": "chronology", **({"filters": applied} if applied else {})},
    )
    response = HttpResponse(
        chronology_pdf.pdf(person, entries, narrowed_to=f"only {narrowed}" if narrowed else ""),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="chronology-{person.pk}.pdf"'
    return response
