"""Finding the person record a child in a new referral may already have.

The database narrows the field (same CHI, date of birth, sound-alike surname with a likely
first name or area, or postcode); `name_matching.score_match` then scores each candidate and
says why it matched. Scoring is pure Python so that its rules can be read and tested alone.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, Count, F, IntegerField, Max, Q, Value, When

from referrals import chi, name_matching
from referrals.models import Person

# Scored in Python: the candidates meeting the most blocks, then the most recently referred.
# A few dozen: more only costs time (issue 14 P4), since a record that shares none of the
# strongest blocks with the child scores below those that do.
MAX_SCORED = 50
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
    blocks = _blocks(details)
    if not blocks:
        return []
    query = Q(pk__in=[])
    for block, _ in blocks:
        query |= block
    # How strong a candidate's blocks are, strongest weighing most: CHI, date of birth, name
    # (with a likely first name, or the same area), postcode.
    strength = sum(
        (
            Case(When(block, then=Value(weight)), default=Value(0), output_field=IntegerField())
            for block, weight in blocks
        ),
        start=Value(0),
    )
    people = (
        Person.objects.filter(query, merged_into__isnull=True)
        .annotate(
            referral_count=Count("referral_links", distinct=True),
            last_referred_at=Max("referral_links__referral__received_at"),
            strength=strength,
        )
        .order_by("-strength", F("last_referred_at").desc(nulls_last=True))[:MAX_SCORED]
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


def _blocks(details: name_matching.PersonDetails) -> list[tuple[Q, int]]:
    """The indexed blocks a candidate may share with the child, each with its weight."""
    blocks = []
    chi_number = chi.normalise_chi(details.chi_number)
    if chi_number:
        blocks.append((Q(chi_number=chi_number), 16))
    if details.date_of_birth:
        dates = {details.date_of_birth, _swapped_day_month(details.date_of_birth)} - {None}
        blocks.append((Q(date_of_birth__in=dates), 8))
    surname_key = name_matching.name_key(details.last_name)
    if surname_key:
        first_keys = {
            name_matching.name_key(variant)
            for variant in name_matching.first_name_variants(details.first_name)
        } - {""}
        blocks.append((Q(last_name_key=surname_key, first_name_key__in=first_keys), 4))
        district = name_matching.postcode_district(details.postcode)
        if district:
            blocks.append((Q(last_name_key=surname_key, postcode__startswith=f"{district} "), 2))
    postcode = name_matching.normalise_postcode(details.postcode)
    if postcode:
        blocks.append((Q(postcode=postcode), 1))
    return blocks
