from django.db import migrations

from ird.reference_data import ensure_timescales

CORE_GROUP_KINDS = {"core_group_first", "core_group_meeting", "child_plan_action"}


def seed(apps, schema_editor):
    ensure_timescales(apps.get_model("referrals", "Timescale"), kinds=CORE_GROUP_KINDS)


class Migration(migrations.Migration):
    dependencies = [
        ("ird", "0010_core_group_and_plan"),
        ("referrals", "0026_deadline_urgent"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
