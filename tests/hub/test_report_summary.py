"""The committee reports' summary (hub/summary.py): the repeat and neglect tables read from it
give the figures worked out directly from the referrals, on data with repeats inside and
outside the year, on the year's boundary, at the edges of the period, kept up to date by the
beat task as concerns arrive (backdated ones too) and rebuilt in full by the command."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Count, Exists, OuterRef, Q

from hub import reports, summary, tasks
from hub.models import FactsRefresh, ReferralFacts
from hub.selectors import month_of
from referrals import deadlines, extensions
from referrals.models import CumulativeHarmFlag, Person, Referral
from referrals.services.people import person_merge
from tests.factories import make_referral
from tests.hub.conftest import approved_decision, referral_review, review_and_submit

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PERIODS = [
    (date(2025, 12, 1), date(2026, 2, 28)),
    (date(2025, 1, 1), date(2026, 3, 31)),
    (date(2026, 1, 9), date(2026, 2, 1)),  # starts and ends on days with concerns
]


def when(year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def received(moment, team, children=None, categories=("neglect",), saved_at=None):
    """A referral received at `moment`, recorded at `saved_at` (later, if backdated)."""
    with time_machine.travel(saved_at or moment, tick=False):
        return make_referral(
            team=team, children=children, categories=categories, received_at=moment
        )


def child_of(referral) -> Person:
    return referral.child_links.get().person


def refresh_at(moment):
    with time_machine.travel(moment, tick=False):
        return tasks.refresh_report_summary()


def direct(start: date, end: date) -> dict:
    """The figures worked out from the referrals themselves, as the reports did before the
    summary: per month, concerns and repeats; and the neglect-or-flagged concerns."""
    filters = reports.Filters(start=start, end=end)
    period = Referral.objects.filter(
        received_at__gte=filters.since, received_at__lt=filters.until
    ).annotate(
        month=month_of("received_at"),
        repeat=summary.has_earlier_concern(),
        neglect=Exists(
            Referral.categories.through.objects.filter(
                referral_id=OuterRef("pk"), concerncategory__is_neglect=True
            )
        ),
        flagged=Exists(CumulativeHarmFlag.objects.filter(triggered_by=OuterRef("pk"))),
    )
    return {
        "months": {
            r["month"]: (r["n"], r["repeat"])
            for r in period.values("month").annotate(
                n=Count("pk"), repeat=Count("pk", filter=Q(repeat=True))
            )
        },
        "neglect": {
            r["month"]: (r["n"], r["flagged"], r["repeat"])
            for r in period.filter(Q(neglect=True) | Q(flagged=True))
            .values("month")
            .annotate(
                n=Count("pk"),
                flagged=Count("pk", filter=Q(flagged=True)),
                repeat=Count("pk", filter=Q(repeat=True)),
            )
        },
    }


def from_summary(start: date, end: date) -> dict:
    report = reports.Report(reports.Filters(start=start, end=end), when(2026, 4, 1))
    months = report.filters.months()
    repeat = report.table("repeat").rows
    neglect = report.table("neglect_months").rows
    neglect_total = {row[0]: row[1] for row in report.table("neglect").rows}
    by_month = {m: (row[1], row[2]) for m, row in zip(months, repeat, strict=True) if row[1]}
    neglected = {
        m: (row[1], row[2], round(row[5] * row[1] / 100))
        for m, row in zip(months, neglect, strict=True)
        if row[1]
    }
    assert neglect_total["Concerns about neglect or that raised a cumulative harm flag"] == sum(
        n for n, _, _ in neglected.values()
    )
    return {"months": by_month, "neglect": neglected}


def assert_same_figures():
    for start, end in PERIODS:
        expected = direct(start, end)
        assert expected["months"], "the period has concerns"
        assert from_summary(start, end) == expected, (start, end)


@pytest.fixture
def history(social_worker, other_team):
    duty = social_worker.team
    a = child_of(received(when(2025, 1, 10), duty))
    received(when(2025, 12, 20), duty, [a])  # repeat: 344 days on
    received(when(2026, 1, 9, 0, 10), duty, [a], ("physical_abuse",))  # repeat, not neglect
    b = child_of(received(when(2025, 2, 1), other_team, categories=("physical_abuse",)))
    received(when(2026, 2, 1), other_team, [b])  # exactly a year on: still a repeat
    c = child_of(received(when(2025, 2, 28, 9), duty))
    received(when(2026, 2, 28, 23, 30), duty, [c])  # more than a year on: not a repeat
    received(when(2026, 1, 31, 23, 59), duty, categories=("emotional_abuse",))
    received(when(2026, 3, 1, 0, 0), duty, [a, b])  # after the short periods
    return {"a": a, "b": b, "c": c}


def test_the_summary_gives_the_figures_worked_out_directly(history):
    assert refresh_at(when(2026, 3, 2)) == Referral.objects.count()
    assert CumulativeHarmFlag.objects.exists(), "the data raise a flag"
    assert ReferralFacts.objects.filter(repeat=True).count() == 4
    assert_same_figures()


def test_the_task_follows_new_and_backdated_concerns(history, social_worker):
    refresh_at(when(2026, 3, 2))
    duty = social_worker.team
    received(when(2026, 3, 3), duty, [history["c"]])
    # Recorded on 4 March as received on 10 January: c's concern of 28 February becomes a
    # repeat, though that referral itself did not change.
    received(when(2026, 1, 10), duty, [history["c"]], saved_at=when(2026, 3, 4))
    received(when(2026, 3, 4), duty, categories=("emotional_abuse",))
    refresh_at(when(2026, 3, 5))
    assert_same_figures()
    assert ReferralFacts.objects.count() == Referral.objects.count()
    # Nothing changed since: the next run finds nothing to do and the figures stand.
    assert refresh_at(when(2026, 3, 20)) == 0
    assert_same_figures()


def test_the_rebuild_command_gives_the_same_summary_as_the_task(history):
    refresh_at(when(2026, 3, 2))
    facts = set(ReferralFacts.objects.values_list("referral", "repeat", "neglect", "flagged"))
    ReferralFacts.objects.update(repeat=False, neglect=False, flagged=False)
    with time_machine.travel(when(2026, 3, 3), tick=False):
        call_command("rebuild_report_summary")
    assert (
        set(ReferralFacts.objects.values_list("referral", "repeat", "neglect", "flagged")) == facts
    )
    assert FactsRefresh.objects.get().refreshed_to == when(2026, 3, 3)
    assert_same_figures()


def test_a_disposed_referral_leaves_the_summary(history):
    refresh_at(when(2026, 3, 2))
    referral = Referral.objects.order_by("received_at").last()
    referral.delete()
    assert not ReferralFacts.objects.filter(referral_id=referral.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is PostgreSQL's")
def test_one_refresh_runs_at_a_time(history):
    """A second refresh while one holds the mark leaves without writing; once it is free the
    next run does the work."""
    FactsRefresh.objects.get_or_create(pk=1)
    held, release, outcome = threading.Event(), threading.Event(), []

    def first_runner():
        try:
            with transaction.atomic():
                FactsRefresh.objects.select_for_update().get(pk=1)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    runner = threading.Thread(target=first_runner)
    runner.start()
    try:
        assert held.wait(10)
        outcome.append(tasks.refresh_report_summary())
    finally:
        release.set()
        runner.join()
    assert outcome == [None]
    assert not ReferralFacts.objects.exists()
    assert tasks.refresh_report_summary() == Referral.objects.count()


def facts() -> dict:
    return {
        pk: rest for pk, *rest in ReferralFacts.objects.values_list("referral", *summary.FIELDS)
    }


CHANGES = {
    "screening deadline met": lambda referral, staff: deadlines.referral_step_done(
        referral, "screening"
    ),
    "screening deadline moved": lambda referral, staff: deadlines.deadline_extend(
        kind="screening",
        subject_type="referral",
        subject_id=str(referral.pk),
        due_at=when(2026, 4, 1),
    ),
    "screening deadline cancelled": lambda referral, staff: deadlines.referral_steps_cancel(
        referral
    ),
    "screening decision approved, its flag addressed": lambda referral, staff: approved_decision(
        referral, staff["worker"], staff["manager"], "welfare_assessment"
    ),
    "referral review submitted": lambda referral, staff: review_and_submit(
        referral_review(referral), staff["reviewer"], score=5
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_the_refresh_sees_each_change_the_neglect_tables_read(
    change, hub_settings, history, social_worker, team_manager, hub_reviewer
):
    """Each change that moves a concern's facts, though it may not touch the referral, is
    picked up by the next refresh: the summary then reads as a rebuild from scratch would."""
    flagged = CumulativeHarmFlag.objects.order_by("raised_at").first().triggered_by
    refresh_at(when(2026, 3, 2))
    before = facts()[flagged.pk]
    staff = {"worker": social_worker, "manager": team_manager, "reviewer": hub_reviewer}
    with time_machine.travel(when(2026, 3, 3), tick=False):
        CHANGES[change](flagged, staff)
    refresh_at(when(2026, 3, 4))
    refreshed = facts()
    assert refreshed[flagged.pk] != before
    summary.summary_rebuild(when(2026, 3, 4))
    assert facts() == refreshed


def test_a_merge_marks_the_kept_childs_referrals_for_the_next_refresh(history, team_manager):
    """Merging c's record into a's makes c's concerns of February 2025 and 2026 repeats of
    a's (and a's of March 2026 one of c's), though no referral is saved: the merge marks them."""
    refresh_at(when(2026, 3, 2))
    before = facts()
    with time_machine.travel(when(2026, 3, 3), tick=False):
        person_merge(keep=history["a"], duplicate=history["c"], merged_by=team_manager)
    refresh_at(when(2026, 3, 4))
    refreshed = facts()
    assert refreshed != before
    summary.summary_rebuild(when(2026, 3, 4))
    assert facts() == refreshed
    assert_same_figures()


def test_a_referral_deleted_on_disposal_marks_its_childrens_other_referrals(history):
    """Deleting a's concern of January 2025 (retention) leaves its concern of December 2025
    no longer a repeat: the disposal marks a's other referrals for the next refresh."""
    refresh_at(when(2026, 3, 2))
    first = Referral.objects.get(received_at=when(2025, 1, 10))
    later = Referral.objects.get(received_at=when(2025, 12, 20))
    assert ReferralFacts.objects.get(referral=later).repeat
    with time_machine.travel(when(2026, 3, 3), tick=False):
        # As the disposal service does: the apps are told, then the referral goes.
        extensions.referral_disposing(referral=first, method="delete")
        first.delete()
    refresh_at(when(2026, 3, 4))
    assert not ReferralFacts.objects.get(referral=later).repeat
    refreshed = facts()
    summary.summary_rebuild(when(2026, 3, 4))
    assert facts() == refreshed
