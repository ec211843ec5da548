"""The lock files agree with the human-edited inputs (no network needed).

Every pin in requirements.in must be in requirements.txt at the same version, every pin in
requirements-dev.in (and the requirements.in it includes) in requirements-dev.txt, every package
of requirements.txt in requirements-dev.txt at the same version, and every locked package must
carry hashes. Edited a .in file? `make lock` compiles the lock files again.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAIRS = {"requirements.in": "requirements.txt", "requirements-dev.in": "requirements-dev.txt"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\#]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def input_pins(path: Path) -> dict[str, str]:
    """Pins of a .in file and the .in files it includes with -r (constraints -c are not pins)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r "):
            pins.update(input_pins(path.parent / line[3:].strip()))
        elif match := PIN.match(line):
            pins[normalise(match[1])] = match[2]
    return pins


def lock_pins(path: Path) -> tuple[dict[str, str], list[str]]:
    """Pins of a lock file, and the packages locked without a hash."""
    pins, unhashed = {}, []
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text(encoding="utf-8"))
    for entry in entries:
        if match := PIN.match(entry):
            name = normalise(match[1])
            pins[name] = match[2]
            if "--hash=sha256:" not in entry:
                unhashed.append(name)
    return pins, unhashed


def main() -> int:
    problems = []
    locks = {}
    for source, lock in PAIRS.items():
        wanted = input_pins(ROOT / source)
        locked, unhashed = lock_pins(ROOT / lock)
        locks[lock] = locked
        for name, version in sorted(wanted.items()):
            if locked.get(name) != version:
                problems.append(
                    f"{source} pins {name}=={version}, {lock} has {locked.get(name, 'nothing')}"
                )
        problems += [f"{lock}: {name} has no hash" for name in unhashed]
    runtime, dev = locks["requirements.txt"], locks["requirements-dev.txt"]
    for name, version in sorted(runtime.items()):
        if dev.get(name) != version:
            problems.append(
                f"requirements.txt locks {name}=={version}, "
                f"requirements-dev.txt has {dev.get(name, 'nothing')}"
            )
    for problem in problems:
        print(problem)
    if problems:
        print("The lock files are out of date: run `make lock`.")
        return 1
    print(
        f"Lock files agree with their inputs: {len(runtime)} runtime packages, "
        f"{len(dev)} with the tooling, all hashed."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
