"""Concern categories of the Scottish Government child protection statistics, and the default
cumulative harm rules. Both are configuration: administrators change them in the admin."""

from django.db import migrations

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


def seed(apps, schema_editor):
    ConcernCategory = apps.get_model("referrals", "ConcernCategory")
    CumulativeHarmRule = apps.get_model("referrals", "CumulativeHarmRule")
    for order, (code, label, is_neglect) in enumerate(CATEGORIES, start=1):
        ConcernCategory.objects.get_or_create(
            code=code,
            defaults={"label": label, "is_neglect": is_neglect, "display_order": order * 10},
        )
    CumulativeHarmRule.objects.get_or_create(
        name="Three concerns in twelve months",
        defaults={"concern_count": 3, "window_days": 365},
    )
    CumulativeHarmRule.objects.get_or_create(
        name="Two neglect concerns in six months",
        defaults={"concern_count": 2, "window_days": 183, "counts_neglect_only": True},
    )


def create_cache_table(apps, schema_editor):
    from django.core.management import call_command

    call_command("createcachetable", database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_audit_append_only")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
