from django.db import migrations

from ird.reference_data import ensure_timescales

CPPM_KINDS = {
    "cppm_reconvene",
    "cppm_record",
    "cppm_review_pre_birth",
    "cppm_review",
    "cppm_transfer",
}


def seed(apps, schema_editor):
    ensure_timescales(apps.get_model("referrals", "Timescale"), kinds=CPPM_KINDS)


class Migration(migrations.Migration):
    dependencies = [
        ("ird", "0008_cppm_and_register"),
        ("referrals", "0026_deadline_urgent"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
