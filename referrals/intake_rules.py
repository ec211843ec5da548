"""The rules a concern's details keep however they arrive: the intake form and the partner API
both ask here, and each shows the problems under its own field names. Problems are returned by
field (empty: none), never raised, so that every one is shown at once."""

import datetime

# How far ahead a pregnancy can be due: a little over the forty weeks of a whole one.
DUE_WITHIN = datetime.timedelta(days=300)


def consent_problems(*, sought: bool | None, given: bool | None, reason_not_sought: str) -> dict:
    """Fields: sought, given, reason_not_sought."""
    if sought is True and given is None:
        return {"given": "Say whether consent was given."}
    if sought is False:
        problems = {}
        if given is not None:
            problems["given"] = (
                "Consent was not sought, so it was neither given nor refused: leave it "
                "unanswered, or say that consent was sought."
            )
        if not (reason_not_sought or "").strip():
            problems["reason_not_sought"] = "Say why consent was not sought."
        return problems
    return {}


def child_problems(
    *,
    unborn: bool,
    expected_date_of_delivery: datetime.date | None,
    date_of_birth: datetime.date | None,
    chi_number: str,
    today: datetime.date,
) -> dict:
    """Fields: expected_date_of_delivery, date_of_birth, chi_number. A baby is either born (a
    date of birth) or unborn (a due date ahead, no date of birth or CHI number yet)."""
    problems = {}
    if not unborn:
        if date_of_birth is None:
            problems["date_of_birth"] = "Enter the child's date of birth."
        return problems
    if expected_date_of_delivery is None:
        problems["expected_date_of_delivery"] = (
            "Enter the expected date of delivery for an unborn baby."
        )
    elif expected_date_of_delivery < today:
        problems["expected_date_of_delivery"] = (
            "The expected date of delivery is in the past: if the baby has been born, untick "
            "unborn and enter the date of birth."
        )
    elif expected_date_of_delivery > today + DUE_WITHIN:
        problems["expected_date_of_delivery"] = (
            "The expected date of delivery is more than 300 days away: check it."
        )
    if date_of_birth is not None:
        problems["date_of_birth"] = "An unborn baby has no date of birth yet."
    if chi_number:
        problems["chi_number"] = "An unborn baby has no CHI number yet."
    return problems
