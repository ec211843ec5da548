"""`make audit-deps`: pip-audit over the hashed lock files, and a plain count of what it checked.

pip-audit reports "No known vulnerabilities found" (and exits 0) even when it reached no
vulnerability data at all: every package is then merely skipped. So this reads its JSON output
and counts. It passes only when every pinned package was checked and none has a known
vulnerability; it fails on any vulnerability, on any package left unchecked, and says so
loudly when nothing was checked at all. It needs the vulnerability service on the internet.

Usage: python .ci/audit_deps.py [LOCK_FILE ...]   (default: requirements.txt requirements-dev.txt)
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCKS = ("requirements.txt", "requirements-dev.txt")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(locks: list[str]) -> set[str]:
    return {
        normalise(name)
        for lock in locks
        for name, _ in PIN.findall((ROOT / lock).read_text(encoding="utf-8"))
    }


def tally(report: dict) -> tuple[set[str], dict[str, str], dict[str, list[dict]]]:
    """Packages checked, packages skipped (with pip-audit's reason), vulnerabilities by package."""
    checked, skipped, vulnerable = set(), {}, {}
    for dep in report.get("dependencies", []):
        name = normalise(dep["name"])
        if "skip_reason" in dep:
            skipped[name] = dep["skip_reason"]
            continue
        checked.add(name)
        if dep.get("vulns"):
            vulnerable[f"{dep['name']} {dep.get('version', '')}".strip()] = dep["vulns"]
    return checked, skipped, vulnerable


def main(argv: list[str]) -> int:
    locks = argv or list(DEFAULT_LOCKS)
    total = len(pinned(locks))
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes"]
    command += ["--progress-spinner", "off", "-f", "json"]
    for lock in locks:
        command += ["-r", lock]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(done.stderr.strip())
        print(f"pip-audit failed (exit {done.returncode}) and checked none of {total} packages.")
        return 1
    checked, skipped, vulnerable = tally(report)

    for package, vulns in sorted(vulnerable.items()):
        for vuln in vulns:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE  {package}: {vuln.get('id')} (fixed in: {fixes})")
    if skipped and checked:
        for name, reason in sorted(skipped.items()):
            print(f"unchecked   {name}: {reason}")

    where = " + ".join(locks)
    if not checked:
        example = next(iter(skipped.values()), "no packages in its report")
        print(
            f"pip-audit checked 0 of {total} packages pinned in {where}: "
            "no vulnerability data reached; this is not a pass.\n"
            f"  (pip-audit's own words: {example!r}; it still prints 'No known vulnerabilities"
            " found'.)\n  Run `make audit-deps` where the vulnerability service can be reached."
        )
        return 1
    print(f"pip-audit checked {len(checked)} of {total} packages pinned in {where}.")
    if vulnerable:
        count = sum(len(v) for v in vulnerable.values())
        print(f"{count} known vulnerabilities in {len(vulnerable)} packages: FAILED.")
        return 1
    if len(checked) < total:
        print(f"{total - len(checked)} packages were not checked: this is not a pass.")
        return 1
    print("No known vulnerabilities in any pinned package.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
