"""Reference data every installation starts with: the concern categories of the Scottish
Government child protection statistics and the default cumulative harm rules. Administrators
change both in the admin; this only creates what is missing, so it is safe to run again."""

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
            defaults={"concern_count": count, "window_days": days,
                      "counts_neglect_only": neglect_only},
        )
