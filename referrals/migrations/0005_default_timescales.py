from django.db import migrations

from referrals.reference_data import ensure_timescales


def seed(apps, schema_editor):
    ensure_timescales(apps.get_model("referrals", "Timescale"))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_deadlines")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
