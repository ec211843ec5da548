"""What the hub starts with: its timescales on the core's deadline engine and version 1 of each
rubric. Administrators change them in the admin; these functions only create what is missing,
so the hub's data migration, the demo and the tests can all call them again safely.

The functions take model classes so that a migration can pass its historical models."""

from referrals.reference_data import install_timescales

DAY = 24  # hours

TIMESCALES = [
    # kind, label, amount, unit, hours: warn before, to manager after, to service manager after
    (
        "hub_review",
        "Practice hub quality review",
        5,
        "working_days",
        DAY,
        DAY,
        3 * DAY,
        "Local standard: every referral reviewed within five working days",
    ),
    (
        "hub_decision_review",
        "Practice hub decision review",
        10,
        "working_days",
        2 * DAY,
        DAY,
        3 * DAY,
        "Local standard: screening decisions reviewed within ten working days",
    ),
    (
        "audit_grading",
        "Practice audit record graded",
        15,
        "working_days",
        2 * DAY,
        2 * DAY,
        5 * DAY,
        "Multi-agency practice audit: records graded within three weeks",
    ),
    (
        "audit_summary",
        "Practice audit learning summary sent",
        25,
        "working_days",
        3 * DAY,
        2 * DAY,
        5 * DAY,
        "Multi-agency practice audit: learning shared within five weeks",
    ),
]

REFERRAL_CRITERIA = [
    # code, label, guidance: the referral quality criteria the practice hub scores against
    (
        "concern_clarity",
        "Clarity of the concern",
        "A factual account of what was seen, heard or disclosed, when and by whom, with fact kept "
        "apart from opinion.",
    ),
    (
        "childs_voice",
        "The child's voice",
        "The child's own words and views, and the views of parents or carers.",
    ),
    (
        "risk_analysis",
        "Analysis of risk",
        "Nature, likelihood and impact of harm, with strengths and protective factors.",
    ),
    (
        "chronology_history",
        "Chronology and history",
        "Earlier concerns and the pattern they make; brothers, sisters and other children.",
    ),
    (
        "other_agencies",
        "Information from other agencies",
        "What other agencies know, and who was asked.",
    ),
    (
        "consent_sharing",
        "Consent and information-sharing basis",
        "Consent, or why it was not sought; the lawful basis; whether the family knows.",
    ),
    (
        "identifiers",
        "Full identifiers",
        "Name, date of birth or expected date of delivery, CHI number, address, school, named "
        "person, adults with parental responsibility.",
    ),
    (
        "expected_response",
        "Expected response",
        "Who is referring and their link to the child, where the child is now, safety steps "
        "already taken and what the referrer expects to happen.",
    ),
]
REFERRAL_SUPPORTS = [
    "Referrer knew the child and family well",
    "The child's account recorded in their own words",
    "Chronology or history checked before referring",
    "Advice taken from a child protection adviser",
    "Agency referral form or template used",
    "Good communication between agencies",
]
REFERRAL_BARRIERS = [
    "Information not available at the time",
    "Fact and opinion not separated",
    "Child not seen or spoken to",
    "History not checked",
    "Consent position unclear",
    "Identifiers missing or wrong",
    "Referral made late",
    "Workload or time pressure",
    "Recording system problems",
]

DECISION_CRITERIA = [
    (
        "proportionate",
        "Proportionate decision",
        "The response matches the level of need and risk: neither too much nor too little.",
    ),
    (
        "timely",
        "Timely decision",
        "Screened and approved within the timescales, with any delay explained.",
    ),
    (
        "rationale",
        "Rationale recorded",
        "Reasons recorded, evidence weighed, cumulative harm considered where flagged.",
    ),
    (
        "needs_and_risks",
        "Assessed needs and risks answered",
        "What was decided answers the needs and risks the analysis found.",
    ),
    (
        "response",
        "Response followed through",
        "What happened next (advice, support, assessment, IRD and its outcome) matched the "
        "decision.",
    ),
]
DECISION_SUPPORTS = [
    "Manager oversight recorded",
    "Chronology used in the decision",
    "Partner agencies consulted",
    "IRD held promptly",
]
DECISION_BARRIERS = [
    "Incomplete referral information",
    "Delay in manager approval",
    "Agency checks not completed",
    "Cumulative harm not analysed",
    "IRD delayed or not held",
]

AUDIT_CRITERIA = [
    (
        "initial_response",
        "Initial response to the concern",
        "Risk recognised and acted on promptly; immediate safety considered.",
    ),
    (
        "assessment",
        "Assessment of risk and need",
        "Risks and needs analysed with the National Practice Model; strengths recorded.",
    ),
    (
        "chronology",
        "Chronology",
        "A multi-agency chronology that is current and analysed, not only listed.",
    ),
    (
        "child_and_family",
        "Involving the child and family",
        "The child seen and heard; the family's views recorded (QI 5.4).",
    ),
    (
        "planning",
        "Planning, managing risk and effective intervention",
        "A plan that answers the assessed risks and needs (QI 5.3).",
    ),
    (
        "multi_agency",
        "Multi-agency working and information sharing",
        "Agencies shared what they knew, on a recorded basis, in time.",
    ),
    (
        "oversight",
        "Manager oversight",
        "Decisions with reasons; supervision and oversight visible in the record.",
    ),
    (
        "impact",
        "Impact on the child's wellbeing",
        "The child's circumstances improved or are improving (QI 2.1).",
    ),
]

RUBRICS = [
    # kind, name, description, criteria, supports, barriers
    (
        "referral",
        "Referral quality",
        "Scores a referral against the referral quality criteria.",
        REFERRAL_CRITERIA,
        REFERRAL_SUPPORTS,
        REFERRAL_BARRIERS,
    ),
    (
        "decision",
        "Decision making and response",
        "Judges the screening decision and the response to assessed need and risk.",
        DECISION_CRITERIA,
        DECISION_SUPPORTS,
        DECISION_BARRIERS,
    ),
    (
        "audit",
        "Practice audit quality indicators",
        "Quality indicators for reading a child's record, after the Care Inspectorate's framework.",
        AUDIT_CRITERIA,
        [],
        [],
    ),
]


TASKS = {
    "hub_review": "Review the referral's quality",
    "hub_decision_review": "Review the screening decision and response",
    "audit_grading": "Grade the practice audit record",
    "audit_summary": "Send the practice audit learning summary",
}


def ensure_hub_timescales(timescale_model) -> None:
    install_timescales(timescale_model, TIMESCALES, TASKS)


def ensure_rubrics(rubric_model, criterion_model, factor_model, *, published_at=None) -> None:
    """Version 1 of each kind of rubric, published, for a kind that has no rubric at all."""
    for kind, name, description, criteria, supports, barriers in RUBRICS:
        if rubric_model.objects.filter(kind=kind).exists():
            continue
        rubric = rubric_model.objects.create(
            kind=kind,
            version=1,
            name=name,
            description=description,
            state="published",
            published_at=published_at,
        )
        criterion_model.objects.bulk_create(
            criterion_model(
                rubric=rubric, code=code, label=label, guidance=guidance, position=position * 10
            )
            for position, (code, label, guidance) in enumerate(criteria, start=1)
        )
        factor_model.objects.bulk_create(
            [
                factor_model(rubric=rubric, kind="support", label=label, position=position * 10)
                for position, label in enumerate(supports, start=1)
            ]
            + [
                factor_model(rubric=rubric, kind="barrier", label=label, position=position * 10)
                for position, label in enumerate(barriers, start=1)
            ]
        )
