"""What every installation starts with for IRDs: the decision codes and the IRD timescales.
Administrators change them in the admin; these functions only create what is missing, so the
data migration, the tests and a repair at run time can all call them."""

from datetime import timedelta

from ird.models import CppmType, DecisionCode
from referrals.models import Timescale
from referrals.reference_data import install_timescales

DECISION_CODES = [
    # code, label, effect on the CPPM deadline, medical examination
    ("joint_investigative_interview", "Joint investigative interview (JII)", "", False),
    ("medical_examination", "Medical examination or health assessment", "", True),
    ("child_protection_investigation", "Child protection investigation (joint)", "needed", False),
    (
        "single_agency_investigation",
        "Single-agency child protection investigation",
        "needed",
        False,
    ),
    ("child_protection_planning_meeting", "Child protection planning meeting", "needed", False),
    ("cppm_not_needed", "Child protection planning meeting not needed", "not_needed", False),
    ("interim_safety_plan", "Interim safety plan", "", False),
    ("further_enquiries", "Further enquiries, then a further IRD", "", False),
    ("single_agency_response", "Single agency response", "not_needed", False),
    (
        "named_person_support",
        "No investigation: named person to arrange support",
        "not_needed",
        False,
    ),
    ("reporter_referral", "Referral to the Children's Reporter", "", False),
    ("adult_protection_referral", "Adult protection referral", "", False),
    ("no_further_action", "No further action", "not_needed", False),
]

# Decisions that, at sign-off, open a follow-on IRD linked to the one that took them.
FURTHER_IRD_CODES = frozenset({"further_enquiries"})

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TIMESCALES = [
    # kind, label, amount, unit, warn before, to manager after, to service manager after, source
    (
        "ird_held",
        "IRD held",
        1,
        "working_days",
        4 * HOUR,
        2 * HOUR,
        DAY,
        "National Guidance 2021 para 3.15: as soon as reasonably practicable; local target one "
        "working day from the approved child protection decision",
    ),
    (
        "ird_full",
        "Full IRD after an out-of-hours initial discussion",
        1,
        "working_days",
        4 * HOUR,
        2 * HOUR,
        DAY,
        "National Guidance 2023 Appendix D: out of hours the discussion may cover only immediate "
        "protection, with the full IRD normally on the next working day",
    ),
    (
        "ird_record",
        "IRD record completed and signed off",
        1,
        "working_days",
        2 * HOUR,
        4 * HOUR,
        DAY,
        "Local standard: the record is completed and circulated the same or the next working day",
    ),
    # Due on the date the IRD set: opened with an explicit due time, the amount is unused.
    (
        "ird_action",
        "IRD action",
        0,
        "calendar_days",
        DAY,
        DAY,
        3 * DAY,
        "The due date agreed at the IRD",
    ),
    (
        "ird_follow_up",
        "IRD follow-up checklist item",
        5,
        "working_days",
        DAY,
        DAY,
        3 * DAY,
        "Local standard: post-IRD checklist within five working days",
    ),
    (
        "ird_procedure_review",
        "IRD procedure review at the end of its trial",
        0,
        "calendar_days",
        14 * DAY,
        7 * DAY,
        14 * DAY,
        "Child protection committee: review each IRD procedure version after its trial",
    ),
    (
        "cppm_reconvene",
        "Inquorate CPPM reconvened",
        10,
        "working_days",
        2 * DAY,
        DAY,
        3 * DAY,
        "National Guidance 2023 Appendix D: an inquorate CPPM is reconvened within 10 working days",
    ),
    (
        "cppm_record",
        "CPPM record issued",
        10,
        "working_days",
        2 * DAY,
        DAY,
        3 * DAY,
        "National Guidance 2023 Appendix D: the CPPM record is issued within 10 working days",
    ),
    (
        "cppm_review_pre_birth",
        "Review CPPM after a pre-birth CPPM",
        3,
        "calendar_months",
        14 * DAY,
        DAY,
        3 * DAY,
        "National Guidance 2023 Appendix D: review within 3 months of a pre-birth CPPM",
    ),
    (
        "cppm_review",
        "Review CPPM of a registered child",
        6,
        "calendar_months",
        14 * DAY,
        DAY,
        3 * DAY,
        "National Guidance 2021 (2023): review CPPM within 6 months, then 6-monthly or sooner",
    ),
    (
        "cppm_transfer",
        "Transfer CPPM for a child registered elsewhere",
        21,
        "working_days",
        3 * DAY,
        DAY,
        3 * DAY,
        "Local procedures (Highland, Lanarkshire): the receiving authority holds a transfer CPPM "
        "within 21 working days",
    ),
    (
        "core_group_first",
        "First core group meeting",
        15,
        "working_days",
        3 * DAY,
        DAY,
        3 * DAY,
        "National Guidance 2023 Appendix D (NG2021 para 3.137): the core group first meets "
        "within 15 working days of the child's registration",
    ),
    # Due on the date the last meeting set: opened with an explicit due time.
    (
        "core_group_meeting",
        "Next core group meeting",
        0,
        "calendar_days",
        2 * DAY,
        DAY,
        3 * DAY,
        "The date of the next meeting agreed at the last core group meeting (the child's plan)",
    ),
    # Due on the date the plan set: opened with an explicit due time, as IRD actions are.
    (
        "child_plan_action",
        "Child's plan action",
        0,
        "calendar_days",
        DAY,
        DAY,
        3 * DAY,
        "The due date agreed in the child's plan",
    ),
]
KINDS = frozenset(kind for kind, *_ in TIMESCALES)


