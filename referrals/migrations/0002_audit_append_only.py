"""The audit log can only grow: the database itself refuses to change or remove its rows
(referrals/audit_guard.py holds the triggers)."""

from django.db import migrations

from referrals import audit_guard


def install(apps, schema_editor):
    # params=None: the PL/pgSQL holds a literal % that must not be read as a placeholder.
    audit_guard.install(
        lambda sql: schema_editor.execute(sql, params=None), schema_editor.connection.vendor
    )


def remove(apps, schema_editor):
    audit_guard.remove(
        lambda sql: schema_editor.execute(sql, params=None), schema_editor.connection.vendor
    )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
