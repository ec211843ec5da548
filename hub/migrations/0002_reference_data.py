from django.db import migrations

from hub.reference_data import ensure_hub_timescales, ensure_rubrics


def seed(apps, schema_editor):
    ensure_hub_timescales(apps.get_model("referrals", "Timescale"))
    ensure_rubrics(
        apps.get_model("hub", "Rubric"),
        apps.get_model("hub", "Criterion"),
        apps.get_model("hub", "Factor"),
    )
    apps.get_model("hub", "HubSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial"), ("referrals", "0005_default_timescales")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
