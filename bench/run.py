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
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 5


def measure(label: str, operation, runs: int = RUNS) -> None:
    """The median of `runs` runs after one to warm up (whose queries are counted); with 20 runs
    or more, the 95th percentile too."""
    times, queries = [], []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted as they run (a request empties the connection's query log as it starts).
    with connection.execute_wrapper(count):
        operation()
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        times.append(time.perf_counter() - started)
    p95 = f"  p95 {statistics.quantiles(times, n=20)[-1] * 1000:.1f} ms" if runs >= 20 else ""
    print(f"{label:<58} {statistics.median(times) * 1000:9.1f} ms  {len(queries):4d} queries{p95}")


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

    # After the rows already chained (generate_volume's, the report pages' reads).
    head = AuditChainHead.objects.filter(id=1).first()
    first = head.seq + 1 if head else 1
    previous, at = (head.row_hash if head else audit_chain.GENESIS), timezone.now()
    batch = []
    for seq in range(first, first + count):
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
    AuditChainHead.objects.update_or_create(
        id=1, defaults={"seq": first + count - 1, "row_hash": previous}
    )


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


def report_pages(referrals: int) -> None:
    """Issue 14 P5: each committee report page over `referrals` generated referrals (ten years
    of them, half as many children), fetched as the committee does through the test client:
    every hub report table for the default twelve months and for the longest period the form
    takes (five years), and the child protection statistics for the statistics year and for
    five years."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import Client
    from django.urls import reverse

    from hub import summary
    from hub.forms import MAX_REPORT_DAYS
    from hub.reports import Report
    from referrals import volume
    from referrals.models import Role
    from tests.conftest import verify_session
    from tests.factories import StaffFactory

    started = time.perf_counter()
    # Another seed than the matching bench's people (the same seed, the same ids).
    volume.build_volume(people=max(referrals // 2, 1), referrals=referrals, years=10, seed=1)
    print(f"{'generate_volume, ' + format(referrals, ',') + ' referrals':<58} "
          f"{time.perf_counter() - started:9.1f} s   (one run)")  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    # The repeat and neglect tables read the summary (hub/summary.py): built in full once
    # (after ANALYZE, as a loaded database would be), then the beat task's first run.
    measure_once("report summary, full rebuild", summary.summary_rebuild)
    measure_once(
        "report summary, refresh (all saved within its 5-minute overlap)", summary.summary_refresh
    )
    # As Django's test runner does: one connection throughout, so its queries are counted.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    committee = StaffFactory(role=Role.COMMITTEE, team=None)
    client = Client()
    client.force_login(committee)
    verify_session(client, committee)
    today = timezone.localdate()
    longest = {
        "start": (today - timedelta(days=MAX_REPORT_DAYS)).isoformat(),
        "end": today.isoformat(),
    }

    def page(url, query=None):
        def fetch():
            response = client.get(url, query or {})
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    measure("hub reports index", page(reverse("hub:reports")))
    for key in Report.TABLES:
        url = reverse("hub:report_table", args=[key])
        measure(f"hub report {key}, 12 months", page(url))
        measure(f"hub report {key}, 5 years", page(url, longest))
    measure("CP statistics, statistics year", page(reverse("ird:statistics")))
    measure("CP statistics, 5 years", page(reverse("ird:statistics"), longest))


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
    from referrals.models import AuditEntry, ChronologyEntry, Deadline, Person, Timescale
    from tests.factories import StaffFactory

    setup_test_environment()
    # A name of one's own, so that two benches on one server do not drop each other's database.
    if os.environ.get("BENCH_DB_NAME"):
        connection.settings_dict["TEST"]["NAME"] = os.environ["BENCH_DB_NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if os.environ.get("BENCH_ONLY") == "reports":
            report_pages(int(os.environ.get("BENCH_REFERRALS", "10000")))
            return
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
        # Issue 14 P4 is a 95th percentile: a hundred runs.
        measure(
            f"matching candidates among {people:,} people",
            lambda: matching.candidates_for(query),
            runs=100,
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

        report_pages(int(os.environ.get("BENCH_REFERRALS", "10000")))

        rows = int(os.environ.get("BENCH_AUDIT_ROWS", "200000"))
        build_audit_chain(rows, about=person)
        # The chain holds generate_volume's rows too (two a referral).
        chained = AuditEntry.objects.count()
        measure_once(f"verify_audit over {chained:,} chained rows", audit_chain.verify)
        measure(
            f"who saw this child, {rows:,} audit rows",
            lambda: list(governance.who_saw(person)[:100]),
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
