"""Scoring possible person matches: pure functions, no database."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.chi import is_valid_chi
from referrals.name_matching import (
    MATCH_THRESHOLD,
    NAME_KEY_MAX_LENGTH,
    MatchScore,
    PersonDetails,
    first_name_variants,
    name_key,
    normalise_name,
    normalise_postcode,
    postcode_district,
    score_match,
)

DOB = datetime.date(2015, 3, 4)
VALID_CHI = "0403151236"  # born 04/03/15, mod 11
OTHER_VALID_CHI = "0101011237"


def person(first="James", last="Smith", dob=DOB, postcode="IV30 1AB", chi=""):
    return PersonDetails(
        first_name=first, last_name=last, date_of_birth=dob, postcode=postcode, chi_number=chi
    )


def test_fixture_chis_are_valid():
    assert is_valid_chi(VALID_CHI)
    assert is_valid_chi(OTHER_VALID_CHI)


# --- normalising ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("O'Neil-Smith ", "oneilsmith"),
        ("  SMITH ", "smith"),
        ("Zoë", "zoe"),
        ("Siân", "sian"),
        ("Bjørn", "bjorn"),
        ("Łukasz", "lukasz"),
        ("McKenzie", "mckenzie"),
        ("MacKenzie", "mckenzie"),
        ("Mackenzie", "mckenzie"),
        ("Mac Donald", "mcdonald"),
        ("M'Donald", "mcdonald"),
        ("Smith-MacDonald", "smithmcdonald"),
        ("Mack", "mack"),  # not the prefix
        ("", ""),
        ("-- '", ""),
    ],
)
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize(
    "names",
    [
        ("Smith", "Smyth", "SMITH", " smith "),
        ("McKenzie", "MacKenzie", "Mackenzie", "mckenzie"),
        ("Thomson", "Thompson"),
        ("Reid", "Reed"),
        ("Mcdonald", "MacDonald", "McDonald", "Mac Donald"),
        ("Stewart", "Stuart"),
        ("Campbell", "Cambell"),
        ("McIntosh", "Mackintosh"),
        ("Aileen", "Eileen"),
        ("Graham", "Graeme"),
        ("Mohammed", "Muhammad", "Mohamed"),
        ("Catherine", "Katherine", "Kathryn"),
        ("Stephen", "Steven"),
        ("O'Neil", "ONeill", "O'Neill"),
        ("Clark", "Clarke"),
    ],
)
def test_name_key_is_shared_by_sound_alike_spellings(names):
    keys = {name_key(name) for name in names}
    assert len(keys) == 1
    assert keys != {""}


@pytest.mark.parametrize(("a", "b"), [("Smith", "Jones"), ("Reid", "Ross"), ("Brown", "Black")])
def test_name_key_separates_different_names(a, b):
    assert name_key(a) != name_key(b)


def test_name_key_of_empty_name():
    assert name_key("") == ""
    assert name_key("   ") == ""
    assert name_key("'-") == ""


def test_name_key_of_names_metaphone_cannot_read():
    assert name_key("李") == "李"
    assert name_key("Aa") != ""


@given(st.text())
def test_name_key_fits_the_column(name):
    assert len(name_key(name)) <= NAME_KEY_MAX_LENGTH


latin_names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèëïöüçñ' -"),
    max_size=30,
)


@given(latin_names, st.sampled_from(["", " ", "  ", "\t", " \n"]))
def test_name_key_is_stable_under_case_and_surrounding_whitespace(name, space):
    key = name_key(name)
    assert name_key(name.upper()) == key
    assert name_key(name.lower()) == key
    assert name_key(name.title()) == key
    assert name_key(f"{space}{name}{space}") == key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("iv301ab", "IV30 1AB"),
        ("IV30 1AB", "IV30 1AB"),
        (" iv30  1ab ", "IV30 1AB"),
        ("IV30-1AB", "IV30 1AB"),
        ("eh11ab", "EH1 1AB"),
        ("m11ae", "M1 1AE"),
        ("EC1A1BB", "EC1A 1BB"),
        ("iv30", "IV30"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_postcode(value, expected):
    assert normalise_postcode(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("IV30 1AB", "IV30"), ("iv301ab", "IV30"), ("EH1 1AB", "EH1"), ("IV30", "IV30"), ("", "")],
)
def test_postcode_district(value, expected):
    assert postcode_district(value) == expected


# --- first names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("James", {"jim", "jimmy", "jamie", "hamish"}),
        ("Jim", {"james", "jimmy", "hamish"}),
        ("Alexander", {"alex", "alec", "sandy", "ally", "xander", "alasdair", "alistair"}),
        ("Elizabeth", {"liz", "lizzie", "beth", "betty", "eliza", "elspeth", "libby"}),
        ("Robert", {"rob", "robbie", "bob", "bert", "rab"}),
        ("William", {"will", "bill", "billy", "liam", "willie"}),
        ("Margaret", {"maggie", "meg", "peggy", "mairead", "maisie"}),
        ("Katherine", {"cat", "kate", "katie", "kathy", "cathy", "catherine"}),
        ("Christina", {"kirsty", "chrissie", "tina"}),
        ("John", {"jack", "johnny", "ian", "iain", "sean"}),
        ("Thomas", {"tom", "tommy"}),
        ("Charles", {"charlie", "chas"}),
        ("Richard", {"rick", "ricky", "dick"}),
        ("Daniel", {"dan", "danny"}),
        ("Michael", {"mike", "mick", "mikey"}),
        ("Christopher", {"chris", "kit"}),
        ("Andrew", {"andy", "drew"}),
        ("David", {"dave", "davie"}),
        ("Joseph", {"joe", "joey"}),
        ("Samuel", {"sam", "sammy"}),
        ("Samantha", {"sam", "sammy"}),
        ("Rebecca", {"becky", "becca"}),
        ("Jennifer", {"jen", "jenny"}),
        ("Victoria", {"vicky", "tori"}),
        ("Alexandra", {"alex", "lexi", "sandra"}),
        ("Eleanor", {"ellie"}),
    ],
)
def test_first_name_variants(name, forms):
    variants = first_name_variants(name)
    assert normalise_name(name) in variants
    assert forms <= variants


def test_a_name_in_several_groups_gets_all_of_them():
    alex = first_name_variants("Alex")
    assert {"alexander", "alexandra", "alasdair", "lexi"} <= alex
    sam = first_name_variants("Sam")
    assert {"samuel", "samantha"} <= sam


def test_variants_of_unknown_and_empty_names():
    assert first_name_variants("Zebedee") == frozenset({"zebedee"})
    assert first_name_variants("") == frozenset()


def test_kirsty_is_not_a_form_of_catherine():
    assert "kirsty" not in first_name_variants("Catherine")


def test_names_sharing_only_a_third_name_are_not_forms_of_each_other():
    # Sandra (Alexandra) and Xander (Alexander) are both in Alex's variants.
    score = score_match(person(first="Sandra"), person(first="Xander"))
    assert not any("form" in reason for reason in score.reasons)


# --- pairs that must match ------------------------------------------------------------


def test_short_form_and_sound_alike_surname():
    score = score_match(
        person(first="Jim", last="Smyth", postcode="IV30 1AB"),
        person(first="James", last="Smith", postcode=""),
    )
    assert score.score >= MATCH_THRESHOLD
    assert not score.certain
    assert "First name is a short form (Jim / James)" in score.reasons
    assert "Surname sounds alike (Smyth / Smith)" in score.reasons
    assert "Date of birth matches" in score.reasons


def test_mac_and_mc_are_the_same_surname():
    score = score_match(person(last="Mackenzie"), person(last="McKenzie"))
    assert score.score >= MATCH_THRESHOLD
    assert "Same surname (Mackenzie / McKenzie)" in score.reasons


def test_ellie_and_eleanor():
    score = score_match(person(first="Ellie"), person(first="Eleanor"))
    assert score.score >= MATCH_THRESHOLD
    assert "First name is a short form (Ellie / Eleanor)" in score.reasons


def test_typing_error_in_first_name():
    score = score_match(person(first="Jmaes", postcode=""), person(first="James", postcode=""))
    assert score.score >= MATCH_THRESHOLD
    assert any("(Jmaes / James)" in reason for reason in score.reasons)


def test_typing_error_in_surname():
    score = score_match(person(last="Smiht"), person(last="Smith"))
    assert score.score >= MATCH_THRESHOLD
    assert any("(Smiht / Smith)" in reason for reason in score.reasons)


def test_day_and_month_swapped():
    score = score_match(
        person(dob=datetime.date(2015, 3, 4)), person(dob=datetime.date(2015, 4, 3))
    )
    assert score.score >= MATCH_THRESHOLD
    assert "Day and month swapped in date of birth" in score.reasons


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (datetime.date(2015, 3, 14), "Date of birth differs by one digit (typing error?)"),
        (datetime.date(2016, 3, 4), "Date of birth differs by one digit (typing error?)"),
        (datetime.date(2051, 3, 4), "Two digits swapped in date of birth (typing error?)"),
    ],
)
def test_typing_errors_in_date_of_birth(other, reason):
    score = score_match(person(dob=DOB), person(dob=other))
    assert score.score >= MATCH_THRESHOLD
    assert reason in score.reasons


def test_postcode_reasons():
    same = score_match(person(postcode="iv301ab"), person(postcode="IV30 1AB"))
    assert "Same postcode" in same.reasons
    area = score_match(person(postcode="IV30 1AB"), person(postcode="IV30 6XY"))
    assert "Same postcode area (IV30)" in area.reasons
    assert same.score > area.score


def test_changed_surname_still_suggested_on_first_name_and_date_of_birth():
    score = score_match(person(last="Grant"), person(last="Macleod", postcode=""))
    assert score.score >= MATCH_THRESHOLD


def test_double_barrelled_surname():
    score = score_match(person(last="Smith-Jones"), person(last="Jones"))
    assert score.score >= MATCH_THRESHOLD
    assert "Surname shares a part (Smith-Jones / Jones)" in score.reasons


def test_same_child_ranks_above_a_twin():
    query = person(first="Ellie")
    same_child = score_match(query, person(first="Eleanor"))
    twin = score_match(query, person(first="Callum"))
    assert same_child.score > twin.score


# --- pairs that must not match ---------------------------------------------------------


def test_different_surname_and_date_of_birth():
    score = score_match(
        person(first="James", last="Smith", dob=DOB, postcode=""),
        person(first="James", last="Henderson", dob=datetime.date(2009, 11, 23), postcode=""),
    )
    assert score.score < MATCH_THRESHOLD


def test_same_name_but_clearly_different_date_of_birth():
    score = score_match(person(postcode=""), person(dob=datetime.date(2010, 7, 20), postcode=""))
    assert score.score < MATCH_THRESHOLD
    assert "Dates of birth differ" in score.reasons


def test_different_chi_numbers_are_different_people():
    score = score_match(person(chi=VALID_CHI), person(chi=OTHER_VALID_CHI))
    assert score.score <= 20
    assert score.score < MATCH_THRESHOLD
    assert score.reasons[0] == "Different CHI numbers"
    assert not score.certain


def test_nothing_in_common():
    score = score_match(
        person(first="Ava", last="Brown", dob=DOB, postcode="IV30 1AB"),
        person(first="Rory", last="Fraser", dob=datetime.date(2011, 8, 9), postcode="G1 1XQ"),
    )
    assert score == MatchScore(score=0, reasons=("Dates of birth differ",), certain=False)


# --- CHI -----------------------------------------------------------------------------------


def test_same_chi_is_certain():
    score = score_match(
        person(first="Jim", chi=VALID_CHI), person(first="James", chi=VALID_CHI.replace("", " "))
    )
    assert score.score == 100
    assert score.certain
    assert score.reasons[0] == "Same CHI number"


def test_same_chi_with_another_first_name_is_for_a_person_to_confirm():
    score = score_match(person(first="Ava", chi=VALID_CHI), person(first="Rory", chi=VALID_CHI))
    assert not score.certain
    assert score.score == 90
    assert score.reasons[0] == "Same CHI number, but the name differs"


def test_same_chi_and_the_same_names_is_certain():
    score = score_match(person(first="Ava", chi=VALID_CHI), person(first="Ava", chi=VALID_CHI))
    assert score.certain and score.score == 100


def test_chi_on_one_side_only_is_ignored():
    with_chi = score_match(person(chi=VALID_CHI), person())
    without = score_match(person(), person())
    assert with_chi == without
    assert with_chi.score == 99
    assert not with_chi.certain


def test_invalid_chi_numbers_are_ignored():
    score = score_match(person(chi="0101010000"), person(chi="0101010000"))
    assert not score.certain
    assert score.score == 99


# --- properties ------------------------------------------------------------------------------

sample_first_names = st.sampled_from(
    ["James", "Jim", "Jimmy", "Hamish", "Alex", "Alexander", "Alexandra", "Sandy", "Sam",
     "Ellie", "Eleanor", "Helen", "Jmaes", "Tim", "Tom", "Ian", "John", "Kirsty", "", " "]
)  # fmt: skip
sample_surnames = st.sampled_from(
    ["Smith", "Smyth", "Mackenzie", "McKenzie", "Thomson", "Thompson", "Reid", "Reed",
     "Smith-Jones", "Jones", "O'Neil", "Kerr", "Carr", ""]
)  # fmt: skip
any_names = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCMZéø' -"), max_size=15)
dates = st.one_of(
    st.none(),
    st.sampled_from(
        [DOB, datetime.date(2015, 4, 3), datetime.date(2015, 3, 14), datetime.date(2009, 1, 1)]
    ),
    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2025, 12, 31)),
)
postcodes = st.sampled_from(["", "IV30 1AB", "iv301ab", "IV30 6XY", "IV31", "G1 1XQ", "nonsense"])
chis = st.sampled_from(["", VALID_CHI, OTHER_VALID_CHI, "0101010000", "1009701234", "12"])

people = st.builds(
    PersonDetails,
    first_name=st.one_of(sample_first_names, any_names),
    last_name=st.one_of(sample_surnames, any_names),
    date_of_birth=dates,
    postcode=postcodes,
    chi_number=chis,
)


@given(people, people)
def test_score_is_between_0_and_100(a, b):
    result = score_match(a, b)
    assert 0 <= result.score <= 100
    assert result.certain == (result.score == 100)
    assert all(isinstance(reason, str) and reason for reason in result.reasons)


@given(people, people)
def test_a_record_matches_itself_at_least_as_well_as_anything_else(a, b):
    assert score_match(a, a).score >= score_match(a, b).score


@given(people, people)
def test_score_does_not_depend_on_which_side_is_the_query(a, b):
    forward, backward = score_match(a, b), score_match(b, a)
    assert forward.score == backward.score
    assert forward.certain == backward.certain
    assert len(forward.reasons) == len(backward.reasons)


@given(people)
def test_score_ignores_case_and_surrounding_spaces_in_names(a):
    shouted = PersonDetails(
        first_name=f"  {a.first_name.upper()} ",
        last_name=f"{a.last_name.upper()}\t",
        date_of_birth=a.date_of_birth,
        postcode=a.postcode.lower(),
        chi_number=a.chi_number,
    )
    other = person()
    assert score_match(shouted, other).score == score_match(a, other).score
