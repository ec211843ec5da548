"""Reference data every installation starts with: the concern categories of the Scottish
Government child protection statistics, the default cumulative harm rules and the default
timescales. Administrators change all of them in the admin; these functions only create what
is missing, so they are safe to run again."""

from datetime import timedelta

CATEGORIES = [
    ("domestic_abuse", "Domestic abuse", False),
    ("neglect", "Neglect", True),
    ("parental_mental_health", "Parental mental health problems", False),
    ("parental_substance_misuse", "Parental alcohol or drug misuse", False),
    ("emotional_abuse", "Emotional abuse", False),
    ("physical_abuse", "Physical abuse", False),
    ("sexual_abuse", "Sexual abuse", False),
    ("non_engaging_family", "Non-engaging family", False),
    ("child_placing_self_at_risk", "Child placing themselves at risk", False),
    ("child_sexual_exploitation", "Child sexual exploitation", False),
    ("child_trafficking", "Child trafficking", False),
    ("forced_or_dangerous_labour", "Forced or dangerous labour", False),
    ("other_concern", "Other concern", False),
]

CUMULATIVE_HARM_RULES = [
    # name, concerns, window in days, neglect only
    ("Three concerns in twelve months", 3, 365, False),
    ("Two neglect concerns in six months", 2, 183, True),
]


def ensure_reference_data(concern_category_model, cumulative_harm_rule_model) -> None:
    """Takes the model classes so that a migration can pass its historical models."""
    for order, (code, label, is_neglect) in enumerate(CATEGORIES, start=1):
        concern_category_model.objects.get_or_create(
            code=code,
            defaults={"label": label, "is_neglect": is_neglect, "display_order": order * 10},
        )
    for name, count, days, neglect_only in CUMULATIVE_HARM_RULES:
        cumulative_harm_rule_model.objects.get_or_create(
            name=name,
            defaults={
                "concern_count": count,
                "window_days": days,
                "counts_neglect_only": neglect_only,
            },
        )


DAY = 24  # hours
TIMESCALES = [
    # kind, label, amount, unit, hours: warn before, to manager after, to service manager after
    (
        "screening",
        "Screening decision recorded",
        1,
        "working_days",
        4,
        4,
        DAY,
        "Local standard: screen within one working day of receipt",
    ),
    (
        "manager_approval",
        "Screening decision approved by a manager",
        1,
        "working_days",
        2,
        4,
        DAY,
        "Local standard: manager oversight within one working day",
    ),
    (
        "cppm",
        "Child protection planning meeting held",
        28,
        "calendar_days",
        5 * DAY,
        DAY,
        2 * DAY,
        "National Guidance 2021 (2023), Appendix D: CPPM within 28 calendar days",
    ),
    (
        "emergency_measure_ends",
        "Emergency measure ended or replaced",
        24,
        "hours",
        4,
        0,
        2,
        "Children's Hearings (Scotland) Act 2011: the measure's own statutory end (due at its end)",
    ),
    (
        "reporter_told",
        "Children's Reporter told of the emergency measure",
        24,
        "hours",
        4,
        2,
        6,
        "Children's Hearings (Scotland) Act 2011 s.56 (and the orders' notice rules): the "
        "Principal Reporter is told as soon as practicable",
    ),
    (
        "subject_access",
        "Subject access request answered",
        1,
        "calendar_months",
        7 * DAY,
        DAY,
        3 * DAY,
        "UK GDPR Art 12(3): one month from receipt, extendable by two further months",
    ),
]


# Each step as a task, as alerts and lists name it ("Record the screening decision for CW-...").
TASKS = {
    "screening": "Record the screening decision",
    "manager_approval": "Approve or return the screening decision",
    "cppm": "Hold the child protection planning meeting",
    "subject_access": "Answer the subject access request",
    "emergency_measure_ends": "Decide what follows the emergency measure before it ends",
    "reporter_told": "Tell the Children's Reporter of the emergency measure",
}


def fill_tasks(timescale_model, tasks: dict[str, str]) -> None:
    """Name each step as a task where the administrator has not already. (Older migrations
    pass a Timescale from before the field existed: nothing to fill then.)"""
    if "task" not in {field.name for field in timescale_model._meta.get_fields()}:
        return
    for kind, task in tasks.items():
        timescale_model.objects.filter(kind=kind, task="").update(task=task)


def install_timescales(timescale_model, rows, tasks: dict[str, str], kinds=None) -> None:
    """Create each timescale of `rows` that is missing (never changing one an administrator
    has edited), then name as tasks those still without one. Every app installs its own
    timescales through this, from its data migrations and when a test database lost them.

    A row is (kind, label, amount, unit, warn before, manager after, service manager after,
    source); the three ladder values are timedeltas, or whole hours."""
    for kind, label, amount, unit, warn, manager, service_manager, source in rows:
        if kinds is not None and kind not in kinds:
            continue
        timescale_model.objects.get_or_create(
            kind=kind,
            defaults={
                "label": label,
                "amount": amount,
                "unit": unit,
                "source": source,
                "warning_before": _duration(warn),
                "escalate_to_manager_after": _duration(manager),
                "escalate_to_service_manager_after": _duration(service_manager),
            },
        )
    fill_tasks(timescale_model, {k: t for k, t in tasks.items() if kinds is None or k in kinds})


def _duration(value) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(hours=value)


def ensure_emergency_measure_kinds(kind_model) -> None:
    """One row for each kind the rules know, under the label it was first given."""
    from referrals.models.emergency import EmergencyMeasure  # noqa: PLC0415 - models load late

    for order, (code, label) in enumerate(EmergencyMeasure.Kind.choices, start=1):
        kind_model.objects.get_or_create(
            code=code, defaults={"label": label, "display_order": order * 10}
        )


def ensure_timescales(timescale_model) -> None:
    install_timescales(timescale_model, TIMESCALES, TASKS)


# Sources of concerns with no agency behind them: anyone may ring the council about a child.
COMMUNITY_SOURCES = [
    # code, name, anonymous
    ("public", "A member of the public", False),
    ("family", "The child's family or carers", False),
    ("child-or-young-person", "The child or young person", False),
    ("anonymous", "Anonymous", True),
]


def ensure_community_sources(agency_model) -> None:
    for code, name, anonymous in COMMUNITY_SOURCES:
        agency_model.objects.get_or_create(
            code=code, defaults={"name": name, "kind": "community", "anonymous": anonymous}
        )
