"""Issue 14 (P7): the practice hub's pages cost the same statements for one row as for four (the
shared measure is tests/page_costs.py; the queue and team feedback are in
tests/test_query_counts.py, the report figures in hub/test_reports.py). A review with one child
named and with four; an audit round with one record and with four, each record read by an
auditor who graded it; the report tables and their CSV with one referral in the period and four.
"""

import datetime

import pytest
from django.utils import timezone

from hub import reports
from hub.models import AuditAssignment, AuditGrade, AuditRecord, AuditRound, Rubric
from hub.services import rubric_in_use
from referrals.models import ChronologyEntry
from referrals.services import screening
from tests.factories import make_referral
from tests.hub.conftest import decision_review, referral_review
from tests.page_costs import (
    Page,
    assert_the_same_for_one_row_as_for_four,
    child_named,
    support_proposed,
    the_referral,
)

pytestmark = pytest.mark.django_db


def _review_url(ctx) -> str:
    return f"/hub/reviews/{referral_review(the_referral(ctx)).pk}/"


def _decision_review_url(ctx) -> str:
    referral = the_referral(ctx)
    if "decided" not in ctx:
        decision = support_proposed(ctx, referral)
        screening.screening_approve(decision=decision, approved_by=ctx["team_manager"])
        ctx["decided"] = True
    return f"/hub/reviews/{decision_review(referral).pk}/"


def _round(ctx, months_ago: int = 0) -> AuditRound:
    """An audit round opened by the committee, its summary sent (so its learning shows)."""
    now = timezone.now()
    first = (
        timezone.localdate().replace(day=1) - datetime.timedelta(days=62 * months_ago)
    ).replace(day=1)
    return AuditRound.objects.create(
        period_start=first,
        opened_at=now,
        opened_by=ctx["committee_member"],
        seed=12345,
        sample_size=30,
        records_from=now - datetime.timedelta(days=60),
        records_to=now,
        rubric=rubric_in_use(Rubric.Kind.AUDIT),
        summary_sent_at=now,
        summary_sent_by=ctx["committee_member"],
        learning_summary="Chronologies were kept up to date.",
    )


def _the_round(ctx) -> AuditRound:
    if "round" not in ctx:
        ctx["round"] = _round(ctx)
    return ctx["round"]


def _graded_record(ctx) -> None:
    """One more record in the round's sample, read and graded by the police auditor."""
    audit_round = _the_round(ctx)
    referral = make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])
    record = AuditRecord.objects.create(
        round=audit_round,
        person=referral.child_links.first().person,
        referral=referral,
        source_agency=referral.source_agency,
        position=audit_round.records.count() + 1,
    )
    assignment = AuditAssignment.objects.create(
        record=record,
        auditor=ctx["police_auditor"],
        state=AuditAssignment.State.SUBMITTED,
        findings="The chronology is up to date.",
        submitted_at=timezone.now(),
    )
    AuditGrade.objects.bulk_create(
        AuditGrade(assignment=assignment, criterion=criterion, score=4)
        for criterion in audit_round.rubric.criteria.all()
    )
    ctx["assignment"] = ctx.get("assignment", assignment)


def _another_round(ctx) -> None:
    ctx["rounds"] = ctx.get("rounds", 0) + 1
    round_ = _round(ctx, months_ago=ctx["rounds"])
    ctx["round"] = round_
    _graded_record(ctx)


def _event_on_the_record(ctx) -> None:
    """The audited child's chronology grows by one event."""
    if "assignment" not in ctx:
        _graded_record(ctx)
    ChronologyEntry.objects.create(
        person=ctx["assignment"].record.person,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        kind=ChronologyEntry.Kind.EVENT,
        summary="Missed a health visitor appointment.",
        recorded_by=ctx["social_worker"],
        source_agency=ctx["duty_team"].agency,
        category=ChronologyEntry.Category.HEALTH,
        significance=ChronologyEntry.Significance.MEDIUM,
    )


def _referral_in_the_period(ctx) -> None:
    make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])


def _round_url(suffix: str):
    return lambda ctx: f"/hub/audits/{_the_round(ctx).pk}/{suffix}"


PAGES = {
    "review, children named": Page("hub_reviewer", _review_url, child_named, route="hub:review"),
    "decision review, children named": Page(
        "hub_reviewer", _decision_review_url, child_named, route="hub:review"
    ),
    "audit rounds": Page(
        "committee_member", lambda ctx: "/hub/audits/", _another_round, route="hub:audit_list"
    ),
    "audit work of an auditor": Page(
        "police_auditor", lambda ctx: "/hub/audits/", _graded_record, route="hub:audit_list"
    ),
    "audit round, its records": Page(
        "committee_member", _round_url(""), _graded_record, route="hub:audit_round"
    ),
    "audit round, grades CSV": Page(
        "committee_member", _round_url("grades.csv"), _graded_record, route="hub:audit_round_csv"
    ),
    "audit round, learning": Page(
        "social_worker", _round_url("learning/"), _graded_record, route="hub:audit_learning"
    ),
    "audit record, its chronology": Page(
        "police_auditor",
        lambda ctx: f"/hub/audits/records/{ctx['assignment'].pk}/",
        _event_on_the_record,
        route="hub:audit_assignment",
    ),
    "reports": Page(
        "committee_member",
        lambda ctx: "/hub/reports/",
        _referral_in_the_period,
        route="hub:reports",
    ),
    **{
        f"report {key}": Page(
            "committee_member",
            lambda ctx, key=key: f"/hub/reports/{key}/",
            _referral_in_the_period,
            route="hub:report_table",
        )
        for key in reports.Report.TABLES
    },
    **{
        f"report {key}, CSV": Page(
            "committee_member",
            lambda ctx, key=key: f"/hub/reports/{key}.csv",
            _referral_in_the_period,
            route="hub:report_csv",
        )
        for key in reports.Report.TABLES
    },
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_hub_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    assert_the_same_for_one_row_as_for_four(
        PAGES[name], request, client, "hub_reviewer", "committee_member", "police_auditor"
    )
