"""The summary the committee's repeat and neglect tables read (issue 14 P5): per referral,
whether it is a repeat concern, about neglect, or raised a cumulative harm flag, and what the
neglect tables ask of it (its screening deadlines, approved outcome, review grades, open flag).

The reports used to work these out for each referral of the period on every page (a correlated
subquery per referral: seconds at 100,000 referrals). A beat task keeps them up to date from
what changed since its last run (a merge or a disposal, which change older referrals' facts
without saving them, marks those referrals for it); `manage.py rebuild_report_summary`, and a
nightly run of the same, work out all of them again (a safety net: what no timestamp records).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hub.models import FactsRefresh, ReferralFacts, Review
from hub.reports import LIVE, without_jit
from referrals.models import (
    CumulativeHarmFlag,
    Deadline,
    Referral,
    ReferralChild,
    ScreeningDecision,
)

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


# What each referral's facts are, in the order `_write` stores them.
FIELDS = [
    "received_at",
    "repeat",
    "neglect",
    "flagged",
    "flag_open",
    "screened",
    "screening_met_late",
    "screening_live_from",
    "screening_live_until",
    "outcome",
    "quality",
    "decision_quality",
]


def _facts(referrals: QuerySet[Referral]) -> QuerySet:
    """The one place each fact's rule lives; the reports only count them."""
    through = Referral.categories.through
    flags = CumulativeHarmFlag.objects.filter(triggered_by=OuterRef("pk"))
    screening = Deadline.objects.filter(referral=OuterRef("pk"), timescale__kind="screening")
    live = screening.filter(state__in=LIVE)
    approved = ScreeningDecision.objects.filter(
        referral=OuterRef("pk"), state=ScreeningDecision.State.APPROVED
    ).order_by("-reviewed_at")
    review = Review.objects.filter(referral=OuterRef("pk"), state=Review.State.SUBMITTED)
    return referrals.annotate(
        repeat=has_earlier_concern(),
        neglect=Exists(
            through.objects.filter(referral_id=OuterRef("pk"), concerncategory__is_neglect=True)
        ),
        flagged=Exists(flags),
        flag_open=Exists(flags.filter(status=CumulativeHarmFlag.Status.OPEN)),
        screened=Exists(screening),
        screening_met_late=Exists(
            screening.filter(state=Deadline.State.MET, completed_at__gt=F("due_at"))
        ),
        screening_live_from=Subquery(live.order_by("due_at").values("due_at")[:1]),
        screening_live_until=Subquery(live.order_by("-due_at").values("due_at")[:1]),
        outcome=Coalesce(Subquery(approved.values("outcome")[:1]), Value("")),
        quality=Subquery(review.filter(kind=Review.Kind.REFERRAL).values("overall")[:1]),
        decision_quality=Subquery(
            review.filter(kind=Review.Kind.DECISION).order_by("-submitted_at").values("overall")[:1]
        ),
    ).values_list("pk", *FIELDS)


def _write(referrals: QuerySet[Referral], now: datetime) -> int:
    rows = [
        ReferralFacts(referral_id=pk, refreshed_at=now, **dict(zip(FIELDS, facts, strict=True)))
        for pk, *facts in _facts(referrals)
    ]
    ReferralFacts.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["referral"],
        update_fields=[*FIELDS, "refreshed_at"],
    )
    return len(rows)


def facts_write(ids: Iterable) -> int:
    """Work out the facts of these referrals again, in batches (without JIT, as the full
    rebuild: a subquery per fact makes each batch's plan look costly)."""
    ids, written, now = list(ids), 0, timezone.now()
    for start in range(0, len(ids), BATCH):
        with without_jit():
            written += _write(Referral.objects.filter(pk__in=ids[start : start + BATCH]), now)
    return written


def _changed_since(since: datetime) -> set:
    """Referrals whose facts may have changed since `since`: those saved, given a child link
    decision, a flag raised or addressed, a screening deadline met, cancelled, moved or
    opened, a screening decision approved or a review submitted since; and every other
    referral of their children, whose repeat may follow. One statement: each part reads one
    table by its own timestamp (an OR across the joins would read them all)."""
    changed = set(
        Referral.objects.filter(Q(updated_at__gte=since) | Q(created_at__gte=since))
        .order_by()
        .values_list("pk", flat=True)
        .union(
            ReferralChild.objects.filter(match_decided_at__gte=since)
            .order_by()
            .values_list("referral_id", flat=True),
            CumulativeHarmFlag.objects.filter(Q(raised_at__gte=since) | Q(addressed_at__gte=since))
            .order_by()
            .values_list("triggered_by_id", flat=True),
            Deadline.objects.filter(
                updated_at__gte=since, timescale__kind="screening", referral__isnull=False
            )
            .order_by()
            .values_list("referral_id", flat=True),
            ScreeningDecision.objects.filter(reviewed_at__gte=since)
            .order_by()
            .values_list("referral_id", flat=True),
            Review.objects.filter(submitted_at__gte=since)
            .order_by()
            .values_list("referral_id", flat=True),
        )
    )
    if not changed:
        return changed
    # The other referrals of their children: a later one's repeat may follow.
    followers = (
        ReferralChild.objects.filter(person__referral_links__referral__in=changed)
        .order_by()
        .values_list("referral_id", flat=True)
    )
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


def referrals_mark(referrals: QuerySet[Referral]) -> int:
    """Referrals whose facts changed though they were not saved: the next refresh sees them
    (it reads `updated_at`), as if they had been."""
    return referrals.update(updated_at=timezone.now())


def on_person_merged(*, keep, duplicate) -> None:
    """A merge moves the duplicate's concerns to the kept child (their repeats follow) and may
    remove a flag one raised: every referral naming the kept child is marked, in the merge's
    transaction."""
    referrals_mark(Referral.objects.filter(child_links__person=keep))


def on_referral_deleting(referral: Referral) -> None:
    """A referral deleted on disposal may have made a later concern of its children a repeat:
    their other referrals are marked before it goes."""
    referrals_mark(
        Referral.objects.filter(child_links__person__in=referral.children.all()).exclude(
            pk=referral.pk
        )
    )
