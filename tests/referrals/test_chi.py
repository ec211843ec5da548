"""CHI number validation: pure functions, no database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from referrals.chi import (
    chi_birth_date_parts,
    chi_check_digit_valid,
    chi_format_validator,
    chi_mod10_check_digit,
    chi_mod11_check_digit,
    chi_sex,
    is_valid_chi,
    normalise_chi,
    validate_chi,
)

MOD11_VECTORS = ["0101011237", "1811431232", "0211165794"]


def _ddmmyy(value: datetime.date) -> str:
    return f"{value.day:02d}{value.month:02d}{value.year % 100:02d}"


def _messages(error: ValidationError) -> list[str]:
    return list(error.messages)


dates_of_birth = st.dates(
    min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)
)
three_digits = st.text(alphabet="0123456789", min_size=3, max_size=3)


@st.composite
def mod11_chis(draw) -> str:
    """A valid mod-11 CHI number whose first six digits are a real date."""
    prefix = _ddmmyy(draw(dates_of_birth)) + draw(three_digits)
    check = chi_mod11_check_digit(prefix)
    assume(check is not None)
    return prefix + str(check)


# --- test vectors -----------------------------------------------------------


@pytest.mark.parametrize("chi", MOD11_VECTORS)
def test_vectors_pass_mod_11(chi):
    assert chi_mod11_check_digit(chi[:9]) == int(chi[9])
    assert chi_check_digit_valid(chi)
    assert validate_chi(chi) == chi


def test_vector_failing_both_algorithms():
    chi = "0101010000"
    assert chi_mod11_check_digit(chi[:9]) != 0
    assert chi_mod10_check_digit(chi[:9]) != 0
    assert not chi_check_digit_valid(chi)
    with pytest.raises(ValidationError) as caught:
        validate_chi(chi)
    assert caught.value.code == "chi_check_digit"


def test_vector_failing_mod_11_but_passing_mod_10():
    chi = "1009701234"
    assert chi_mod11_check_digit(chi[:9]) != 4
    assert chi_mod10_check_digit(chi[:9]) == 4
    assert chi_check_digit_valid(chi)
    assert validate_chi(chi) == chi


def test_mod_11_remainder_of_ten_has_no_check_digit():
    # Find a prefix whose mod-11 result is 10: no mod-11 CHI can use it.
    prefix = next(
        f"010101{n:03d}" for n in range(1000) if chi_mod11_check_digit(f"010101{n:03d}") is None
    )
    assert not any(
        chi_check_digit_valid(prefix + str(d))
        for d in range(10)
        if d != chi_mod10_check_digit(prefix)
    )


# --- check digits: properties -------------------------------------------------


@given(mod11_chis())
def test_appending_the_mod_11_check_digit_gives_a_valid_chi(chi):
    assert chi_check_digit_valid(chi)
    assert is_valid_chi(chi)
    assert validate_chi(chi) == chi


@given(mod11_chis(), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_fails_mod_11(chi, position, shift):
    changed_digit = (int(chi[position]) + shift) % 10
    changed = chi[:position] + str(changed_digit) + chi[position + 1 :]
    assert changed != chi
    assert chi_mod11_check_digit(changed[:9]) != int(changed[9])


@given(dates_of_birth, three_digits)
def test_appending_the_mod_10_check_digit_gives_a_valid_chi(date_of_birth, digits):
    prefix = _ddmmyy(date_of_birth) + digits
    chi = prefix + str(chi_mod10_check_digit(prefix))
    assert chi_check_digit_valid(chi)
    assert validate_chi(chi, date_of_birth) == chi


@pytest.mark.parametrize("value", ["", "123456789", "12345678901", "01010112a7", None, 101011237])
def test_check_digit_needs_exactly_ten_digits(value):
    assert not chi_check_digit_valid(value)


# --- normalising ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0101011237",
        " 0101011237 ",
        "010101 1237",
        "010 101 1237",
        "010101-1237",
        "01-01-01-12-37",
        "010101\u20131237",  # en dash, from a word processor
        "010101\u00a01237",  # non-breaking space
        "\t0101011237\n",
    ],
)
def test_spaces_and_hyphens_are_ignored(typed):
    assert normalise_chi(typed) == "0101011237"
    assert validate_chi(typed) == "0101011237"


def test_normalising_keeps_other_characters_so_they_fail():
    assert normalise_chi("01010l1237") == "01010l1237"
    assert normalise_chi("") == ""


@given(mod11_chis(), st.lists(st.sampled_from([" ", "-", "  ", " - "]), min_size=11, max_size=11))
def test_normalising_any_spacing_gives_the_digits(chi, separators):
    typed = separators[0] + "".join(d + s for d, s in zip(chi, separators[1:], strict=True))
    assert normalise_chi(typed) == chi


# --- dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("six_digits", "expected"),
    [
        ("010101", (1, 1, 1)),
        ("290200", (29, 2, 0)),  # 29 February 2000
        ("290204", (29, 2, 4)),
        ("311299", (31, 12, 99)),
        ("300499", (30, 4, 99)),
    ],
)
def test_real_dates(six_digits, expected):
    assert chi_birth_date_parts(six_digits + "1234") == expected


@pytest.mark.parametrize(
    "six_digits",
    [
        "310299",  # no 31 February
        "290201",  # 1901 and 2001 are both not leap years
        "290299",
        "300201",
        "310401",  # April has 30 days
        "000101",
        "320101",
        "010001",
        "011301",
    ],
)
def test_impossible_dates(six_digits):
    assert chi_birth_date_parts(six_digits + "1234") is None


@given(dates_of_birth)
def test_every_real_date_is_accepted(date_of_birth):
    digits = _ddmmyy(date_of_birth)
    assert chi_birth_date_parts(digits + "0000") == (
        date_of_birth.day,
        date_of_birth.month,
        date_of_birth.year % 100,
    )


def test_invalid_date_is_reported_before_the_check_digit():
    with pytest.raises(ValidationError) as caught:
        validate_chi("3113011237")
    assert caught.value.code == "chi_date"
    assert "date of birth (DDMMYY)" in _messages(caught.value)[0]


# --- format ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "123456789", "12345678901", "01010112a7", "CHI"])
def test_not_ten_digits(value):
    with pytest.raises(ValidationError) as caught:
        validate_chi(value)
    assert caught.value.code == "chi_format"
    assert _messages(caught.value) == ["A CHI number is 10 digits, for example 0101011237."]


def test_wrong_check_digit():
    with pytest.raises(ValidationError) as caught:
        validate_chi("0101011238")
    assert caught.value.code == "chi_check_digit"
    assert "check digit" in _messages(caught.value)[0]


# --- date of birth agreement -------------------------------------------------------------


@pytest.mark.parametrize("date_of_birth", [datetime.date(2001, 1, 1), datetime.date(1901, 1, 1)])
def test_matches_date_of_birth_by_day_month_and_two_digit_year(date_of_birth):
    assert validate_chi("0101011237", date_of_birth) == "0101011237"


def test_date_of_birth_mismatch_names_the_expected_digits():
    with pytest.raises(ValidationError) as caught:
        validate_chi("0101011237", datetime.date(2015, 3, 4))
    assert caught.value.code == "chi_dob_mismatch"
    (message,) = _messages(caught.value)
    assert "040315" in message
    assert "4 March 2015" in message
    assert "0101011237" not in message


def test_date_of_birth_is_checked_last():
    with pytest.raises(ValidationError) as caught:
        validate_chi("0101011238", datetime.date(2015, 3, 4))
    assert caught.value.code == "chi_check_digit"


@given(mod11_chis(), dates_of_birth)
def test_date_of_birth_agreement(chi, date_of_birth):
    agrees = chi[:6] == _ddmmyy(date_of_birth)
    if agrees:
        assert validate_chi(chi, date_of_birth) == chi
    else:
        with pytest.raises(ValidationError) as caught:
            validate_chi(chi, date_of_birth)
        assert caught.value.code == "chi_dob_mismatch"
        assert _ddmmyy(date_of_birth) in _messages(caught.value)[0]


# --- messages never repeat the CHI number ------------------------------------------------


@given(
    st.text(alphabet="0123456789", min_size=10, max_size=10),
    st.one_of(st.none(), dates_of_birth),
)
def test_messages_never_contain_the_number(chi, date_of_birth):
    try:
        validate_chi(chi, date_of_birth)
    except ValidationError as error:
        assert error.code in {"chi_date", "chi_check_digit", "chi_dob_mismatch"}
        for message in _messages(error):
            assert chi not in message


@given(st.text(alphabet="0123456789 -", min_size=11, max_size=20))
def test_format_message_never_contains_a_long_input(value):
    assume(len(normalise_chi(value)) != 10)
    with pytest.raises(ValidationError) as caught:
        validate_chi(value)
    assert caught.value.code == "chi_format"
    if len(normalise_chi(value)) > 10:
        assert normalise_chi(value) not in _messages(caught.value)[0]


# --- sex digit and field validator ------------------------------------------------------------


def test_sex_from_ninth_digit():
    assert chi_sex("0101011237") == "male"  # 9th digit 3
    prefix = "01010112" + "4"
    female = prefix + str(chi_mod10_check_digit(prefix))
    assert chi_sex(female) == "female"


def test_sex_needs_ten_digits():
    with pytest.raises(ValueError):
        chi_sex("12345")


def test_field_validator():
    assert chi_format_validator("0101011237") is None
    assert chi_format_validator("010101 1237") is None
    with pytest.raises(ValidationError) as caught:
        chi_format_validator("0101011238")
    assert caught.value.code == "chi_check_digit"


def test_is_valid_chi():
    assert is_valid_chi("010101-1237")
    assert not is_valid_chi("3113011237")
    assert not is_valid_chi("0101010000")
    assert not is_valid_chi("")
