"""Prometheus metrics at /metrics (README, Operations).

Requests (latency per view, responses per status) come from django-prometheus's middleware.
Counted here as they happen: audit rows written, sweeps (duration, deadlines acted on), Celery
task runs and failures with their latency, sign-in failures and lockouts. Read from the database
and the broker when Prometheus scrapes: deadlines overdue and due soon per step, webhook events
pending and given up, and the broker's queue depth.

With gunicorn and Celery workers as separate processes, set PROMETHEUS_MULTIPROC_DIR (an empty
directory all of them can write, emptied at each start) and /metrics adds up every process.
The page answers only addresses in METRICS_ALLOWED_IPS or a bearer METRICS_TOKEN; to anyone
else it does not exist (404).
"""

import hmac
import os
from datetime import timedelta

from celery import signals
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

AUDIT_ROWS = Counter("referrals_audit_rows_written_total", "Audit log rows written.")
SWEEP_SECONDS = Histogram(
    "referrals_deadline_sweep_seconds",
    "How long one deadline sweep took.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
SWEEP_ALERTS = Counter("referrals_deadline_alerts_total", "Reminders and escalations raised.")
TASK_SECONDS = Histogram(
    "referrals_celery_task_seconds", "Celery task run time, by task.", ["task", "state"]
)
TASK_FAILURES = Counter("referrals_celery_task_failures_total", "Celery task failures.", ["task"])
LOGIN_FAILURES = Counter("referrals_login_failures_total", "Failed sign-ins (password or code).")
LOCKOUTS = Counter("referrals_lockouts_total", "Accounts or addresses locked out.")
DUE_SOON = timedelta(hours=24)


class RecordsCollector:
    """Read at each scrape: a few grouped queries, however many records there are."""

    def collect(self):
        from referrals.api.models import WebhookEvent  # noqa: PLC0415 - apps are ready by now
        from referrals.models import Deadline  # noqa: PLC0415

        now = timezone.now()
        overdue = GaugeMetricFamily(
            "referrals_deadlines_overdue", "Open steps past their due time.", labels=["step"]
        )
        due = GaugeMetricFamily(
            "referrals_deadlines_due_soon", "Open steps due within 24 hours.", labels=["step"]
        )
        rows = (
            Deadline.objects.filter(state__in=[Deadline.State.OPEN, Deadline.State.BREACHED])
            .values("timescale__kind")
            .annotate(
                overdue=Count("pk", filter=Q(due_at__lte=now)),
                due=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + DUE_SOON)),
            )
        )
        for row in rows:
            overdue.add_metric([row["timescale__kind"]], row["overdue"])
            due.add_metric([row["timescale__kind"]], row["due"])
        yield overdue
        yield due
        webhooks = WebhookEvent.objects.aggregate(
            pending=Count("pk", filter=Q(delivered_at__isnull=True, gave_up_at__isnull=True)),
            failed=Count("pk", filter=Q(gave_up_at__isnull=False)),
        )
        yield GaugeMetricFamily(
            "referrals_webhooks_pending", "Webhook events not yet delivered.", webhooks["pending"]
        )
        yield GaugeMetricFamily(
            "referrals_webhooks_given_up", "Webhook events given up on.", webhooks["failed"]
        )
        depth = broker_queue_depth()
        yield GaugeMetricFamily(
            "referrals_broker_up", "Whether the broker answered.", int(depth is not None)
        )
        if depth is not None:
            yield GaugeMetricFamily(
                "referrals_broker_queue_depth", "Tasks waiting in the default queue.", depth
            )


def broker_queue_depth() -> int | None:
    """Messages waiting in Celery's default queue (Redis or RabbitMQ); None if it is down."""
    from config.celery import app  # noqa: PLC0415

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            queue = connection.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
            return queue.message_count
    except Exception:  # noqa: BLE001 - any broker failure reads as "down"
        return None


STATE = CollectorRegistry()  # read when scraped, never at start-up
STATE.register(RecordsCollector())


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


@require_safe
def metrics_view(request):
    if not _allowed(request):
        raise Http404("No such page.")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(STATE)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


# --- Counted as they happen --------------------------------------------------------------------


def task_ran(name: str, state: str | None, seconds: float) -> None:
    """Called by request_log as each task ends (it times the task for its log line too)."""
    TASK_SECONDS.labels(name, state or "UNKNOWN").observe(seconds)


@signals.task_failure.connect(dispatch_uid="referrals.metrics_task_failed")
def _task_failed(sender=None, **kwargs) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def _login_failed(**kwargs) -> None:
    LOGIN_FAILURES.inc()


def _locked_out(**kwargs) -> None:
    LOCKOUTS.inc()


def connect() -> None:
    """Called once from ReferralsConfig.ready()."""
    from axes.signals import user_locked_out  # noqa: PLC0415

    user_login_failed.connect(_login_failed, dispatch_uid="referrals.metrics_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="referrals.metrics_locked_out")
