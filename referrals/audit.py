"""Writing the audit log. Called inside the same transaction as the change it records."""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models, transaction
from django.utils import timezone

from referrals import audit_chain, memo, metrics
from referrals.models import AuditEntry
from referrals.request_context import current_request

Action = AuditEntry.Action
_IP = AuditEntry._meta.get_field("ip_address")
_gathering: ContextVar[list[dict] | None] = ContextVar("audit_gathering", default=None)


@contextmanager
def gathered():
    """Rows recorded inside the block are written when it ends, together: one place taken in
    the hash chain and one INSERT for a change that records several (an intake: the referral,
    each new person, the IRD it opens). Use inside the change's transaction; if the block
    fails, nothing is written, as the change itself rolls back."""
    with memo.scoped(_gathering, list) as rows:  # nested: None, the outer block writes them
        yield
    if rows:
        _append(rows)


def record(
    *,
    actor,
    action: str,
    subject: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one row. `actor` is a Staff member (or None for the system); `subject` the record
    touched. `detail` holds ids and codes only, never names or other personal details."""
    if subject is not None:
        object_type = object_type or subject._meta.model_name
        object_id = object_id or str(subject.pk)
    values = _values(actor, action, object_type, object_id, detail)
    gathering = _gathering.get()
    if gathering is not None:
        gathering.append(values)
        return AuditEntry(**values)  # saved when the gathering block ends
    [entry] = _append([values])
    return entry


def record_many(
    *, actor, action: str, subjects: Iterable[models.Model], detail: dict | None = None
) -> list[AuditEntry]:
    """One row per subject (a page of records read), written in one statement: a list of 50
    costs the same few round trips as one row."""
    rows = [
        _values(actor, action, subject._meta.model_name, str(subject.pk), detail)
        for subject in subjects
    ]
    return _append(rows) if rows else []


def record_past(rows: list[dict], *, write=None) -> list[AuditEntry]:
    """Rows for events that happened earlier (generated volume data: referrals.volume), each
    with its own `at`, actor and object, chained in the order given in one statement (`write`,
    if given, inserts them instead: the volume builder's COPY). No request context: there was
    none."""
    blank = {"detail": {}, "request_id": "", "ip_address": None, "route": ""}
    return _append([blank | row for row in rows], write=write) if rows else []


def _values(actor, action: str, object_type: str, object_id: str, detail: dict | None) -> dict:
    context = current_request()
    principal = actor if getattr(actor, "is_authenticated", False) else None
    # A partner system's API client (referrals.api) signs in too, but is no staff account.
    staff = None if getattr(principal, "is_api_client", False) else principal
    return {
        "at": timezone.now(),
        "actor_id": staff.pk if staff is not None else None,
        "actor_label": _actor_label(actor)[:200],
        "actor_role": getattr(principal, "role", "") or "",
        "actor_agency": (
            principal.agency.code if principal is not None and principal.agency_id else ""
        ),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "detail": dict(detail or {}),
        "request_id": context.request_id if context else "",
        "ip_address": _IP.to_python(context.ip_address) if context else None,
        "route": context.route if context else "",
    }


def _append(rows: list[dict], *, write=None) -> list[AuditEntry]:
    """Their places in the hash chain (referrals/audit_chain.py), taken and closed in one
    transaction with the rows: the caller's, or a short one of its own. No savepoint inside the
    caller's: an audit row that cannot be written fails the change it records."""
    with transaction.atomic(savepoint=False):
        seq, previous = audit_chain.take_places(len(rows))
        entries = []
        for values in rows:
            values["seq"] = seq
            previous = audit_chain.row_hash(previous, values)
            entries.append(AuditEntry(**values, row_hash=previous))
            seq += 1
        (write or AuditEntry.objects.bulk_create)(entries)
        audit_chain.close_place(seq - 1, previous)
    metrics.AUDIT_ROWS.inc(len(entries))
    return entries


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if getattr(actor, "is_authenticated", False) and not getattr(actor, "is_api_client", False):
        return actor.username
    return str(actor)
