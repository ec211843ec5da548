"""The summary the committee's repeat and neglect tables read (issue 14 P5): per referral,
whether it is a repeat concern, about neglect, or raised a cumulative harm flag.

The reports used to work these out for each referral of the period on every page (a correlated
subquery per referral: seconds at 100,000 referrals). A beat task keeps them up to date from
what changed since its last run; `manage.py rebuild_report_summary`, and a nightly run of the
same, work out all of them again (a merge of two people's records, or a disposal, can change an
older referral's facts without touching it).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hub.models import FactsRefresh, ReferralFacts
from hub.reports import without_jit
from referrals.models import CumulativeHarmFlag, Referral, ReferralChild

REPEAT_WINDOW = timedelta(days=365)
BATCH = 5000
# A referral saved while a refresh ran is seen by the next one: each run looks back this far.
OVERLAP = timedelta(minutes=5)


def has_earlier_concern() -> Exists:
    """For a referral row: a child named in it had another concern in the year before."""
    return Exists(
        ReferralChild.objects.filter(
            person__referral_links__referral=OuterRef("pk"),
            referral__received_at__lt=OuterRef("received_at"),
            referral__received_at__gte=OuterRef("received_at") - REPEAT_WINDOW,
        )
    )


def _facts(referrals: QuerySet[Referral]) -> QuerySet:
    through = Referral.categories.through
    return referrals.annotate(
        repeat=has_earlier_concern(),
        neglect=Exists(
            through.objects.filter(referral_id=OuterRef("pk"), concerncategory__is_neglect=True)
        ),
        flagged=Exists(CumulativeHarmFlag.objects.filter(triggered_by=OuterRef("pk"))),
    ).values_list("pk", "received_at", "repeat", "neglect", "flagged")


def _write(referrals: QuerySet[Referral], now: datetime) -> int:
    rows = [
        ReferralFacts(
            referral_id=pk,
            received_at=received_at,
            repeat=repeat,
            neglect=neglect,
            flagged=flagged,
            refreshed_at=now,
        )
        for pk, received_at, repeat, neglect, flagged in _facts(referrals)
    ]
    ReferralFacts.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["referral"],
        update_fields=["received_at", "repeat", "neglect", "flagged", "refreshed_at"],
    )
    return len(rows)


def facts_write(ids: Iterable) -> int:
    """Work out the facts of these referrals again, in batches."""
    ids, written, now = list(ids), 0, timezone.now()
    for start in range(0, len(ids), BATCH):
        written += _write(Referral.objects.filter(pk__in=ids[start : start + BATCH]), now)
    return written


def _changed_since(since: datetime) -> set:
    """Referrals whose facts may have changed since `since`: those saved, given a child link
    decision or a flag since, and every later referral (within the repeat window) of their
    children, whose repeat may follow."""
    changed = set(
        Referral.objects.filter(
            Q(updated_at__gte=since)
            | Q(created_at__gte=since)
            | Q(child_links__match_decided_at__gte=since)
            | Q(harm_flags__raised_at__gte=since)
        ).values_list("pk", flat=True)
    )
    if not changed:
        return changed
    # The other referrals of their children: a later one's repeat may follow.
    followers = ReferralChild.objects.filter(
        person__referral_links__referral__in=changed
    ).values_list("referral_id", flat=True)
    return changed | set(followers)


def _write_all(now: datetime) -> int:
    """Every referral's facts, in keyset batches of their own transactions (savepoints inside
    a refresh's)."""
    written, last = 0, None
    while True:
        page = Referral.objects.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return written
        with without_jit():
            written += _write(Referral.objects.filter(pk__in=ids), now)
        last = ids[-1]


def summary_refresh(now: datetime | None = None) -> int | None:
    """Bring the summary up to date with what changed since the last run (all of it the first
    time). One run at a time: a second finds the row locked and leaves (None). Safe to run
    twice."""
    now = now or timezone.now()
    FactsRefresh.objects.get_or_create(pk=1)
    with transaction.atomic():
        mark = FactsRefresh.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if mark is None:
            return None
        if mark.refreshed_to is None:
            written = _write_all(now)
        else:
            written = facts_write(_changed_since(mark.refreshed_to - OVERLAP))
        mark.refreshed_to = now
        mark.save(update_fields=["refreshed_to"])
    return written


def summary_rebuild(now: datetime | None = None) -> int:
    """Every referral's facts worked out again. What changes meanwhile is seen by the next
    refresh: the summary is marked as of the rebuild's start."""
    now = now or timezone.now()
    written = _write_all(now)
    FactsRefresh.objects.update_or_create(pk=1, defaults={"refreshed_to": now})
    return written
