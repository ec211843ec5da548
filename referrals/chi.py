"""Scottish CHI (Community Health Index) number validation.

A CHI number is 10 digits, stored as text because it can start with a zero:

* digits 1-6: the date of birth as DDMMYY;
* digits 7-8: two further digits;
* digit 9: odd for male, even for female (informational only: never use it
  to decide anything about a person);
* digit 10: a check digit.

Two check-digit algorithms are in use and either is accepted:

* **Mod 11** (older numbers): weights 10, 9, ..., 2 on digits 1-9;
  check = 11 - (sum mod 11); a result of 11 means 0 and a result of 10 means
  no valid mod-11 CHI can have that prefix.
* **Mod 10** (newer numbers, Luhn style): double the digits in (1-based)
  positions 1, 3, 5, 7 and 9, subtracting 9 from any doubled value over 9;
  sum all nine; check = (10 - sum mod 10) mod 10.

The two-digit year does not say which century the person was born in, so the
date part is accepted when DDMMYY is a real date in either 19YY or 20YY, and
agreement with a known date of birth compares day, month and ``year % 100``.

Error messages never repeat the CHI number back: it is personal data and the
messages may end up in logs.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError

__all__ = [
    "chi_birth_date_parts",
    "chi_check_digit_valid",
    "chi_format_validator",
    "chi_mod10_check_digit",
    "chi_mod11_check_digit",
    "chi_sex",
    "is_valid_chi",
    "normalise_chi",
    "validate_chi",
]

_TEN_DIGITS = re.compile(r"[0-9]{10}")
_NINE_DIGITS = re.compile(r"[0-9]{9}")
# Separators people type or paste between groups of digits: any whitespace
# (including non-breaking spaces) and hyphen/dash characters.
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")

_MOD11_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

MESSAGE_FORMAT = "A CHI number is 10 digits, for example 0101011237."
MESSAGE_DATE = (
    "The first six digits of a CHI number are the date of birth (DDMMYY), "
    "and these are not a valid date."
)
MESSAGE_CHECK_DIGIT = "This CHI number's check digit is wrong: check it for a typing error."
MESSAGE_DOB_MISMATCH = (
    "The CHI number does not match the date of birth: its first six digits "
    "should be %(expected)s, the date of birth %(date)s as DDMMYY."
)


def normalise_chi(value: str) -> str:
    """Strip spaces and hyphens from ``value``.

    The result is not necessarily a valid CHI number; any other characters are
    left in place so that validation can reject them.
    """
    if value is None:
        return ""
    return _SEPARATORS.sub("", str(value))


def chi_mod11_check_digit(prefix: str) -> int | None:
    """Mod-11 check digit for the first nine digits, or None if it would be 10."""
    _require_digits(prefix, _NINE_DIGITS, "nine")
    total = sum(int(d) * w for d, w in zip(prefix, _MOD11_WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def chi_mod10_check_digit(prefix: str) -> int:
    """Mod-10 (Luhn-style) check digit for the first nine digits."""
    _require_digits(prefix, _NINE_DIGITS, "nine")
    total = 0
    for position, char in enumerate(prefix, start=1):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def chi_check_digit_valid(chi: str) -> bool:
    """True if ``chi`` is exactly 10 digits and passes mod 11 or mod 10.

    ``chi`` should already be normalised (see :func:`normalise_chi`).
    """
    if not isinstance(chi, str) or not _TEN_DIGITS.fullmatch(chi):
        return False
    prefix, check = chi[:9], int(chi[9])
    return chi_mod11_check_digit(prefix) == check or chi_mod10_check_digit(prefix) == check


def chi_birth_date_parts(chi: str) -> tuple[int, int, int] | None:
    """``(day, month, yy)`` from the first six digits, if they are a real date.

    The date is accepted if it exists in either 19YY or 20YY, so ``290200``
    (29 February 2000) is valid but ``290201`` is not.
    """
    if not isinstance(chi, str) or len(chi) < 6 or not re.fullmatch(r"[0-9]{6}", chi[:6]):
        return None
    day, month, yy = int(chi[0:2]), int(chi[2:4]), int(chi[4:6])
    for century in (1900, 2000):
        try:
            datetime.date(century + yy, month, day)
        except ValueError:
            continue
        return day, month, yy
    return None


def chi_sex(chi: str) -> str:
    """``"male"`` or ``"female"`` from the 9th digit (odd = male, even = female).

    Informational only.
    """
    _require_digits(chi, _TEN_DIGITS, "ten")
    return "male" if int(chi[8]) % 2 == 1 else "female"


def is_valid_chi(value: str) -> bool:
    """True if ``value`` (after normalising) is a complete, valid CHI number."""
    chi = normalise_chi(value)
    return (
        _TEN_DIGITS.fullmatch(chi) is not None
        and chi_birth_date_parts(chi) is not None
        and chi_check_digit_valid(chi)
    )


def validate_chi(value: str, date_of_birth: datetime.date | None = None) -> str:
    """Return the normalised CHI number or raise :class:`ValidationError`.

    Checks, in order: 10 digits (code ``chi_format``), a real date in the
    first six digits (``chi_date``), the check digit (``chi_check_digit``)
    and, if ``date_of_birth`` is given, agreement with it
    (``chi_dob_mismatch``).
    """
    chi = normalise_chi(value)
    if not _TEN_DIGITS.fullmatch(chi):
        raise ValidationError(MESSAGE_FORMAT, code="chi_format")
    parts = chi_birth_date_parts(chi)
    if parts is None:
        raise ValidationError(MESSAGE_DATE, code="chi_date")
    if not chi_check_digit_valid(chi):
        raise ValidationError(MESSAGE_CHECK_DIGIT, code="chi_check_digit")
    if date_of_birth is not None:
        expected = (date_of_birth.day, date_of_birth.month, date_of_birth.year % 100)
        if parts != expected:
            raise ValidationError(
                MESSAGE_DOB_MISMATCH,
                code="chi_dob_mismatch",
                params={
                    "expected": "".join(f"{part:02d}" for part in expected),
                    "date": _long_date(date_of_birth),
                },
            )
    return chi


def chi_format_validator(value: str) -> None:
    """Django field validator: ``validators=[chi_format_validator]``.

    Runs :func:`validate_chi` without a date of birth. Django does not run
    field validators on empty values, so blank CHI numbers are allowed where
    the field allows them.
    """
    validate_chi(value)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _long_date(value: datetime.date) -> str:
    """``1 January 2001``, independent of locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _require_digits(value: str, pattern: re.Pattern[str], count: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"expected {count} digits")
