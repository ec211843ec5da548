"""The documented two-role setup (docs/database-roles.sql): the application's role may read and
append to the audit log, and has no UPDATE, DELETE or TRUNCATE on it (issue 10)."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)
SCRIPT = Path(settings.BASE_DIR) / "docs" / "database-roles.sql"


def test_the_application_role_cannot_change_the_audit_log(db):
    role = f"referrals_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        [owner] = cursor.fetchone()
        script = SCRIPT.read_text().replace("referrals_app", role)
        script = script.replace("referrals_owner", owner)
        cursor.execute(script)
        try:
            privileges = {}
            for table, privilege in [
                ("referrals_auditentry", "SELECT"),
                ("referrals_auditentry", "INSERT"),
                ("referrals_auditentry", "UPDATE"),
                ("referrals_auditentry", "DELETE"),
                ("referrals_auditentry", "TRUNCATE"),
                ("referrals_referral", "UPDATE"),
                ("referrals_auditchainhead", "UPDATE"),
            ]:
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
                privileges[(table, privilege)] = cursor.fetchone()[0]
        finally:
            cursor.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')

    assert privileges == {
        ("referrals_auditentry", "SELECT"): True,
        ("referrals_auditentry", "INSERT"): True,
        ("referrals_auditentry", "UPDATE"): False,
        ("referrals_auditentry", "DELETE"): False,
        ("referrals_auditentry", "TRUNCATE"): False,
        ("referrals_referral", "UPDATE"): True,
        ("referrals_auditchainhead", "UPDATE"): True,  # the chain's writers move its head on
    }
