"""Idempotency keys with Stripe's semantics, per API client.

* A request that fails validation (400) stores nothing: the key can be used again.
* The same key with an equivalent JSON body returns the stored status, body and Location with
  `Idempotent-Replayed: true`, creating nothing.
* The same key with a different body is 422; while the first request runs, 409.

Concurrency is settled by the database: the `in_progress` row is inserted in its own committed
transaction before any work, under UNIQUE (client, key); whoever loses the insert reads the
winner's row. The work and the completed response are committed together, and the completion is
a compare-and-set on `locked_at`, so a taken-over attempt (its process died) can never complete
twice. Rows are kept as the "api_idempotency" retention class says (never under 24 hours), then
purged by `keys_purge` (a periodic task).
"""

import hashlib
import json
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from referrals.api.models import ApiClient, IdempotencyKey
from referrals.models import RetentionClass
from referrals.services import retention

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
KEEP_AT_LEAST = timedelta(hours=24)  # what partners are promised, whatever the retention class
# An attempt that has held a key this long without finishing is taken to have died (requests
# end long before: gunicorn's timeout is 30 s), and a retry may take the key over.
ABANDONED_AFTER = timedelta(minutes=2)


class KeyMissing(ValueError):
    pass


class KeyMismatch(Exception):
    """The key was used with a different request body (422)."""


class KeyInFlight(Exception):
    """The first request with this key is still being processed (409)."""


class KeyLost(Exception):
    """This attempt's claim was taken over by a later retry; its work is rolled back (409)."""


@dataclass(frozen=True)
class Claim:
    row: IdempotencyKey


def key_from(request) -> str:
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        raise KeyMissing(
            f"The {HEADER} header is required: a unique value for this concern, "
            "sent again unchanged when the request is retried."
        )
    if not _KEY.fullmatch(key):
        raise KeyMissing(
            f"The {HEADER} header must be 1 to 255 visible ASCII characters, without spaces."
        )
    return key


def fingerprint(method: str, path: str, body) -> str:
    """Equivalent JSON bodies (key order, spacing, escapes) give the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode("ascii")).hexdigest()


def existing(client: ApiClient, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(client=client, key=key).first()


def check(row: IdempotencyKey, print_: str) -> IdempotencyKey | None:
    """What an earlier use of the key means for this request: the row to replay, or an error.
    Returns None if the earlier attempt was abandoned and this one has taken the key over."""
    if row.fingerprint != print_:
        raise KeyMismatch()
    if row.state == IdempotencyKey.State.COMPLETED:
        return row
    if _take_over(row):
        return None
    raise KeyInFlight()


def _take_over(row: IdempotencyKey) -> bool:
    now = timezone.now()
    taken = IdempotencyKey.objects.filter(
        pk=row.pk,
        state=IdempotencyKey.State.IN_PROGRESS,
        locked_at=row.locked_at,
        locked_at__lt=now - ABANDONED_AFTER,
    ).update(locked_at=now)
    if taken:
        row.locked_at = now
    return bool(taken)


def claim(client: ApiClient, key: str, print_: str) -> tuple[Claim | None, IdempotencyKey | None]:
    """Take a key that `existing` has just found unused: (claim, None) to go ahead, or
    (None, row) to replay a concurrent twin that inserted first. Raises KeyMismatch or
    KeyInFlight. Must run outside any transaction in production, so the in-progress row is
    visible to concurrent retries at once. The caller's lookup is not repeated: the unique
    constraint settles the race."""
    try:
        # Outside a transaction (production) the INSERT commits itself; inside one (a test's),
        # a savepoint keeps the caller's transaction usable after a lost race.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            row = IdempotencyKey.objects.create(
                client=client, key=key, fingerprint=print_, locked_at=timezone.now()
            )
    except IntegrityError:
        # A concurrent retry inserted first: answer as that request's twin.
        row = existing(client, key)
        if row is None:  # it was purged in between: vanishingly rare, ask for a retry
            raise KeyInFlight() from None
        replay = check(row, print_)
        return (None, replay) if replay is not None else (Claim(row), None)
    return Claim(row), None


def complete(claim_: Claim, *, status: int, body, location: str = "") -> None:
    """Store the response, inside the transaction that did the work. Raises KeyLost (and so
    rolls the work back) if a later retry took the key over meanwhile."""
    now = timezone.now()
    done = IdempotencyKey.objects.filter(
        pk=claim_.row.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_at=claim_.row.locked_at
    ).update(
        state=IdempotencyKey.State.COMPLETED,
        response_status=status,
        response_body=body,
        location=location,
        completed_at=now,
    )
    if not done:
        raise KeyLost()


def release(claim_: Claim) -> None:
    """The work failed without an answer worth keeping (a validation error, a crash): forget
    the key, so the client may use it again."""
    IdempotencyKey.objects.filter(
        pk=claim_.row.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_at=claim_.row.locked_at
    ).delete()


def keys_purge() -> int:
    """Delete the keys past their retention class's period (kept when no class is set)."""
    retention_class = RetentionClass.objects.filter(
        record_type=RetentionClass.RecordType.API_IDEMPOTENCY
    ).first()
    if retention_class is None:
        return 0
    now = timezone.now()
    before = min(retention.cutoff(retention_class, now), now - KEEP_AT_LEAST)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=before).delete()
    return deleted
