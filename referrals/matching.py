"""Finding the person record a child in a new referral may already have.

The database narrows the field (same CHI, date of birth, sound-alike surname with a likely
first name or area, or postcode); `name_matching.score_match` then scores each candidate and
says why it matched. Scoring is pure Python so that its rules can be read and tested alone.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Max, Q

from referrals import chi, name_matching
from referrals.models import Person

MAX_PREFILTERED = 300
MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class Candidate:
    person: Person
    score: int
    reasons: tuple[str, ...]
    certain: bool
    referral_count: int
    last_referred_at: datetime | None


def _swapped_day_month(value: date) -> date | None:
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None


def candidates_for(details: name_matching.PersonDetails) -> list[Candidate]:
    """Candidates scoring at or above the threshold, best first, each with its history."""
    query = Q(pk__in=[])
    chi_number = chi.normalise_chi(details.chi_number)
    if chi_number:
        query |= Q(chi_number=chi_number)
    if details.date_of_birth:
        dates = {details.date_of_birth, _swapped_day_month(details.date_of_birth)} - {None}
        query |= Q(date_of_birth__in=dates)
    surname_key = name_matching.name_key(details.last_name)
    if surname_key:
        first_keys = {
            name_matching.name_key(variant)
            for variant in name_matching.first_name_variants(details.first_name)
        } - {""}
        query |= Q(last_name_key=surname_key, first_name_key__in=first_keys)
        district = name_matching.postcode_district(details.postcode)
        if district:
            query |= Q(last_name_key=surname_key, postcode__startswith=f"{district} ")
    postcode = name_matching.normalise_postcode(details.postcode)
    if postcode:
        query |= Q(postcode=postcode)

    people = (
        Person.objects.filter(query, merged_into__isnull=True)
        .annotate(
            referral_count=Count("referral_links", distinct=True),
            last_referred_at=Max("referral_links__referral__received_at"),
        )
        .order_by(F("last_referred_at").desc(nulls_last=True))[:MAX_PREFILTERED]
    )
    candidates = []
    for person in people:
        result = name_matching.score_match(details, person.as_match_details())
        if result.score >= name_matching.MATCH_THRESHOLD:
            candidates.append(
                Candidate(
                    person=person,
                    score=result.score,
                    reasons=result.reasons,
                    certain=result.certain,
                    referral_count=person.referral_count,
                    last_referred_at=person.last_referred_at,
                )
            )
    candidates.sort(key=lambda c: (-c.score, c.person.last_name, c.person.first_name))
    return candidates[:MAX_SUGGESTIONS]
