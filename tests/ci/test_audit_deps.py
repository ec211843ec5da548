"""`make audit-deps` (.ci/audit_deps.py) passes only when pip-audit really checked every package."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / ".ci" / "audit_deps.py")
audit_deps = importlib.util.module_from_spec(_spec)
sys.modules["audit_deps"] = audit_deps
_spec.loader.exec_module(audit_deps)


@pytest.fixture
def locks(tmp_path, monkeypatch):
    (tmp_path / "lock.txt").write_text(
        "django==5.2.19 \\\n    --hash=sha256:aa\n    # via -r requirements.in\n"
        "Typing_Extensions==4.16.0 \\\n    --hash=sha256:bb\n"
    )
    monkeypatch.setattr(audit_deps, "ROOT", tmp_path)
    return ["lock.txt"]


def pip_audit_says(monkeypatch, dependencies, returncode=0):
    def run(command, **kwargs):
        report = {"dependencies": dependencies, "fixes": []}
        return subprocess.CompletedProcess(command, returncode, json.dumps(report), "")

    monkeypatch.setattr(audit_deps.subprocess, "run", run)


def test_nothing_checked_is_not_a_pass(locks, monkeypatch, capsys):
    pip_audit_says(
        monkeypatch,
        [
            {"name": "django", "skip_reason": "Dependency not found on PyPI"},
            {"name": "typing-extensions", "skip_reason": "Dependency not found on PyPI"},
        ],
    )
    assert audit_deps.main(locks) == 1
    assert "pip-audit checked 0 of 2 packages" in capsys.readouterr().out


def test_every_package_checked_and_clean_passes(locks, monkeypatch, capsys):
    pip_audit_says(
        monkeypatch,
        [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "typing-extensions", "version": "4.16.0", "vulns": []},
        ],
    )
    assert audit_deps.main(locks) == 0
    assert "pip-audit checked 2 of 2 packages" in capsys.readouterr().out


def test_a_package_left_unchecked_fails(locks, monkeypatch):
    pip_audit_says(
        monkeypatch,
        [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "typing-extensions", "skip_reason": "timed out"},
        ],
    )
    assert audit_deps.main(locks) == 1


def test_a_known_vulnerability_fails(locks, monkeypatch, capsys):
    vuln = {"id": "PYSEC-0000-1", "fix_versions": ["5.2.20"], "aliases": [], "description": ""}
    pip_audit_says(
        monkeypatch,
        [
            {"name": "django", "version": "5.2.19", "vulns": [vuln]},
            {"name": "typing-extensions", "version": "4.16.0", "vulns": []},
        ],
        returncode=1,
    )
    assert audit_deps.main(locks) == 1
    assert "PYSEC-0000-1 (fixed in: 5.2.20)" in capsys.readouterr().out
