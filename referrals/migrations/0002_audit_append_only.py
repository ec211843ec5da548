"""The audit log can only grow: the database itself refuses UPDATE and DELETE on it.

On PostgreSQL a trigger raises for every role, the table owner included; TRUNCATE is refused
by a statement trigger. SQLite (the embedded default) gets the equivalent triggers."""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION referrals_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_auditentry_append_only
    BEFORE UPDATE OR DELETE ON referrals_auditentry
    FOR EACH ROW EXECUTE FUNCTION referrals_audit_refuse_change();
CREATE TRIGGER referrals_auditentry_no_truncate
    BEFORE TRUNCATE ON referrals_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION referrals_audit_refuse_change();
"""
PG_REMOVE = """
DROP TRIGGER IF EXISTS referrals_auditentry_no_truncate ON referrals_auditentry;
DROP TRIGGER IF EXISTS referrals_auditentry_append_only ON referrals_auditentry;
DROP FUNCTION IF EXISTS referrals_audit_refuse_change();
"""
SQLITE_INSTALL = [
    """CREATE TRIGGER referrals_auditentry_no_update BEFORE UPDATE ON referrals_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER referrals_auditentry_no_delete BEFORE DELETE ON referrals_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS referrals_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS referrals_auditentry_no_delete;",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
