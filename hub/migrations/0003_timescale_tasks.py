from django.db import migrations

from hub.reference_data import TASKS
from referrals.reference_data import fill_tasks


def name_tasks(apps, schema_editor):
    fill_tasks(apps.get_model("referrals", "Timescale"), TASKS)


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0002_reference_data"),
        ("referrals", "0020_deadline_tasks"),
    ]

    operations = [migrations.RunPython(name_tasks, migrations.RunPython.noop)]
