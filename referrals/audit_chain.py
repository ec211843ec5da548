"""The audit log's hash chain: tampering anywhere shows.

Each row carries its place `seq` (1, 2, 3... without gaps) and
`row_hash = sha256(previous row_hash || canonical JSON of the row)`. Rows are chained as they
are written: the writer first moves the one-row chain head on (an UPDATE, which holds the head's
row lock on PostgreSQL, or SQLite's write lock, until its transaction ends), so concurrent
writers take their places one after another in commit order; a rolled-back writer gives its
place back with its row. Editing, deleting or inserting a row afterwards, even by a superuser
with the triggers disabled, breaks the chain from that row on, and `manage.py verify_audit`
names the first bad row. Rewriting the whole chain is caught by comparing today's head with the
heads exported every day (`export_head`, Celery beat) and kept outside the database.

Entries past the audit log's retention period are removed from the chain's start only
(referrals/services/audit_retention.py); the chain then starts after an anchor, the place and
hash of the last entry removed, and verification carries on from it.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from django.db import connection

GENESIS = "0" * 64
# Fixed statements on the head table (referrals_auditchainhead), written out in full.
TAKE_PLACES_SQL = (
    "UPDATE referrals_auditchainhead SET seq = seq + %s WHERE id = 1 RETURNING seq, row_hash"
)
CLOSE_PLACE_SQL = "UPDATE referrals_auditchainhead SET row_hash = %s WHERE id = 1 AND seq = %s"
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "actor_role",
    "actor_agency",
    "action",
    "object_type",
    "object_id",
    "detail",
    "request_id",
    "ip_address",
    "route",
)


def canonical(values: dict) -> str:
    """The row as the hash covers it: fixed keys, sorted, compact, times in UTC."""
    shown = {}
    for name in FIELDS:
        value = values[name]
        if name == "at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        elif name in {"actor_id", "ip_address"} and value is not None:
            value = str(value)
        shown[name] = value
    return json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(previous: str, values: dict) -> str:
    return hashlib.sha256((previous + canonical(values)).encode()).hexdigest()


def take_places(count: int = 1) -> tuple[int, str]:
    """The first of the next `count` places in the chain and the hash before it. The caller
    must be in a transaction and insert its rows, then call `close_place` with the last place,
    before that transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(TAKE_PLACES_SQL, [count])
        taken = cursor.fetchone()
    if taken is None:  # no head: a database emptied by hand (or by a test's clean-up)
        _restart_head()
        return take_places(count)
    last, previous = taken
    return last - count + 1, previous


def _restart_head() -> None:
    """Start the head where the chain's last row ends (or at the start of an empty chain)."""
    from referrals.models import AuditChainHead, AuditEntry  # noqa: PLC0415

    last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").first()
    AuditChainHead.objects.get_or_create(
        id=1,
        defaults={
            "seq": last.seq if last else 0,
            "row_hash": last.row_hash if last else GENESIS,
        },
    )


def close_place(seq: int, digest: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(CLOSE_PLACE_SQL, [digest, seq])


# --- Verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    rows: int
    head_seq: int
    head_hash: str
    problem: str = ""  # empty when the chain holds
    bad_id: int | None = None

    @property
    def intact(self) -> bool:
        return not self.problem


def _rows(chunk: int, after: int) -> Iterator[dict]:
    from referrals.models import AuditEntry  # noqa: PLC0415 - models import this module

    yield from (
        AuditEntry.objects.filter(seq__gt=after)
        .order_by("seq")
        .values("id", "row_hash", *FIELDS)
        .iterator(chunk_size=chunk)
    )


def verify(*, chunk: int = 5000, progress=None) -> Verdict:
    """Walk the chain in order, from its start (the latest anchor, if entries past retention were
    removed), in constant memory, and name the first row that breaks it."""
    from referrals.models import AuditChainAnchor, AuditEntry  # noqa: PLC0415

    anchor = AuditChainAnchor.objects.order_by("-seq").first()
    previous, expected, count = GENESIS, 1, 0
    if anchor is not None:
        previous, expected = anchor.row_hash, anchor.seq + 1
        left = AuditEntry.objects.filter(seq__lte=anchor.seq).order_by("seq").first()
        if left is not None:  # an anchor set by hand to skip past edited rows
            return Verdict(
                0,
                anchor.seq,
                previous,
                f"row {left.seq} lies before the chain's start ({anchor.seq}): "
                "the start was moved without removing it",
                left.pk,
            )
    for values in _rows(chunk, expected - 1):
        count += 1
        if values["seq"] != expected:
            missing = "is missing" if values["seq"] > expected else "appears twice"
            return Verdict(
                count,
                expected - 1,
                previous,
                f"row {expected} of the chain {missing}",
                values["id"],
            )
        if row_hash(previous, values) != values["row_hash"]:
            return Verdict(
                count,
                expected - 1,
                previous,
                f"row {expected} (id {values['id']}) was changed, or a row before it removed",
                values["id"],
            )
        previous, expected = values["row_hash"], expected + 1
        if progress is not None and count % 100_000 == 0:
            progress(count)
    unchained = AuditEntry.objects.filter(seq__isnull=True).order_by("id").first()
    if unchained is not None:
        return Verdict(
            count,
            expected - 1,
            previous,
            f"row id {unchained.pk} has no place in the chain: it was inserted past the app",
            unchained.pk,
        )
    return Verdict(count, expected - 1, previous)


# --- The daily head, kept outside the database ----------------------------------------------


def export_head(now=None) -> dict:
    """Write today's chain head to a file under VAR_DIR/audit-heads/ and e-mail it to the
    information governance officers: a later rewrite of the whole chain cannot match the heads
    already sent. Safe to run twice a day (the file is rewritten, the mail sent again)."""
    from django.conf import settings  # noqa: PLC0415
    from django.core.mail import send_mail  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from referrals.models import AuditEntry, Role, Staff  # noqa: PLC0415

    now = now or timezone.now()
    last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").first()
    head = {
        "at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "seq": last.seq if last else 0,
        "row_hash": last.row_hash if last else GENESIS,
    }
    folder = settings.VAR_DIR / "audit-heads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{timezone.localdate(now):%Y-%m-%d}.json").write_text(json.dumps(head) + "\n")
    officers = list(
        Staff.objects.filter(role=Role.INFORMATION_GOVERNANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if officers:
        send_mail(
            subject=f"Audit log chain head, {timezone.localdate(now):%d %B %Y}",
            message=(
                "Keep this message: it lets anyone check later that the audit log has not been "
                f"rewritten (manage.py verify_audit --head {head['seq']}:{head['row_hash']}).\n\n"
                f"{json.dumps(head, indent=2)}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=officers,
        )
    return head


def head_at(seq: int) -> str | None:
    """The hash the chain has at place `seq` today (to compare with an exported head); at the
    chain's start after a prune, the anchor's."""
    from referrals.models import AuditChainAnchor, AuditEntry  # noqa: PLC0415

    found = AuditEntry.objects.filter(seq=seq).values_list("row_hash", flat=True).first()
    if found is None:
        found = AuditChainAnchor.objects.filter(seq=seq).values_list("row_hash", flat=True).first()
    return found


def start_seq() -> int:
    """The last place removed under retention (0 when the chain is whole)."""
    from referrals.models import AuditChainAnchor  # noqa: PLC0415

    return AuditChainAnchor.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
