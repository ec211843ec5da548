"""Celery tasks of the practice hub: thin wrappers around services, safe to run twice.
The beat schedule lives in config/celery.py (fixed UTC intervals)."""

from celery import shared_task

from hub import services, summary


@shared_task(acks_late=True, ignore_result=True)
def open_due_audit_round() -> str:
    """Opens the current period's practice audit round if it is not open yet. Runs every hour;
    every run after the first in a period finds the round and does nothing."""
    audit_round, created = services.audit_round_open()
    return f"{audit_round.pk} {'opened' if created else 'already open'}"


@shared_task(acks_late=True, ignore_result=True)
def expire_review_claims() -> int:
    return services.claims_expire()


@shared_task(acks_late=True, ignore_result=True)
def refresh_report_summary() -> int | None:
    """Brings the committee reports' summary up to date with what changed since its last run;
    a second run at the same time leaves at once."""
    return summary.summary_refresh()


@shared_task(acks_late=True, ignore_result=True)
def rebuild_report_summary() -> int:
    """Every referral's facts again, once a night: a safety net for what no timestamp
    records."""
    return summary.summary_rebuild()
