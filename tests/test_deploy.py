"""Issue 15, deployment: the systemd units are valid, and a backup restores into a scratch
database where the audit chain verifies and every table has the rows the backup counted."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from referrals import audit

DEPLOY = Path(settings.BASE_DIR) / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_units_are_valid(tmp_path):
    """Checked as installed: the checkout in place of /srv/referrals."""
    units = sorted((DEPLOY / "systemd").iterdir())
    for unit in units:
        text = unit.read_text().replace("/srv/referrals", str(settings.BASE_DIR))
        text = text.replace("User=referrals", "User=root").replace("Group=referrals", "Group=root")
        (tmp_path / unit.name).write_text(text)

    checked = subprocess.run(  # noqa: S603 - fixed arguments, our own unit files
        [  # noqa: S607 - systemd-analyze is found on PATH, as systemd installs it
            "systemd-analyze",
            "verify",
            "--man=no",
            *(unit.name for unit in units),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def _url() -> str:
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or "5432"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore")
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_and_proves_itself(tmp_path):
    for n in range(3):
        audit.record(actor=None, action=audit.Action.VIEW, object_type="person", object_id=str(n))
    env = {"DATABASE_URL": _url(), "PATH": "/usr/bin:/bin"}

    backup = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [DEPLOY / "backup.sh", tmp_path], env=env, capture_output=True, text=True, check=False
    )
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert "referrals_auditentry 3" in Path(f"{dump}.counts").read_text().splitlines()

    drill = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [DEPLOY / "restore-drill.sh", dump],
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "The audit chain holds: 3 rows" in drill.stdout
    assert "Restore drill passed" in drill.stdout

    # A backup that does not match its counts fails the drill.
    counts = Path(f"{dump}.counts")
    counts.write_text(
        counts.read_text().replace("referrals_auditentry 3", "referrals_auditentry 4")
    )
    failed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [DEPLOY / "restore-drill.sh", dump],
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode != 0 and "row count differs for referrals_auditentry" in failed.stderr


def test_the_container_example_keeps_the_production_shape():
    """Not built here (no container engine on these machines): its shape is checked instead."""
    import yaml

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["image"] == "referrals" and services[name]["read_only"] is True
    assert "referrals_app" in services["web"]["environment"]["DATABASE_URL"]  # not the owner
    assert "noeviction" in services["redis"]["command"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "\nUSER referrals\n" in dockerfile
