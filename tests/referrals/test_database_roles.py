"""The documented two-role setup (docs/database-roles.sql): the application's role may read and
append to the audit log, and has no UPDATE, DELETE or TRUNCATE on it (issue 10)."""

import contextlib
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)
SCRIPT = Path(settings.BASE_DIR) / "docs" / "database-roles.sql"


@contextlib.contextmanager
def application_role():
    """A role made by the documented script (the test's own user as owner), dropped after."""
    role = f"referrals_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        [owner] = cursor.fetchone()
        script = SCRIPT.read_text().replace("referrals_app", role)
        cursor.execute(script.replace("referrals_owner", owner))
        try:
            yield cursor, role
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


def test_the_application_role_cannot_change_the_audit_log(db):
    with application_role() as (cursor, role):
        privileges = {}
        for table, privilege in [
            ("referrals_auditentry", "SELECT"),
            ("referrals_auditentry", "INSERT"),
            ("referrals_auditentry", "UPDATE"),
            ("referrals_auditentry", "DELETE"),
            ("referrals_auditentry", "TRUNCATE"),
            ("referrals_referral", "UPDATE"),
            ("referrals_auditchainhead", "UPDATE"),
            ("referrals_auditchainanchor", "SELECT"),
            ("referrals_auditchainanchor", "INSERT"),
            ("referrals_auditchainanchor", "UPDATE"),
            ("referrals_auditchainanchor", "DELETE"),
        ]:
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
            privileges[(table, privilege)] = cursor.fetchone()[0]

    assert privileges == {
        ("referrals_auditentry", "SELECT"): True,
        ("referrals_auditentry", "INSERT"): True,
        ("referrals_auditentry", "UPDATE"): False,
        ("referrals_auditentry", "DELETE"): False,
        ("referrals_auditentry", "TRUNCATE"): False,
        ("referrals_referral", "UPDATE"): True,
        ("referrals_auditchainhead", "UPDATE"): True,  # the chain's writers move its head on
        ("referrals_auditchainanchor", "SELECT"): True,
        ("referrals_auditchainanchor", "INSERT"): False,
        ("referrals_auditchainanchor", "UPDATE"): False,
        ("referrals_auditchainanchor", "DELETE"): False,
    }


def test_the_application_role_cannot_cut_the_audit_log(db):
    """Issue 10: only the owner removes entries past retention; the app's role is refused."""
    from django.utils import timezone

    from referrals import audit
    from referrals.models import AuditEntry, RetentionClass
    from referrals.services import audit_retention

    audit.record(actor=None, action=audit.Action.VIEW, object_type="person", object_id="1")
    RetentionClass.objects.filter(record_type="audit_log").update(period=1, unit="days")
    with application_role() as (cursor, role):
        cursor.execute(f'SET ROLE "{role}"')
        with pytest.raises(audit_retention.PruneRefused, match="owner"):
            audit_retention.prune(timezone.now() + timezone.timedelta(days=2))
    assert AuditEntry.objects.count() == 1
