"""The database's own guard on the audit log: it refuses UPDATE, DELETE and (on PostgreSQL)
TRUNCATE for every role, the table owner included. Installed by migration 0002.

`suspend` and `restore` exist for one caller only: the test suite, whose transactional tests
empty every table afterwards and must lift the guard to do it."""

TABLE = "referrals_auditentry"

PG_INSTALL = f"""
CREATE OR REPLACE FUNCTION referrals_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_auditentry_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION referrals_audit_refuse_change();
CREATE TRIGGER referrals_auditentry_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION referrals_audit_refuse_change();
"""
PG_REMOVE = f"""
DROP TRIGGER IF EXISTS referrals_auditentry_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS referrals_auditentry_append_only ON {TABLE};
DROP FUNCTION IF EXISTS referrals_audit_refuse_change();
"""
SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS referrals_auditentry_no_update BEFORE UPDATE ON {TABLE}
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS referrals_auditentry_no_delete BEFORE DELETE ON {TABLE}
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS referrals_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS referrals_auditentry_no_delete;",
]


def install(execute, vendor: str) -> None:
    """`execute(sql)` runs one statement (a schema editor's or a cursor's)."""
    if vendor == "postgresql":
        execute(PG_INSTALL)
    elif vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            execute(statement)


def remove(execute, vendor: str) -> None:
    if vendor == "postgresql":
        execute(PG_REMOVE)
    elif vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            execute(statement)


def suspend(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            remove(cursor.execute, connection.vendor)


def restore(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        else:
            install(cursor.execute, connection.vendor)
