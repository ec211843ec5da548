"""Moving a referral on: the row lock with its optimistic version check, and status changes
made from outside screening (ird/ moves referrals through the IRD states with this)."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from referrals import audit, chronology, lifecycle
from referrals.api import webhooks
from referrals.errors import EditConflict
from referrals.models import ChronologyEntry, Referral


def referral_lock(referral: Referral, expected_version: int | None = None) -> Referral:
    """Lock the referral row and, for a form opened at `expected_version`, refuse a stale save."""
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(
            f"Referral {locked.reference} was changed by someone else while you were working "
            "on it. Your text is kept below: check the referral and submit again."
        )
    return locked


def save_new_version(record, *fields: str) -> None:
    """Save the named fields and move the record's version on, so open forms know they are
    stale. For any record with `version` and `updated_at` (referrals, CPPMs, core groups)."""
    record.version = F("version") + 1
    record.save(update_fields=[*fields, "version", "updated_at"])
    record.refresh_from_db(fields=["version"])


@transaction.atomic
def referral_progress(
    *,
    referral: Referral,
    target: str,
    by,
    summary: str,
    occurred_at: datetime | None = None,
    kind: str = ChronologyEntry.Kind.IRD,
) -> Referral:
    """Move `referral` to `target` (the lifecycle decides whether it may), note it in each
    child's chronology and the audit log, and tell the submitting partner system."""
    referral = referral_lock(referral)
    lifecycle.referral_move(referral, target)
    save_new_version(referral, "status")
    chronology.chronology_add(
        people=list(referral.children.all()),
        kind=kind,
        summary=summary,
        occurred_at=occurred_at or timezone.now(),
        referral=referral,
        recorded_by=by,
    )
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=referral, detail={"status": referral.status}
    )
    webhooks.concern_event(referral, webhooks.STATUS_CHANGED)
    return referral
