"""Benchmarks: how the costly reads and the deadline sweep scale. Timings, never assertions.

    make bench                      # SQLite, or PostgreSQL with DATABASE_URL set

Each benchmark builds its data in a fresh test database, runs its operation a few times and
prints the median wall time and the query count.
"""

import json
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
# Every figure printed, by its label, for bench/table.py (written to $BENCH_JSON at the end).
RESULTS: dict[str, dict] = {}


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
    median, p95_ms = statistics.median(times) * 1000, None
    if runs >= 20:
        p95_ms = statistics.quantiles(times, n=20)[-1] * 1000
    RESULTS[label] = {"ms": median, "queries": len(queries), "p95_ms": p95_ms}
    p95 = f"  p95 {p95_ms:.1f} ms" if p95_ms is not None else ""
    print(f"{label:<58} {median:9.1f} ms  {len(queries):4d} queries{p95}")


def measure_once(label: str, operation) -> None:
    """For an operation too long to repeat (a walk of the whole audit chain)."""
    started = time.perf_counter()
    operation()
    took = (time.perf_counter() - started) * 1000
    RESULTS[label] = {"ms": took, "queries": None, "p95_ms": None}
    print(f"{label:<58} {took:9.1f} ms  (one run)")


def measure_sweeps(label: str, sweep, runs: int = 3) -> None:
    """The median of `runs` sweeps of the same due deadlines, each made due again (its alerts
    gone, its level and next moment back) before it: one sweep of 1,000 alerts takes seconds,
    and one run of it moves with the machine's load."""
    from referrals.models import Deadline, DeadlineAlert

    times = []
    for _ in range(runs):
        now = timezone.now()
        DeadlineAlert.objects.all().delete()
        Deadline.objects.filter(due_at__lte=now).update(
            level=0,
            state=Deadline.State.OPEN,
            breached_at=None,
            next_action_at=now - timedelta(minutes=5),
        )
        started = time.perf_counter()
        sweep()
        times.append(time.perf_counter() - started)
    median = statistics.median(times) * 1000
    RESULTS[label] = {"ms": median, "queries": None, "p95_ms": None}
    print(f"{label:<58} {median:9.1f} ms  (median of {runs})")


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


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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
    took = time.perf_counter() - started
    RESULTS["generate_volume"] = {"ms": took * 1000, "queries": None, "p95_ms": None}
    print(f"{'generate_volume, ' + format(referrals, ',') + ' referrals':<58} "
          f"{took:9.1f} s   (one run)")  # fmt: skip
    _analyze()
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


def request_costs() -> None:
    """Issue 14 P7: the statements one request runs, and its time in process: a partner's
    concern taken, read and listed (a page of 50), and the social worker's intake pages (step
    one, the checked form with its matching, the save)."""
    import html
    import re
    import uuid

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import Client

    from bench.compare_api import _intake_form
    from bench.reliability import concern_body
    from referrals.api import services
    from referrals.models import Role
    from tests.conftest import SignedInClient
    from tests.factories import AgencyFactory, StaffFactory, TeamFactory, category

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    police = AgencyFactory(code="bench-police", kind="police", name="Police Scotland")
    team = TeamFactory(agency=AgencyFactory(code="bench-sw", kind="social_work"))
    team.receives_partner_concerns = True
    team.save()
    token = services.token_issue(client=services.client_create(name="Bench", agency=police))[1]
    partner = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    made = []

    def create():
        response = partner.post(
            "/api/v1/concerns/",
            json.dumps(concern_body(0)),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        assert response.status_code == 201, response.status_code
        made.append(response.json()["id"])

    for _ in range(50):  # a full page to list
        create()
    measure("P7 partner API create (one concern)", create)
    measure("P7 partner API detail", lambda: partner.get(f"/api/v1/concerns/{made[-1]}/"))
    measure("P7 partner API list (a page of 50)", lambda: partner.get("/api/v1/concerns/"))

    browser = SignedInClient()
    browser.force_login(StaffFactory(role=Role.SOCIAL_WORKER, team=team))
    form = {"source_agency": str(police.pk), "categories": str(category("neglect").pk)}
    held = {}

    def step_one():
        assert browser.get("/referrals/new/").status_code == 200

    def checked():
        response = browser.post("/referrals/new/", _intake_form({"form": form}))
        assert response.status_code == 200, response.status_code
        held["payload"] = re.search(r'name="payload" value="([^"]+)"', response.content.decode())

    def save():
        checked()
        payload = html.unescape(held["payload"].group(1))
        confirm = {"action": "confirm", "payload": payload, "match-child-0": "new"}
        assert browser.post("/referrals/new/", confirm).status_code == 302

    measure("P7 intake page, step one", step_one)
    measure("P7 intake page, checked with its matching", checked)
    measure("P7 intake page, checked and saved", save)


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
        # BENCH_ONLY=reports or sweep: that part alone (a quiet re-measure of one goal).
        only = os.environ.get("BENCH_ONLY", "")
        if only == "reports":
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
            measure_sweeps(f"deadline sweep, {open_count:,} open, 1,000 due", deadlines.sweep)
        if only == "sweep":
            return

        people = int(os.environ.get("BENCH_PEOPLE", "5000"))
        volume.build_people(people)
        _analyze()  # as autovacuum would after a load: the planner knows the blocks' sizes
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
        request_costs()

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
        if os.environ.get("BENCH_JSON"):
            Path(os.environ["BENCH_JSON"]).write_text(json.dumps(RESULTS, indent=1))


if __name__ == "__main__":
    main()
