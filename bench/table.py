"""`make bench`: issue 14's goals P1-P7 measured at two sizes and printed as one table.

    .venv/bin/python bench/table.py [--sizes small,large]

Each size runs bench/run.py (sweep, matching, reports over generated referrals, the statements
of a request), bench/compare_api.py (the partner API and the intake pages against the bare
Django + DRF app, interleaved, with the size's referrals on file) and, once, bench/live_record.py
(20 watchers), each writing its figures as JSON; the table follows, in markdown, ready for
bench/RESULTS.md. On PostgreSQL (DATABASE_URL) the sizes are issue 14's: small 10,000 referrals
and 10,000 people, large 1,000,000 and 500,000; on SQLite a tenth of those.
BENCH_LARGE_REFERRALS and BENCH_LARGE_PEOPLE change the large size, BENCH_API_REFERRALS caps the
referrals loaded under the API (default: the size's). Timings, never assertions: they move with
the machine and its load.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def sizes() -> dict[str, dict[str, int]]:
    scale = 1 if POSTGRES else 10
    return {
        "small": {
            "referrals": int(os.environ.get("BENCH_SMALL_REFERRALS", 10_000 // scale)),
            "people": int(os.environ.get("BENCH_SMALL_PEOPLE", 10_000 // scale)),
            "open_deadlines": 100_000 // scale,
        },
        "large": {
            "referrals": int(os.environ.get("BENCH_LARGE_REFERRALS", 1_000_000 // scale)),
            "people": int(os.environ.get("BENCH_LARGE_PEOPLE", 500_000 // scale)),
            "open_deadlines": 1_000_000 // scale,
        },
    }


def run_size(name: str, size: dict[str, int], scratch: Path, *, quick: bool) -> dict:
    """Every measure at one size: {"run": ..., "api": ...}."""
    referrals, people = size["referrals"], size["people"]
    env = {
        **os.environ,
        "BENCH_JSON": str(scratch / f"run-{name}.json"),
        # A database of its own (on SQLite a file in the scratch directory).
        "BENCH_DB_NAME": f"bench_{name}" if POSTGRES else str(scratch / f"bench_{name}.sqlite3"),
        "BENCH_REFERRALS": str(referrals),
        "BENCH_PEOPLE": str(people),
        "BENCH_OPEN_DEADLINES": str(size["open_deadlines"]),
        "BENCH_AUDIT_ROWS": str(referrals),
    }
    _run([sys.executable, "bench/run.py"], env)
    # BENCH_API_REFERRALS caps the referrals loaded under the API (a second volume to build).
    cap = int(os.environ.get("BENCH_API_REFERRALS", referrals))
    api_env = {**os.environ, "BENCH_API_REFERRALS": str(min(referrals, cap))}
    seconds = ["--seconds", "2", "--rounds", "1"] if quick else []
    _run(
        [
            sys.executable,
            "bench/compare_api.py",
            "--json",
            str(scratch / f"api-{name}.json"),
            *seconds,
        ],
        api_env,
    )
    return {
        "size": size,
        "run": json.loads((scratch / f"run-{name}.json").read_text()),
        "api": json.loads((scratch / f"api-{name}.json").read_text()),
    }


def _run(command: list[str], env: dict) -> None:
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own benches


# --- the table ------------------------------------------------------------------------------


def _api_row(label, kind, results, *, whole_goal: bool = False) -> list:
    """P1 (`whole_goal`): >= 0.8x the bare requests/s, <= 1.25x its CPU a request and p99 <= 2x
    its p99; P2: >= 0.8x the requests/s."""
    goal_ratio = 0.8
    cells, met = [], True
    for result in results:
        ours, bare = result["api"][kind]["ours"], result["api"][kind]["bare"]
        ratio = ours["per_second"] / bare["per_second"] if bare["per_second"] else 0
        cpu = ours["cpu_ms"] / bare["cpu_ms"] if bare["cpu_ms"] else 0
        p99 = ours["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else 0
        cells.append(
            f"{ratio:.2f}x ({ours['per_second']:.0f}/s vs {bare['per_second']:.0f}/s; "
            f"CPU {cpu:.1f}x, p99 {p99:.1f}x)"
        )
        met = met and ratio >= goal_ratio and (not whole_goal or (cpu <= 1.25 and p99 <= 2))
    target = ">= 0.8x bare requests/s" + (", CPU <= 1.25x, p99 <= 2x" if whole_goal else "")
    return [label, *cells, target, met]


def _ms(result: dict, label: str, key: str = "ms") -> float | None:
    figure = result["run"].get(label)
    return None if figure is None else figure[key]


def _fmt(value: float | None, unit: str = " ms") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}{unit}" if value >= 100 else f"{value:.1f}{unit}"


def rows(results: list[dict], live: dict | None) -> list[list]:
    table = [
        _api_row("P1 partner API create", "create", results, whole_goal=True),
        _api_row(
            "P1 intake pages (step one, matching, save)", "intake pages", results, whole_goal=True
        ),
        _api_row("P2 concern detail", "detail", results),
        _api_row("P2 concern list (50)", "list", results),
    ]
    # P3: the sweep with 1,000 due among the size's open deadlines against among 10,000.
    cells, met = [], True
    for result in results:
        opened = result["size"]["open_deadlines"]
        base = _ms(result, "deadline sweep, 10,000 open, 1,000 due")
        big = _ms(result, f"deadline sweep, {opened:,} open, 1,000 due")
        ratio = big / base if base and big else None
        cells.append(f"{_fmt(big)} among {opened:,} open ({ratio:.2f}x 10,000)" if ratio else "n/a")
        met = met and ratio is not None and ratio <= 1.2
    table.append(["P3 sweep, 1,000 due", *cells, "<= 1.2x the time among 10,000 open", met])
    # P4: matching p95 among the size's people.
    cells, met = [], True
    for result in results:
        people = result["size"]["people"]
        p95 = _ms(result, f"matching candidates among {people:,} people", "p95_ms")
        cells.append(f"p95 {_fmt(p95)} among {people:,} people")
        met = met and p95 is not None and p95 <= 50
    table.append(["P4 matching", *cells, "p95 <= 50 ms among 500,000 people", met])
    # P5: every report page, its slowest period.
    reports = sorted(
        {
            label.rsplit(",", 1)[0]
            for label in results[0]["run"]
            if label.startswith(("hub report", "CP statistics"))
        }
    )
    for report in reports:
        cells, met = [], True
        for result in results:
            times = [v["ms"] for k, v in result["run"].items() if k.rsplit(",", 1)[0] == report]
            queries = [
                v["queries"] for k, v in result["run"].items() if k.rsplit(",", 1)[0] == report
            ]
            slowest = max(times) if times else None
            cells.append(f"{_fmt(slowest)} ({max(queries)} queries)" if times else "n/a")
            met = met and slowest is not None and slowest <= 1000
        table.append(
            [f"P5 {report} (slowest period)", *cells, "<= 1 s over 1,000,000 referrals", met]
        )
    # P6: once.
    if live:
        once = [f"p95 {_fmt(live['p95_ms'])}", *["(run once)"] * (len(results) - 1)]
        met = live["p95_ms"] <= 1000
        table.append(["P6 live IRD record, 20 watchers", *once, "p95 <= 1 s", met])
    # P7: statements of one request.
    for label, goal in (
        ("P7 partner API create (one concern)", "~20"),
        ("P7 partner API detail", "constant"),
        ("P7 partner API list (a page of 50)", "constant"),
        ("P7 intake page, step one", "constant"),
        ("P7 intake page, checked with its matching", "constant"),
    ):
        counts = [_ms(result, label, "queries") for result in results]
        met = goal != "~20" or all(c is not None and c <= 25 for c in counts)
        table.append([f"{label} (statements)", *[str(c) for c in counts], goal, met])
    saves = [
        (_ms(r, "P7 intake page, checked and saved", "queries") or 0)
        - (_ms(r, "P7 intake page, checked with its matching", "queries") or 0)
        for r in results
    ]
    table.append(
        [
            "P7 intake page, save (statements)",
            *[str(s) for s in saves],
            "~20",
            all(s <= 25 for s in saves),
        ]
    )
    return table


def render(results: list[dict], names: list[str], live: dict | None) -> str:
    header = [
        "goal",
        *[
            f"{n} ({r['size']['referrals']:,} referrals, {r['size']['people']:,} people)"
            for n, r in zip(names, results, strict=True)
        ],
        "target",
        "met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows(results, live):
        *cells, met = row
        lines.append("| " + " | ".join([*cells, "yes" if met else "**no**"]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZE", "small,large"))
    parser.add_argument("--quick", action="store_true", help="Short API phases (a smoke run).")
    parser.add_argument("--no-live", action="store_true", help="Leave out the live record (P6).")
    options = parser.parse_args()
    names = [name for name in options.sizes.replace("both", "small,large").split(",") if name]
    scratch = Path(tempfile.mkdtemp(prefix="bench-table-"))
    results = [run_size(name, sizes()[name], scratch, quick=options.quick) for name in names]
    live = None
    if not options.no_live:
        _run(
            [sys.executable, "bench/live_record.py", "--json", str(scratch / "live.json")],
            dict(os.environ),
        )
        live = json.loads((scratch / "live.json").read_text())
    print("\n" + render(results, names, live))


if __name__ == "__main__":
    main()
