"""Writing and reading a child's chronology: the entries the system writes as things happen,
and significant events a worker writes by hand."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from referrals import access, audit, validation
from referrals.models import Agency, ChronologyEntry, Person, Referral

SUMMARY_MAX = 2000


def chronology_add(
    *,
    people: list[Person],
    kind: str,
    summary: str,
    occurred_at: datetime,
    referral: Referral | None = None,
    recorded_by=None,
) -> list[ChronologyEntry]:
    return ChronologyEntry.objects.bulk_create(
        ChronologyEntry(
            person=person,
            kind=kind,
            summary=summary,
            occurred_at=occurred_at,
            referral=referral,
            recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None,
        )
        for person in people
    )


def chronology_of(
    person: Person, *, kind: str = "", agency: Agency | None = None
) -> QuerySet[ChronologyEntry]:
    """The chronology in one query, however long it is; newest first, as what happened last
    matters most to the worker reading it. `kind` and `agency` narrow it: an entry's agency is
    the one a worker named as its source, or else the agency that made its referral."""
    entries = ChronologyEntry.objects.filter(person=person)
    if kind:
        entries = entries.filter(kind=kind)
    if agency is not None:
        entries = entries.filter(
            Q(source_agency=agency) | Q(source_agency__isnull=True, referral__source_agency=agency)
        )
    return entries.select_related(
        "referral__source_agency", "recorded_by", "source_agency"
    ).order_by("-occurred_at", "-recorded_at")


@transaction.atomic
def event_record(
    *,
    person: Person,
    by,
    occurred_at: datetime,
    category: str,
    significance: str,
    summary: str,
    source_agency: Agency | None = None,
) -> ChronologyEntry:
    """A significant event a worker adds to a child's chronology by hand. Social work staff
    only; never on a record merged into another (its chronology moved there)."""
    if not access.can_screen(by):
        raise PermissionDenied("Only social work staff add to a chronology.")
    errors = {}
    if person.merged_into_id is not None:
        errors["__all__"] = "This record was merged: add the event to the record it went into."
    try:
        validation.in_date_range(occurred_at)
    except ValidationError as error:
        errors["occurred_at"] = error.messages[0]
    else:
        if occurred_at > timezone.now():
            errors["occurred_at"] = "An event in the chronology has already happened."
    if category not in ChronologyEntry.Category.values:
        errors["category"] = "Choose what the event is about."
    if significance not in ChronologyEntry.Significance.values:
        errors["significance"] = "Choose how significant the event is."
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = "Say what happened."
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep it to {SUMMARY_MAX:,} characters."
    if errors:
        raise ValidationError(errors)
    entry = ChronologyEntry.objects.create(
        person=person,
        kind=ChronologyEntry.Kind.EVENT,
        occurred_at=occurred_at,
        summary=summary,
        category=category,
        significance=significance,
        source_agency=source_agency,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action=audit.Action.CREATE,
        subject=entry,
        detail={"person": str(person.pk), "event": "chronology_event"},
    )
    return entry
