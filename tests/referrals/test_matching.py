"""candidates_for: the database narrows the field, name_matching scores it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import chi
from referrals.matching import MAX_SUGGESTIONS, candidates_for
from referrals.name_matching import MATCH_THRESHOLD, PersonDetails
from referrals.services import intake
from tests.factories import PersonFactory, make_referral

pytestmark = pytest.mark.django_db

DOB = datetime.date(2015, 3, 4)


def _chi(date_of_birth: datetime.date, middle: str = "12") -> str:
    for sex_digit in "0123456789":
        prefix = f"{date_of_birth:%d%m%y}{middle}{sex_digit}"
        check = chi.chi_mod11_check_digit(prefix)
        if check is not None:
            return f"{prefix}{check}"
    raise AssertionError("no valid CHI for this prefix")


def _found(details: PersonDetails, person):
    return next((c for c in candidates_for(details) if c.person.pk == person.pk), None)


def test_same_chi_with_another_name_is_a_strong_match_to_confirm_not_a_certainty(duty_team):
    person = PersonFactory(first_name="Ava", last_name="Smith", chi_number=_chi(DOB))

    candidates = candidates_for(
        PersonDetails(first_name="Eva", last_name="Brown", chi_number=_chi(DOB))
    )

    assert candidates[0].person == person
    assert not candidates[0].certain
    assert candidates[0].score == 90
    assert "Same CHI number, but the name differs" in candidates[0].reasons


def test_same_chi_and_an_agreeing_name_is_certain(duty_team):
    person = PersonFactory(first_name="Ava", last_name="Smith", chi_number=_chi(DOB))

    [candidate] = candidates_for(
        PersonDetails(first_name="Eva", last_name="Smyth", chi_number=_chi(DOB))
    )

    assert candidate.person == person and candidate.certain and candidate.score == 100


def test_chi_typed_with_spaces_still_matches():
    person = PersonFactory(chi_number=_chi(DOB))
    typed = f"{_chi(DOB)[:6]} {_chi(DOB)[6:]}"

    candidate = _found(
        PersonDetails(first_name=person.first_name, last_name=person.last_name, chi_number=typed),
        person,
    )

    assert candidate is not None
    assert candidate.certain


def test_different_chi_numbers_are_two_people():
    person = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, chi_number=_chi(DOB, "12")
    )

    details = PersonDetails(
        first_name="Ava",
        last_name="Smith",
        date_of_birth=DOB,
        postcode=person.postcode,
        chi_number=_chi(DOB, "34"),
    )

    assert _found(details, person) is None


def test_sound_alike_surname_and_short_first_name():
    james = PersonFactory(first_name="James", last_name="Smith", date_of_birth=None, postcode="")

    candidate = _found(PersonDetails(first_name="Jim", last_name="Smyth"), james)

    assert candidate is not None
    assert not candidate.certain
    assert candidate.score >= MATCH_THRESHOLD
    assert any("sounds alike" in reason for reason in candidate.reasons)
    assert any("short form" in reason for reason in candidate.reasons)


def test_sound_alike_names_with_same_birthday_score_higher():
    james = PersonFactory(first_name="James", last_name="Smith", date_of_birth=DOB)

    with_dob = _found(PersonDetails(first_name="Jim", last_name="Smyth", date_of_birth=DOB), james)
    without = _found(PersonDetails(first_name="Jim", last_name="Smyth"), james)

    assert with_dob.score > without.score


def test_day_and_month_swapped_in_date_of_birth():
    person = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=datetime.date(2015, 3, 4), postcode=""
    )

    candidate = _found(
        PersonDetails(first_name="Ava", last_name="Smith", date_of_birth=datetime.date(2015, 4, 3)),
        person,
    )

    assert candidate is not None
    assert "Day and month swapped in date of birth" in candidate.reasons


def test_day_and_month_swapped_finds_a_different_surname_spelling_by_date_alone():
    """The swapped date is in the database prefilter, not only in the scoring."""
    person = PersonFactory(
        first_name="Ava",
        last_name="Mackenzie",
        date_of_birth=datetime.date(2015, 3, 4),
        postcode="",
    )

    candidate = _found(
        PersonDetails(
            first_name="Ava", last_name="Mackensie", date_of_birth=datetime.date(2015, 4, 3)
        ),
        person,
    )

    assert candidate is not None


def test_a_day_after_the_twelfth_cannot_be_swapped_and_still_matches():
    person = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=datetime.date(2015, 3, 25)
    )

    candidate = _found(
        PersonDetails(first_name="Ava", last_name="Smith", date_of_birth=person.date_of_birth),
        person,
    )

    assert candidate is not None
    assert "Date of birth matches" in candidate.reasons


def test_typing_error_in_the_surname():
    person = PersonFactory(
        first_name="Ava", last_name="Robertson", date_of_birth=DOB, postcode="IV30 1AB"
    )

    candidate = _found(
        PersonDetails(
            first_name="Ava", last_name="Robertsom", date_of_birth=DOB, postcode="iv301ab"
        ),
        person,
    )

    assert candidate is not None
    assert any("typing error" in reason for reason in candidate.reasons)


def test_typing_error_in_the_date_of_birth():
    person = PersonFactory(first_name="Ava", last_name="Robertson", date_of_birth=DOB)

    candidate = _found(
        PersonDetails(
            first_name="Ava",
            last_name="Robertson",
            date_of_birth=datetime.date(2015, 3, 5),
            postcode=person.postcode,
        ),
        person,
    )

    assert candidate is not None
    assert any("one digit" in reason for reason in candidate.reasons)


def test_different_child_born_the_same_day_is_not_suggested():
    person = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="AB56 1AA"
    )

    assert (
        _found(
            PersonDetails(
                first_name="Oscar", last_name="Wilson", date_of_birth=DOB, postcode="IV30 1AB"
            ),
            person,
        )
        is None
    )


def test_merged_records_are_never_suggested():
    keep = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=DOB)
    merged = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=DOB, merged_into=keep)

    found = {
        c.person.pk
        for c in candidates_for(
            PersonDetails(
                first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode=keep.postcode
            )
        )
    }

    assert keep.pk in found
    assert merged.pk not in found


def test_candidates_carry_their_referral_history(duty_team):
    person = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=DOB)
    never_referred = PersonFactory(first_name="Eva", last_name="Smith", date_of_birth=DOB)
    last = datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.UTC)
    for received_at in (last - datetime.timedelta(days=40), last):
        make_referral(team=duty_team, children=[person], received_at=received_at)

    details = PersonDetails(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode=person.postcode
    )
    candidate = _found(details, person)
    other = _found(details, never_referred)

    assert candidate.referral_count == 2
    assert candidate.last_referred_at == last
    assert other.referral_count == 0
    assert other.last_referred_at is None


def test_being_named_as_an_adult_is_not_counted_as_a_referral_of_the_child(duty_team):
    person = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=DOB)
    make_referral(
        team=duty_team,
        adults=[
            intake.AdultIntake(
                details=intake.PersonFields(first_name="Ava", last_name="Smith"), existing=person
            )
        ],
    )

    candidate = _found(
        PersonDetails(first_name="Ava", last_name="Smith", date_of_birth=DOB), person
    )

    assert candidate.referral_count == 0


def test_best_match_first_and_at_most_a_page_of_suggestions():
    exact = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB"
    )
    for n in range(MAX_SUGGESTIONS + 4):
        PersonFactory(
            first_name="Ava",
            last_name="Smith",
            postcode="IV30 1AB",
            date_of_birth=datetime.date(2015, 3, 4) + datetime.timedelta(days=400 + n),
        )

    candidates = candidates_for(
        PersonDetails(first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB")
    )

    assert len(candidates) == MAX_SUGGESTIONS
    assert candidates[0].person == exact
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= MATCH_THRESHOLD for score in scores)


def test_no_details_no_candidates():
    PersonFactory()

    assert candidates_for(PersonDetails(first_name="", last_name="")) == []


def _similar_people(count: int, team) -> None:
    first_names = ["James", "Jim", "Jamie", "Jimmy", "Hamish"]
    for n in range(count):
        person = PersonFactory(
            first_name=first_names[n % 5],
            last_name=["Smith", "Smyth", "Smithe"][n % 3],
            date_of_birth=DOB + datetime.timedelta(days=n % 7),
            postcode=f"IV30 {n % 9}AB",
        )
        if n % 2:
            make_referral(team=team, children=[person])


def _queries_for(details: PersonDetails) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as context:
        candidates = candidates_for(details)
        # Reading what the page shows must not query again.
        for candidate in candidates:
            _ = (
                candidate.person.full_name,
                candidate.referral_count,
                candidate.last_referred_at,
                candidate.reasons,
            )
    return len(context.captured_queries), candidates


def test_fixed_number_of_queries_however_many_similar_people(
    duty_team, django_assert_max_num_queries
):
    details = PersonDetails(
        first_name="Jim", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB"
    )
    _similar_people(5, duty_team)
    few_queries, _ = _queries_for(details)
    _similar_people(45, duty_team)

    with django_assert_max_num_queries(2):
        many_queries, candidates = _queries_for(details)

    assert many_queries == few_queries
    assert len(candidates) == MAX_SUGGESTIONS


def test_exact_match_survives_a_crowd_sharing_the_postcode(duty_team):
    PersonFactory.create_batch(300, postcode="IV30 1AB", date_of_birth=None)
    target = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB"
    )
    make_referral(team=duty_team, children=[target])

    candidates = candidates_for(
        PersonDetails(first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB")
    )

    assert candidates and candidates[0].person == target


def test_only_a_few_dozen_are_scored_and_the_strongest_blocks_come_first(duty_team):
    """Issue 14 P4: the database ranks the field by the blocks each candidate shares (CHI, date
    of birth, name, postcode) and only the first few dozen are scored; a record sharing the
    child's date of birth as well as name and postcode is scored however many namesakes in the
    same street were referred more recently."""
    from referrals.matching import MAX_SCORED

    target = PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB"
    )
    namesakes = PersonFactory.create_batch(
        MAX_SCORED + 10,
        first_name="Ava",
        last_name="Smith",
        postcode="IV30 1AB",
        date_of_birth=None,
    )
    make_referral(team=duty_team, children=namesakes[:3])

    with CaptureQueriesContext(connection) as context:
        candidates = candidates_for(
            PersonDetails(
                first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB"
            )
        )

    assert candidates[0].person == target
    assert len(context.captured_queries) == 1
