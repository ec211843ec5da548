"""Concern categories and default cumulative harm rules (referrals/reference_data.py), and the
cache table that rate limits share between processes."""

from django.db import migrations

from referrals.reference_data import ensure_reference_data


def seed(apps, schema_editor):
    ensure_reference_data(
        apps.get_model("referrals", "ConcernCategory"),
        apps.get_model("referrals", "CumulativeHarmRule"),
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
