"""Benchmarks: how the costly reads and the deadline sweep scale. Timings, never assertions.

    make bench                      # SQLite, or PostgreSQL with DATABASE_URL set

Each benchmark builds its data in a fresh test database, runs its operation a few times and
prints the median wall time and the query count.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 5


def measure(label: str, operation) -> None:
    times = []
    with CaptureQueriesContext(connection) as queries:
        operation()
    for _ in range(RUNS):
        started = time.perf_counter()
        operation()
        times.append(time.perf_counter() - started)
    print(f"{label:<58} {statistics.median(times) * 1000:9.1f} ms  {len(queries):4d} queries")


def measure_once(label: str, operation) -> None:
    """For an operation too long to repeat (a walk of the whole audit chain)."""
    started = time.perf_counter()
    operation()
    print(f"{label:<58} {(time.perf_counter() - started) * 1000:9.1f} ms  (one run)")


def build_audit_chain(count: int, *, about) -> None:
    """`count` chained audit rows (as audit.record would write them), one in fifty about
    `about`, inserted in batches; the chain head follows so that verify_audit walks them all."""
    from referrals import audit_chain
    from referrals.models import AuditChainHead, AuditEntry

    previous, at = audit_chain.GENESIS, timezone.now()
    batch = []
    for seq in range(1, count + 1):
        values = {
            "seq": seq,
            "at": at,
            "actor_id": None,
            "actor_label": "bench",
            "actor_role": "social_worker",
            "actor_agency": "social-work",
            "action": "view",
            "object_type": "person",
            "object_id": str(about.pk) if seq % 50 == 0 else str(seq),
            "detail": {},
            "request_id": "",
            "ip_address": None,
            "route": "",
        }
        previous = audit_chain.row_hash(previous, values)
        batch.append(AuditEntry(**values, row_hash=previous))
        if len(batch) == 5_000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)
    AuditChainHead.objects.update_or_create(id=1, defaults={"seq": count, "row_hash": previous})


def build_deadlines(count: int, timescale, owner, *, due: int) -> None:
    """`count` open deadlines, the first `due` of them due now (overdue: each raises alerts)."""
    from referrals.models import Deadline

    now, later = timezone.now(), timezone.now() + timedelta(days=30)
    for start in range(0, count, 5000):
        Deadline.objects.bulk_create(
            Deadline(
                timescale=timescale,
                subject_type="bench",
                subject_id=str(n),
                url="/",
                owner=owner,
                team=owner.team,
                starts_at=now - timedelta(days=2) if n < due else later,
                due_at=now - timedelta(minutes=5) if n < due else later,
                next_action_at=now - timedelta(minutes=5) if n < due else later,
            )
            for n in range(start, min(start + 5000, count))
        )


def main() -> None:
    from referrals import (
        audit_chain,
        chronology,
        deadlines,
        governance,
        matching,
        name_matching,
        volume,
    )
    from referrals.models import ChronologyEntry, Deadline, Person, Timescale
    from tests.factories import StaffFactory

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        worker = StaffFactory()
        timescale = Timescale.objects.get(kind="screening")
        largest = int(os.environ.get("BENCH_OPEN_DEADLINES", "20000"))
        for open_count in sorted({1_000, 10_000, largest}):
            Deadline.objects.all().delete()
            build_deadlines(open_count, timescale, worker, due=0)
            measure(f"deadline sweep, {open_count:,} open, none due", deadlines.sweep)
        # Issue 14 P3: the cost of a sweep follows the rows due, not the rows open.
        for open_count in sorted({10_000, largest}):
            Deadline.objects.all().delete()
            build_deadlines(open_count, timescale, worker, due=1_000)
            measure_once(f"deadline sweep, {open_count:,} open, 1,000 due", deadlines.sweep)

        people = int(os.environ.get("BENCH_PEOPLE", "5000"))
        volume.build_people(people)
        query = name_matching.PersonDetails(
            first_name="Olivia",
            last_name="Smyth",
            date_of_birth=timezone.localdate() - timedelta(days=4000),
            postcode="IV30 0AB",
        )
        measure(
            f"matching candidates among {people:,} people",
            lambda: matching.candidates_for(query),
        )

        person = Person.objects.first()
        ChronologyEntry.objects.bulk_create(
            ChronologyEntry(
                person=person,
                occurred_at=timezone.now() - timedelta(days=n),
                kind=ChronologyEntry.Kind.NOTE,
                summary=f"Entry {n}",
            )
            for n in range(2_000)
        )
        measure(
            "chronology of one child, 2,000 entries", lambda: list(chronology.chronology_of(person))
        )

        rows = int(os.environ.get("BENCH_AUDIT_ROWS", "200000"))
        build_audit_chain(rows, about=person)
        measure_once(f"verify_audit over {rows:,} chained rows", audit_chain.verify)
        measure(
            f"who saw this child, {rows:,} audit rows",
            lambda: list(governance.who_saw(person)[:100]),
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
