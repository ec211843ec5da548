"""Writing and reading a child's chronology."""

from datetime import datetime

from django.db.models import QuerySet

from referrals.models import ChronologyEntry, Person, Referral


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


def chronology_of(person: Person) -> QuerySet[ChronologyEntry]:
    """The whole chronology in one query, however long it is; newest first, as what happened
    last matters most to the worker reading it."""
    return (
        ChronologyEntry.objects.filter(person=person)
        .select_related("referral", "recorded_by")
        .order_by("-occurred_at", "-recorded_at")
    )
