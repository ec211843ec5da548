"""A real Celery worker process against the configured broker (Redis in CI) and the test
database: it runs the sweep, and a worker killed with SIGKILL mid-sweep loses nothing and
duplicates nothing once the work runs again."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from referrals import deadlines
from referrals.models import Deadline, DeadlineAlert, Notification
from tests.factories import overdue_deadlines

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(360),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def queue():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def start_worker(queue):
    workers = []

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            # Real queueing inside the worker too: the e-mail tasks the sweep queues go
            # through the broker to this test's own queue.
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        }
        worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-c",
                "1",
                "--pool",
                "prefork",
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)  # leave no test messages in a shared broker


@pytest.fixture
def overdue(social_worker, team_manager):
    """Deadlines whose due and manager-escalation moments have both passed."""
    return lambda count: overdue_deadlines(count, owner=social_worker)


def sweep_on(queue: str) -> None:
    app.send_task("referrals.tasks.sweep_deadlines", queue=queue)


def wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.3)
    return False


def all_done(expected_alerts: int):
    def check() -> bool:
        alerts = DeadlineAlert.objects.count()
        return (
            alerts >= expected_alerts
            and not Deadline.objects.filter(
                state__in=deadlines.LIVE_STATES, next_action_at__lte=timezone.now()
            ).exists()
        )

    return check


def assert_exactly_once(deadline_count: int) -> None:
    # Two levels passed for each deadline (due, then manager): one alert and one
    # notification per recipient each, never more.
    assert DeadlineAlert.objects.count() == deadline_count * 2
    assert Notification.objects.filter(alert__isnull=False).count() == deadline_count * 2
    levels = DeadlineAlert.objects.values_list("deadline_id", "level")
    assert len(set(levels)) == len(levels)


def test_a_real_worker_runs_the_sweep(start_worker, queue, overdue):
    overdue(20)
    start_worker()
    sweep_on(queue)
    assert wait_for(all_done(40), timeout=90), "the worker did not finish the sweep"
    assert_exactly_once(20)
    assert wait_for(
        lambda: not DeadlineAlert.objects.filter(emailed_at__isnull=True).exists(), 60
    ), "alert e-mails were not sent by the worker"


def test_a_worker_killed_mid_sweep_loses_and_duplicates_nothing(start_worker, queue, overdue):
    overdue(600)
    worker = start_worker()
    sweep_on(queue)
    # Kill the whole worker (main process and its child) once the sweep is under way.
    wait_for(lambda: DeadlineAlert.objects.exists(), timeout=90)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    done_before_kill = DeadlineAlert.objects.count()

    start_worker()
    sweep_on(queue)
    assert wait_for(all_done(1200), timeout=240), (
        f"after the restart the sweep did not finish ({DeadlineAlert.objects.count()} alerts; "
        f"{done_before_kill} before the kill)"
    )
    assert_exactly_once(600)
