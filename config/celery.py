"""The Celery app. The beat schedule lives here, in UTC intervals (never local-time crontabs)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("referrals_system")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every periodic task, in fixed UTC intervals (never local-time crontabs: they misfire at clock
# changes). Run exactly one beat; the tasks are safe even if two run (see referrals/deadlines).
app.conf.beat_schedule = {
    "sweep-deadlines": {"task": "referrals.tasks.sweep_deadlines", "schedule": 60.0},
}
