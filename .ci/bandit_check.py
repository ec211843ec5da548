"""Bandit as a CI gate: every medium-or-worse finding fails unless .ci/bandit-allow.toml lists it.

Runs `bandit -ll -ii --ignore-nosec -r <paths> -f json` (severity and confidence at least medium;
`# nosec` comments are ignored, so the allow file is the only way to let a finding through).
An allow entry names the test id, the file and a fingerprint of the flagged code (not its line
number, so the entry survives edits elsewhere in the file), with a reason and an expiry date:

    [[allow]]
    test_id = "B608"
    file = "referrals/example.py"
    fingerprint = "3f2a9c1e04b7"   # printed by this script for each finding
    reason = "Why this is safe, and what would make it go away."
    expires = 2027-03-31           # the last day the entry counts

The check fails on any finding not listed, on any entry past its expiry date, on an entry
without a reason or a date, and when bandit could not read a file or scanned no code at all.
Entries that match nothing are reported, so they can be removed.

Usage: python .ci/bandit_check.py [PATH ...]   (default: referrals hub ird config)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW_FILE = ROOT / ".ci" / "bandit-allow.toml"
DEFAULT_PATHS = ("referrals", "hub", "ird", "config")


@dataclass(frozen=True)
class Finding:
    test_id: str
    file: str
    line: int
    severity: str
    confidence: str
    text: str
    fingerprint: str


@dataclass(frozen=True)
class Entry:
    test_id: str
    file: str
    fingerprint: str
    reason: str
    expires: datetime.date | None


def fingerprint(test_id: str, code: str) -> str:
    """The test id and the flagged source with all whitespace removed, hashed: stable when
    lines move or are re-indented, changed when the flagged code itself changes."""
    squeezed = re.sub(r"\s+", "", code)
    return hashlib.sha256(f"{test_id}:{squeezed}".encode()).hexdigest()[:12]


def flagged_source(path: Path, line_range: list[int]) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    first, last = min(line_range), max(line_range)
    return "\n".join(lines[first - 1 : last])


def findings_from(report: dict, root: Path) -> list[Finding]:
    found = []
    for result in report.get("results", []):
        path = Path(result["filename"])
        absolute = path if path.is_absolute() else root / path
        relative = absolute.resolve().relative_to(root).as_posix()
        line_range = result.get("line_range") or [result["line_number"]]
        source = flagged_source(absolute, line_range)
        found.append(
            Finding(
                test_id=result["test_id"],
                file=relative,
                line=result["line_number"],
                severity=result["issue_severity"],
                confidence=result["issue_confidence"],
                text=result["issue_text"],
                fingerprint=fingerprint(result["test_id"], source),
            )
        )
    return found


def load_allow(text: str) -> tuple[list[Entry], list[str]]:
    """Entries, and problems with the file itself (each one fails the check)."""
    data = tomllib.loads(text)
    entries, problems = [], []
    for number, raw in enumerate(data.get("allow", []), start=1):
        missing = [k for k in ("test_id", "file", "fingerprint") if not str(raw.get(k, "")).strip()]
        if missing:
            problems.append(f"allow entry {number}: missing {', '.join(missing)}")
            continue
        expires = raw.get("expires")
        if isinstance(expires, str):
            try:
                expires = datetime.date.fromisoformat(expires)
            except ValueError:
                expires = None
        if isinstance(expires, datetime.datetime):
            expires = expires.date()
        if not isinstance(expires, datetime.date):
            problems.append(
                f"allow entry {number} ({raw['test_id']} {raw['file']}): no expiry date"
            )
            expires = None
        reason = str(raw.get("reason", "")).strip()
        if not reason:
            problems.append(f"allow entry {number} ({raw['test_id']} {raw['file']}): no reason")
        entries.append(
            Entry(
                test_id=raw["test_id"],
                file=raw["file"],
                fingerprint=raw["fingerprint"],
                reason=reason,
                expires=expires,
            )
        )
    return entries, problems


@dataclass
class Verdict:
    allowed: list[tuple[Finding, Entry]]
    unlisted: list[Finding]
    expired: list[Entry]
    unused: list[Entry]

    @property
    def passed(self) -> bool:
        return not self.unlisted and not self.expired


def judge(findings: list[Finding], entries: list[Entry], today: datetime.date) -> Verdict:
    expired = [e for e in entries if e.expires is not None and e.expires < today]
    valid = {
        (e.test_id, e.file, e.fingerprint): e
        for e in entries
        if e.expires is not None and e.expires >= today and e.reason
    }
    allowed, unlisted, used = [], [], set()
    for finding in findings:
        key = (finding.test_id, finding.file, finding.fingerprint)
        if key in valid:
            allowed.append((finding, valid[key]))
            used.add(key)
        else:
            unlisted.append(finding)
    unused = [key_entry for key, key_entry in valid.items() if key not in used]
    return Verdict(allowed=allowed, unlisted=unlisted, expired=expired, unused=unused)


def run_bandit(paths: list[str]) -> dict:
    command = [sys.executable, "-m", "bandit", "-ll", "-ii", "--ignore-nosec", "-q"]
    command += ["-f", "json", "-r", *paths]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode not in (0, 1) or not done.stdout.strip():
        sys.exit(f"bandit did not run (exit {done.returncode}):\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def main(argv: list[str]) -> int:
    paths = argv or list(DEFAULT_PATHS)
    report = run_bandit(paths)
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", 0)
    findings = findings_from(report, ROOT)
    entries, problems = load_allow(ALLOW_FILE.read_text(encoding="utf-8"))
    verdict = judge(findings, entries, datetime.date.today())
    errors = report.get("errors", [])

    for finding, entry in verdict.allowed:
        print(
            f"allowed  {finding.test_id} {finding.file}:{finding.line} "
            f"(until {entry.expires}): {entry.reason}"
        )
    for finding in verdict.unlisted:
        print(
            f"FINDING  {finding.test_id} {finding.file}:{finding.line} "
            f"[{finding.severity}/{finding.confidence}] {finding.text}\n"
            f'         to allow it: test_id = "{finding.test_id}", file = "{finding.file}", '
            f'fingerprint = "{finding.fingerprint}", reason = "...", expires = YYYY-MM-DD'
        )
    for entry in verdict.expired:
        print(
            f"EXPIRED  allow entry {entry.test_id} {entry.file} {entry.fingerprint} "
            f"ran out on {entry.expires}: fix the code or renew the entry with a new reason"
        )
    for entry in verdict.unused:
        print(f"unused   allow entry {entry.test_id} {entry.file} {entry.fingerprint}: remove it")
    for problem in problems:
        print(f"INVALID  {problem}")
    for error in errors:
        print(f"ERROR    bandit could not scan {error.get('filename')}: {error.get('reason')}")

    failed = not verdict.passed or problems or errors or scanned == 0
    print(
        f"bandit -ll -ii over {' '.join(paths)}: {scanned} lines scanned, "
        f"{len(findings)} findings ({len(verdict.allowed)} allowed, "
        f"{len(verdict.unlisted)} not allowed), {len(verdict.expired)} allow entries expired, "
        f"{len(problems)} invalid, {len(errors)} files unreadable: "
        f"{'FAILED' if failed else 'passed'}{' (no code scanned)' if scanned == 0 else ''}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
