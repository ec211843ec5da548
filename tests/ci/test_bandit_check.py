"""The bandit gate in .ci/bandit_check.py: what it lets through and what fails CI."""

import datetime
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bandit_check", ROOT / ".ci" / "bandit_check.py")
bandit_check = importlib.util.module_from_spec(_spec)
sys.modules["bandit_check"] = bandit_check  # dataclasses look their module up
_spec.loader.exec_module(bandit_check)

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def finding(tmp_path):
    source = tmp_path / "app" / "weak.py"
    source.parent.mkdir()
    source.write_text("import hashlib\n\n\ndef h(x):\n    return hashlib.md5(x).hexdigest()\n")
    report = {
        "results": [
            {
                "filename": "app/weak.py",
                "test_id": "B324",
                "line_number": 5,
                "line_range": [5],
                "issue_severity": "HIGH",
                "issue_confidence": "HIGH",
                "issue_text": "Use of weak MD5 hash for security.",
            }
        ]
    }
    return bandit_check.findings_from(json.loads(json.dumps(report)), tmp_path)[0]


def allow(finding, expires="2026-12-31", reason="A checksum, not a secret."):
    return (
        "[[allow]]\n"
        f'test_id = "{finding.test_id}"\nfile = "{finding.file}"\n'
        f'fingerprint = "{finding.fingerprint}"\nreason = "{reason}"\nexpires = {expires}\n'
    )


def test_an_unlisted_finding_fails(finding):
    verdict = bandit_check.judge([finding], [], TODAY)
    assert verdict.unlisted == [finding]
    assert not verdict.passed


def test_a_listed_finding_passes_until_its_expiry_date(finding):
    entries, problems = bandit_check.load_allow(allow(finding))
    assert problems == []
    assert bandit_check.judge([finding], entries, datetime.date(2026, 12, 31)).passed
    after = bandit_check.judge([finding], entries, datetime.date(2027, 1, 1))
    assert not after.passed
    assert after.expired == entries
    assert after.unlisted == [finding]


def test_an_expired_entry_fails_even_when_nothing_matches_it(finding):
    entries, _ = bandit_check.load_allow(allow(finding, expires="2026-01-01"))
    assert not bandit_check.judge([], entries, TODAY).passed


def test_the_fingerprint_follows_the_code_not_the_line_number(finding):
    moved = bandit_check.fingerprint("B324", "    return hashlib.md5(x).hexdigest()")
    changed = bandit_check.fingerprint("B324", "    return hashlib.md5(y).hexdigest()")
    assert moved == finding.fingerprint
    assert changed != finding.fingerprint


def test_an_entry_needs_a_reason_and_a_date(finding):
    _, no_reason = bandit_check.load_allow(allow(finding, reason=""))
    _, no_date = bandit_check.load_allow(allow(finding, expires='"soon"'))
    assert no_reason and "no reason" in no_reason[0]
    assert no_date and "no expiry date" in no_date[0]
    entries, _ = bandit_check.load_allow(allow(finding, reason=""))
    assert not bandit_check.judge([finding], entries, TODAY).passed


def test_the_project_allow_file_is_valid():
    _, problems = bandit_check.load_allow(bandit_check.ALLOW_FILE.read_text())
    assert problems == []
