"""The audit log's retention: entries older than the "audit_log" retention class are removed
from the start of the hash chain, never from its middle, and the chain then starts at an
anchor (the place and hash of the last entry removed) so that `verify_audit` still proves
everything after it.

The database refuses to change the audit log even to its owner (referrals/audit_guard.py), and
the application's role may not lift that guard: `manage.py prune_audit_log` is run by the
database administrator with the owner's credentials. Entries about a person under a legal hold
are kept, and so is everything after the first of them (the chain is only ever cut at its
start). The removal itself is an audit entry, and the officers are told the new start."""

import datetime
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from referrals import audit, audit_guard, governance
from referrals.errors import DomainError
from referrals.models import (
    AuditChainAnchor,
    AuditChainHead,
    AuditEntry,
    LegalHold,
    RetentionClass,
)
from referrals.services import retention


class PruneRefused(DomainError):
    pass


@dataclass(frozen=True)
class PrunePlan:
    before: datetime.datetime  # entries written before this are past retention
    through_seq: int  # remove the chain's entries up to and including this place (0: none)
    entries: int
    held_from_seq: int | None  # the first place kept for a legal hold, if one stops the cut


def chain_start() -> AuditChainAnchor | None:
    return AuditChainAnchor.objects.order_by("-seq").first()


def _held_rows() -> Q | None:
    """Entries about any person under a legal hold (as `who saw this child` names them, every
    action included)."""
    touched = None
    for hold in LegalHold.objects.filter(lifted_at__isnull=True).select_related("person"):
        for object_type, ids in governance.records_of(hold.person).items():
            if ids:
                condition = Q(object_type=object_type, object_id__in=ids)
                touched = condition if touched is None else touched | condition
    return touched


def plan(now: datetime.datetime | None = None) -> PrunePlan | None:
    """What a prune would remove today; None when no audit log class is set (kept for ever)."""
    retention_class = RetentionClass.objects.filter(
        record_type=RetentionClass.RecordType.AUDIT_LOG
    ).first()
    if retention_class is None:
        return None
    before = retention.cutoff(retention_class, now)
    chained = AuditEntry.objects.filter(seq__isnull=False)
    # The chain is cut at its start only: at the first entry still within retention...
    first_kept = chained.filter(at__gte=before).aggregate(seq=Min("seq"))["seq"]
    last = chained.order_by("-seq").values_list("seq", flat=True).first() or 0
    through = (first_kept - 1) if first_kept is not None else last
    # ... or at the first entry about a person under a legal hold, if that comes sooner.
    held = _held_rows()
    held_from = None
    if held is not None:
        held_from = chained.filter(held, seq__lte=through).aggregate(seq=Min("seq"))["seq"]
        if held_from is not None:
            through = held_from - 1
    start = chain_start()
    through = max(through, start.seq if start else 0)
    entries = chained.filter(seq__gt=start.seq if start else 0, seq__lte=through).count()
    return PrunePlan(before, through, entries, held_from)


def prune(now: datetime.datetime | None = None) -> PrunePlan | None:
    """Remove the entries past retention, in one transaction with the new anchor and the audit
    entry that records it. Writers wait meanwhile (the chain head stays locked throughout)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Writers take the head's row lock to append: hold it, so none slips in meanwhile.
        list(AuditChainHead.objects.select_for_update().filter(id=1))
        prune_plan = plan(now)
        if prune_plan is None or prune_plan.entries == 0:
            return prune_plan
        last_removed = AuditEntry.objects.get(seq=prune_plan.through_seq)
        try:
            audit_guard.suspend(connection)
        except DatabaseError as error:
            raise PruneRefused(
                "The audit log can only be pruned by the owner of its table: run this command "
                "with the owner's database credentials (README, Production)."
            ) from error
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM referrals_auditentry WHERE seq IS NOT NULL AND seq <= %s",
                [prune_plan.through_seq],
            )
        audit_guard.restore(connection)
        anchor = AuditChainAnchor.objects.create(
            seq=last_removed.seq,
            row_hash=last_removed.row_hash,
            entries_removed=prune_plan.entries,
            removed_before=prune_plan.before,
            removed_at=now,
        )
        audit.record(
            actor=None,
            action=AuditEntry.Action.DISPOSE,
            subject=anchor,
            object_type="audit_log",
            detail={
                "event": "audit_log_pruned",
                "through_seq": anchor.seq,
                "row_hash": anchor.row_hash,
                "entries": anchor.entries_removed,
            },
        )
    return prune_plan
