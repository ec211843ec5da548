from django.db import migrations

from ird.reference_data import ensure_decision_codes, ensure_timescales


def seed(apps, schema_editor):
    ensure_decision_codes(apps.get_model("ird", "DecisionCode"))
    ensure_timescales(apps.get_model("referrals", "Timescale"))


class Migration(migrations.Migration):
    dependencies = [("ird", "0001_initial"), ("referrals", "0005_default_timescales")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