def ensure_decision_codes(decision_code_model) -> None:
    for order, (code, label, cppm, medical) in enumerate(DECISION_CODES, start=1):
        decision_code_model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "cppm": cppm,
                "medical_examination": medical,
                "display_order": order * 10,
            },
        )


# The statutory kinds of CPPM (ird.models.Cppm.Kind), as rows of the dated lookup.
CPPM_TYPES = [
    ("initial", "Initial"),
    ("pre_birth", "Pre-birth"),
    ("review", "Review"),
    ("transfer", "Transfer"),
]


def ensure_cppm_types(cppm_type_model) -> None:
    for order, (kind, label) in enumerate(CPPM_TYPES, start=1):
        cppm_type_model.objects.get_or_create(
            kind=kind, defaults={"label": label, "display_order": order * 10}
        )


def mark_further_ird_codes(decision_code_model) -> None:
    decision_code_model.objects.filter(code__in=FURTHER_IRD_CODES, further_ird=False).update(
        further_ird=True
    )


TASKS = {
    "ird_held": "Hold the IRD",
    "ird_full": "Hold the full IRD",
    "ird_record": "Complete and sign off the IRD record",
    "ird_action": "Complete the IRD action",
    "ird_follow_up": "Complete the IRD follow-up item",
    "ird_procedure_review": "Review the IRD procedure at the end of its trial",
    "cppm_reconvene": "Reconvene the inquorate CPPM",
    "cppm_record": "Issue the CPPM record",
    "cppm_review_pre_birth": "Hold the review CPPM",
    "cppm_review": "Hold the review CPPM",
    "cppm_transfer": "Hold the transfer CPPM",
    "core_group_first": "Hold the first core group meeting",
    "core_group_meeting": "Hold the core group meeting",
    "child_plan_action": "Complete the child's plan action",
}


def ensure_timescales(timescale_model, kinds=KINDS) -> None:
    install_timescales(timescale_model, TIMESCALES, TASKS, kinds)


def ensure_ird_reference_data() -> None:
    """With the current models (tests, and repair at run time)."""
    ensure_decision_codes(DecisionCode)
    mark_further_ird_codes(DecisionCode)
    ensure_cppm_types(CppmType)
    ensure_timescales(Timescale)
