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


def build_people(count: int):
    from referrals.models import Person
    from tests.factories import PersonFactory

    surnames = ["Smith", "Mackenzie", "Robertson", "Thomson", "Anderson", "Reid", "Ross"]
    Person.objects.bulk_create(
        PersonFactory.build(
            last_name=surnames[n % len(surnames)],
            first_name=f"Child{n}",
            postcode=f"IV{30 + n % 9} {n % 9}AB",
            date_of_birth=timezone.localdate() - timedelta(days=365 + n),
        )
        for n in range(count)
    )
    for person in Person.objects.all():  # phonetic keys are set on save
        person.save(update_fields=["first_name"])


def main() -> None:
    from referrals import chronology, deadlines, matching, name_matching
    from referrals.models import ChronologyEntry, Deadline, Person, Timescale
    from tests.factories import StaffFactory

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        worker = StaffFactory()
        timescale = Timescale.objects.get(kind="screening")
        for open_count in (1_000, 20_000):
            Deadline.objects.all().delete()
            later = timezone.now() + timedelta(days=30)
            Deadline.objects.bulk_create(
                Deadline(
                    timescale=timescale,
                    subject_type="bench",
                    subject_id=str(n),
                    url="/",
                    owner=worker,
                    team=worker.team,
                    starts_at=later,
                    due_at=later,
                    next_action_at=later,
                )
                for n in range(open_count)
            )
            measure(f"deadline sweep, {open_count:,} open, none due", deadlines.sweep)

        build_people(5_000)
        query = name_matching.PersonDetails(
            first_name="Child42",
            last_name="Smyth",
            date_of_birth=timezone.localdate(),
            postcode="IV30 0AB",
        )
        measure("matching candidates among 5,000 people", lambda: matching.candidates_for(query))

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
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
