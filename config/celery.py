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
    # Practice hub: opens the audit round of the current two-month period once (unique per
    # period), and tidies review claims past their time.
    "open-due-audit-round": {"task": "hub.tasks.open_due_audit_round", "schedule": 3600.0},
    "expire-review-claims": {"task": "hub.tasks.expire_review_claims", "schedule": 300.0},
    # The committee reports' summary (hub/summary.py): what changed, every five minutes; all
    # of it once a day.
    "refresh-report-summary": {"task": "hub.tasks.refresh_report_summary", "schedule": 300.0},
    "rebuild-report-summary": {"task": "hub.tasks.rebuild_report_summary", "schedule": 86400.0},
    "purge-idempotency-keys": {
        "task": "referrals.api.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    "redeliver-webhooks": {
        "task": "referrals.api.tasks.redeliver_pending_webhooks",
        "schedule": 300.0,
    },
    # The audit chain's head, daily, to a file and to the information governance officers.
    "export-audit-head": {"task": "referrals.tasks.export_audit_head", "schedule": 86400.0},
    # Records past their retention period, listed to the information governance officers every
    # 30 days (a fixed interval, as above); disposal waits for a manager's approval.
    "list-disposal-due": {"task": "referrals.tasks.list_disposal_due", "schedule": 30 * 86400.0},
    # An approved disposal a crash or a lost task left half done carries on (each record once).
    "resume-disposal": {"task": "referrals.tasks.resume_disposal", "schedule": 3600.0},
    # Practice hub feedback e-mailed to external referrers whose task never reached the broker.
    "resend-referrer-feedback-email": {
        "task": "referrals.tasks.resend_unsent_referrer_email",
        "schedule": 300.0,
    },
    # IRDs: calendar invitations whose task never reached the broker are sent (once each).
    "resend-ird-calendar-messages": {
        "task": "ird.tasks.resend_unsent_calendar_messages",
        "schedule": 300.0,
    },
}
