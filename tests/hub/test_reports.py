"""The committee's reports, checked against figures worked out by hand on a small fixture; CSV
downloads (audited as exports); and the figures come from the database in a fixed number of
queries, however many referrals there are.

The fixture: January and February 2026, "now" 10 March 2026 10:00.
  R1  Mon 5 Jan, duty team (Elgin), police, neglect. Screened the same day, approved next
      morning (both on time): child welfare assessment. Hub review on time: all 4, overall 4;
      barrier "History not checked", support "Agency referral form or template used". Its
      decision reviewed on time: all 5.
  R2  Tue 20 Jan, duty team, health, neglect + domestic abuse, the same child as R1: a repeat
      concern, and the second neglect concern in six months (cumulative harm flag). Screened
      late (23 Jan), approved within the hour: child protection; IRD scheduled 26 Jan. Hub
      review late (30 Jan): all 2, overall 2; barriers "History not checked", "Child not seen
      or spoken to" and, in words, "Interpreter not booked". Decision review never done.
  R3  Tue 3 Feb, Forres team (Forres), education, physical abuse, immediate risk. Nothing done.
  R4  Tue 10 Feb, duty team, police, neglect, a new child. Screened on time; not approved.
  R5  Mon 2 Mar (after the period), duty team, police, emotional abuse. Nothing done.
"""

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub import reports, services, summary, tasks
from hub.models import Review
from referrals import seam
from referrals.csv_export import csv_cell
from referrals.models import (
    AuditEntry,
    CumulativeHarmFlag,
    Deadline,
    Referral,
    ScreeningDecision,
)
from referrals.services import progress, screening
from tests.factories import make_referral
from tests.hub.conftest import barrier, decision_review, referral_review, review_and_submit
from tests.strategies import date_texts

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=LONDON)
PERIOD = {"start": "2026-01-01", "end": "2026-02-28"}
# The steps of the core and the hub; ird/ adds its own, which these tests leave to it.
OURS = {
    "Screening decision recorded",
    "Screening decision approved by a manager",
    "Child protection planning meeting held",
    "Practice hub quality review",
    "Practice hub decision review",
}


def at(year, month, day, hour=10, minute=0):
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=LONDON), tick=False)


def moment(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=LONDON)


def propose(referral, worker, outcome):
    return screening.screening_propose(
        referral=referral,
        proposed_by=worker,
        outcome=outcome,
        reasons="Reasons.",
        risk_analysis="Risk.",
        needs_analysis="Needs.",
        cumulative_harm_analysis="Pattern.",
    )


@pytest.fixture
def world(
    hub_settings, social_worker, team_manager, other_team, hub_reviewer, police, health, education
):
    other_team.locality = "Forres"
    other_team.save()
    duty = social_worker.team
    with at(2026, 1, 5, 10):
        r1 = make_referral(
            team=duty,
            received_by=social_worker,
            source_agency=police,
            categories=("neglect",),
            received_at=moment(1, 5),
        )
    with at(2026, 1, 5, 15):
        d1 = propose(r1, social_worker, "welfare_assessment")
    with at(2026, 1, 6, 9):
        screening.screening_approve(decision=d1, approved_by=team_manager)
    with at(2026, 1, 7, 11):
        review_and_submit(
            referral_review(r1),
            hub_reviewer,
            score=4,
            factors=[
                barrier("History not checked"),
                barrier("Agency referral form or template used"),
            ],
        )
    with at(2026, 1, 8, 11):
        review_and_submit(decision_review(r1), hub_reviewer, score=5)

    child = r1.children.get()
    with at(2026, 1, 20, 10):
        r2 = make_referral(
            team=duty,
            received_by=social_worker,
            source_agency=health,
            categories=("neglect", "domestic_abuse"),
            children=[child],
            received_at=moment(1, 20),
        )
    with at(2026, 1, 23, 10):
        d2 = propose(r2, social_worker, "child_protection")
    with at(2026, 1, 23, 11):
        screening.screening_approve(decision=d2, approved_by=team_manager)
    with at(2026, 1, 26, 9):
        progress.referral_progress(
            referral=r2,
            target=Referral.Status.IRD_SCHEDULED,
            by=social_worker,
            summary="IRD scheduled.",
        )
    with at(2026, 1, 30, 12):
        review_and_submit(
            referral_review(r2),
            hub_reviewer,
            score=2,
            factors=[barrier("History not checked"), barrier("Child not seen or spoken to")],
            barriers_other="Interpreter not booked",
        )

    with at(2026, 2, 3, 10):
        r3 = make_referral(
            team=other_team,
            source_agency=education,
            categories=("physical_abuse",),
            immediate_risk=True,
            received_at=moment(2, 3),
        )
    with at(2026, 2, 10, 10):
        r4 = make_referral(
            team=duty,
            received_by=social_worker,
            source_agency=police,
            categories=("neglect",),
            received_at=moment(2, 10),
        )
    with at(2026, 2, 10, 12):
        propose(r4, social_worker, "support")
    with at(2026, 3, 2, 10):
        r5 = make_referral(
            team=duty,
            source_agency=police,
            categories=("emotional_abuse",),
            received_at=moment(3, 2),
        )
    tasks.refresh_report_summary()
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}


def report(**filters) -> reports.Report:
    return reports.Report(
        reports.Filters(start=date(2026, 1, 1), end=date(2026, 2, 28), **filters), NOW
    )


def rows(key: str, **filters) -> list[list]:
    return report(**filters).table(key).rows


def test_concerns_by_month_locality_and_agency(world):
    assert rows("concerns") == [
        ["January 2026", "Elgin", "NHS Grampian", 1, 0],
        ["January 2026", "Elgin", "Police Scotland", 1, 0],
        ["February 2026", "Elgin", "Police Scotland", 1, 0],
        ["February 2026", "Forres", "Moray Council Education", 1, 1],
    ]
    assert rows("categories") == [
        ["January 2026", "Domestic abuse", 1],
        ["January 2026", "Neglect", 2],
        ["February 2026", "Neglect", 1],
        ["February 2026", "Physical abuse", 1],
    ]


def _chart_values(chart: str, label_class: str) -> list[tuple[str, str]]:
    labels = re.findall(rf'class="hub-chart__{label_class}"[^>]*>([^<]*)<', chart)
    values = re.findall(r'class="hub-chart__value"[^>]*>([^<]*)<', chart)
    return list(zip(labels, values, strict=True))


def test_the_charts_add_up_the_tables_rows(world):
    """The concerns chart's months and the categories chart's totals over the period come from
    the table's own rows (one pass over the period): most concerns first, then by name."""
    concerns = report().table("concerns").chart
    assert _chart_values(concerns, "tick")[:2] == [("Jan 26", "2"), ("Feb 26", "2")]
    categories = report().table("categories").chart
    assert _chart_values(categories, "label") == [
        ("Neglect", "3"),
        ("Domestic abuse", "1"),
        ("Physical abuse", "1"),
    ]


def test_filters_by_locality_and_agency(world, police):
    assert [r[:3] for r in rows("concerns", locality="Forres")] == [
        ["February 2026", "Forres", "Moray Council Education"]
    ]
    assert [r[0] for r in rows("concerns", agency=police)] == ["January 2026", "February 2026"]


def test_timeliness_of_each_step(world):
    by_step = {}
    for step, _month, started, on_time, late, overdue, pending, _share in rows("timeliness"):
        if step not in OURS:
            continue  # ird/'s own steps (an IRD requested on a child protection decision)
        total = by_step.setdefault(step, [0, 0, 0, 0, 0])
        for index, value in enumerate([started, on_time, late, overdue, pending]):
            total[index] += value
    assert by_step == {
        # started, met on time, met late, open and overdue, open and not yet due
        "Screening decision recorded": [4, 2, 1, 1, 0],
        "Screening decision approved by a manager": [3, 2, 0, 1, 0],
        "Child protection planning meeting held": [1, 0, 0, 1, 0],
        "Practice hub quality review": [4, 1, 1, 2, 0],
        "Practice hub decision review": [2, 1, 0, 1, 0],
    }
    screening_rows = [r for r in rows("timeliness") if r[0] == "Screening decision recorded"]
    assert screening_rows == [
        ["Screening decision recorded", "January 2026", 2, 1, 1, 0, 0, 50.0],
        ["Screening decision recorded", "February 2026", 2, 1, 0, 1, 0, 50.0],
    ]
    forres = {r[0]: r[2:7] for r in rows("timeliness", locality="Forres") if r[0] in OURS}
    assert forres == {
        "Practice hub quality review": [1, 0, 0, 1, 0],
        "Screening decision recorded": [1, 0, 0, 1, 0],
    }


def test_outcomes_and_irds(world):
    assert rows("outcomes") == [
        ["January 2026", "Child protection concern: IRD needed", 1],
        ["January 2026", "Child welfare assessment", 1],
    ]
    assert rows("ird") == [["January 2026", 1, 0, 1, 0, 0]]


def test_decisions_taken_at_irds_come_through_the_core_hook(world, monkeypatch, police):
    """hub/ never imports ird/: the decisions arrive through referrals.extensions, for the
    report's period and for the referrals its filters keep."""
    asked = []

    def decisions(referrals, since, until):
        asked.append((set(referrals.values_list("pk", flat=True)), since, until))
        return [
            ("joint_investigative_interview", "Joint investigative interview", 2),
            ("no_further_action", "No further action", 1),
        ]

    only_these = seam.Registry()
    only_these.add(seam.IrdDecisions, decisions)
    monkeypatch.setattr(seam, "registry", only_these)
    assert rows("ird_decisions") == [["Joint investigative interview", 2], ["No further action", 1]]
    scope, since, until = asked[-1]
    assert scope == {referral.pk for referral in world.values()}
    assert (since, until) == (report().filters.since, report().filters.until)
    rows("ird_decisions", agency=police)
    assert asked[-1][0] == {r.pk for r in world.values() if r.source_agency_id == police.pk}


def test_repeat_concerns_and_cumulative_harm_flags(world):
    assert rows("repeat") == [
        ["January 2026", 2, 1, 50.0, 1, 1, 0],
        ["February 2026", 2, 0, 0.0, 0, 0, 0],
    ]


def test_quality_scores_by_criterion_and_month(world):
    quality = rows("quality")
    assert len(quality) == 9  # eight criteria and the overall judgement, January only
    assert quality[0] == ["January 2026", "Clarity of the concern", 2, 3.0, 50.0]
    assert quality[-1] == ["January 2026", "Overall judgement", 2, 3.0, 50.0]
    decision = rows("decision_quality")
    assert decision[0] == ["January 2026", "Proportionate decision", 1, 5.0, 100.0]
    assert decision[-1] == ["January 2026", "Overall judgement", 1, 5.0, 100.0]


def test_most_frequent_barriers(world):
    assert rows("factors") == [
        ["Referral quality", "Barrier to quality", "History not checked", 2, 100.0],
        ["Referral quality", "Barrier to quality", "Child not seen or spoken to", 1, 50.0],
        ["Referral quality", "Supported quality", "Agency referral form or template used", 1, 50.0],
        ["Referral quality", "Barrier to quality", "Other (in the reviewer's words)", 1, 50.0],
    ]


def test_overdue_work_now(world):
    overdue = {(r[0], r[1]): r[3] for r in rows("overdue") if r[0] in OURS}
    assert overdue == {
        ("Practice hub quality review", "Practice hub"): 3,  # R3, R4 and R5
        ("Screening decision recorded", "Duty and intake team"): 1,  # R5
        ("Screening decision recorded", "Children and families (Forres)"): 1,  # R3
        ("Screening decision approved by a manager", "Duty and intake team"): 1,  # R4
        ("Child protection planning meeting held", "Duty and intake team"): 1,  # R2
        ("Practice hub decision review", "Practice hub"): 1,  # R2
    }


def test_the_neglect_and_cumulative_harm_report(world):
    measures = {row[0]: row[1:] for row in rows("neglect")}
    assert measures == {
        "Concerns about neglect or that raised a cumulative harm flag": [3, None, None],
        "Concerns about neglect": [3, 3, 100.0],
        "Concerns that raised a cumulative harm flag": [1, 3, 33.3],
        "Screened on time (of those due or done)": [2, 3, 66.7],
        "Flagged concerns whose flags an approved screening decision addressed": [1, 1, 100.0],
        "Screening decision approved": [2, 3, 66.7],
        "Outcome: Child protection concern: IRD needed": [1, 2, 50.0],
        "Outcome: Child welfare assessment": [1, 2, 50.0],
        "Repeat concerns (a child referred in the year before)": [1, 3, 33.3],
        "Referral quality good or better (practice hub)": [1, 2, 50.0],
        "Average referral quality score (1 to 6)": [3.0, None, None],
        "Decision making good or better (practice hub)": [1, 1, 100.0],
    }
    assert rows("neglect_months") == [
        ["January 2026", 2, 1, 50.0, 100.0, 50.0, 3.0],
        ["February 2026", 1, 0, 100.0, None, 0.0, None],
    ]


class Direct(reports.Report):
    """The neglect tables as they were worked out before the summary held their facts: each
    concern probed in its deadlines, decisions, reviews and flags on every page."""

    def _neglect(self):
        screening = Deadline.objects.filter(referral=OuterRef("pk"), timescale__kind="screening")
        approved = ScreeningDecision.objects.filter(
            referral=OuterRef("pk"), state=ScreeningDecision.State.APPROVED
        ).order_by("-reviewed_at")
        review = Review.objects.filter(referral=OuterRef("pk"), state=Review.State.SUBMITTED)
        flags = CumulativeHarmFlag.objects.filter(triggered_by=OuterRef("pk"))
        neglect = Referral.categories.through.objects.filter(
            referral_id=OuterRef("pk"), concerncategory__is_neglect=True
        )
        return (
            self.referrals()
            .annotate(neglect=Exists(neglect), flagged=Exists(flags))
            .filter(Q(neglect=True) | Q(flagged=True))
            .annotate(
                flag_open=Exists(flags.filter(status=CumulativeHarmFlag.Status.OPEN)),
                screened=Exists(screening),
                screening_late=Exists(
                    screening.filter(
                        Q(state=Deadline.State.MET, completed_at__gt=F("due_at"))
                        | Q(state__in=reports.LIVE, due_at__lte=self.now)
                    )
                ),
                screening_pending=Exists(
                    screening.filter(state__in=reports.LIVE, due_at__gt=self.now)
                ),
                repeat=summary.has_earlier_concern(),
                outcome=Coalesce(Subquery(approved.values("outcome")[:1]), Value("")),
                quality=Subquery(review.filter(kind=Review.Kind.REFERRAL).values("overall")[:1]),
                decision_quality=Subquery(
                    review.filter(kind=Review.Kind.DECISION)
                    .order_by("-submitted_at")
                    .values("overall")[:1]
                ),
            )
        )


def test_the_neglect_tables_from_the_summary_match_the_direct_computation(
    world, social_worker, team_manager, police
):
    """Screening deadlines met on time, met late, cancelled, overdue, not yet due and two at
    once; decisions approved or not; reviews or none; flags open or addressed: the tables
    give the same figures from the summary as worked out directly, at several moments (late
    and pending follow the page's clock, not the summary's)."""
    duty = social_worker.team
    child = world["r1"].children.get()
    concerns = []
    for day in (12, 14, 16, 18):
        with at(2026, 2, day, 10):
            concerns.append(
                make_referral(
                    team=duty,
                    source_agency=police,
                    children=[child] if day > 14 else None,
                    categories=("neglect",),
                    received_at=moment(2, day),
                )
            )
    early, late_met, cancelled, two = concerns
    with at(2026, 2, 12, 11):
        screening.screening_approve(
            decision=propose(early, social_worker, "support"), approved_by=team_manager
        )
    screening_of = Deadline.objects.filter(timescale__kind="screening")
    with at(2026, 2, 20, 10):
        screening_of.filter(referral=late_met).update(
            state=Deadline.State.MET, completed_at=moment(2, 20), updated_at=moment(2, 20)
        )
        screening_of.filter(referral=cancelled).update(
            state=Deadline.State.CANCELLED, completed_at=moment(2, 20), updated_at=moment(2, 20)
        )
        first = screening_of.get(referral=two)
        first.pk, first.due_at = None, moment(3, 20)  # a second, due after NOW
        first.save()
    tasks.rebuild_report_summary()  # the world's summary was refreshed before these changes
    on_time = "Screened on time (of those due or done)"
    moving = {
        now: {r[0]: r[1:] for r in reports.Report(report().filters, now).table("neglect").rows}[
            on_time
        ]
        for now in (NOW, moment(3, 16), moment(4, 1))
    }
    assert moving[NOW] != moving[moment(4, 1)], "late and pending move with the clock"
    for now in (NOW, moment(3, 16), moment(4, 1)):
        for filters in ({}, {"locality": "Forres"}, {"agency": police}):
            period = reports.Filters(start=date(2026, 1, 1), end=date(2026, 2, 28), **filters)
            for key in ("neglect", "neglect_months"):
                summarised = reports.Report(period, now).table(key).rows
                assert summarised == Direct(period, now).table(key).rows, (now, filters, key)


def test_figures_take_a_fixed_number_of_queries(world, social_worker):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            tables = report().tables()
        assert len(tables) == len(reports.Report.TABLES)
        return len(queries.captured_queries)

    before = count()
    with at(2026, 2, 16, 10):
        for _ in range(5):
            make_referral(team=social_worker.team, received_at=moment(2, 16))
    assert count() == before


def test_the_charts_are_accessible_svg_without_style_attributes(world):
    tables = report().tables()
    charts = [table.chart for table in tables if table.chart]
    assert len(charts) >= 8
    for chart in charts:
        assert chart.startswith("<svg") and 'role="img"' in chart
        assert "<title id=" in chart and "<desc id=" in chart
        assert "style=" not in chart and "<script" not in chart


# --- Pages and CSV ------------------------------------------------------------------------------


def test_the_report_page_shows_every_table_with_a_csv_link(client, world, committee_member):
    client.force_login(committee_member)
    response = client.get("/hub/reports/", PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    for key in reports.Report.TABLES:
        assert f"/hub/reports/{key}.csv?start=2026-01-01&amp;end=2026-02-28" in page
    # Each table on a page of its own, with its chart where it has one.
    charts = sum(
        client.get(f"/hub/reports/{key}/", PERIOD).content.decode().count('role="img"')
        for key in reports.Report.TABLES
    )
    assert charts >= 8
    assert "style=" not in page


def test_a_bad_period_is_a_form_error(client, world, committee_member):
    client.force_login(committee_member)
    response = client.get("/hub/reports/", {"start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end of the period must be on or after its start." in response.content.decode()
    assert (
        client.get("/hub/reports/timeliness.csv", {"start": "x", "end": "2026-01-01"}).status_code
        == 400
    )


@pytest.fixture
def signed_in_committee(client, committee_member, settings):
    # Property tests export far more than a person may: lift the export limit here only.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "100000/min"}
    client.force_login(committee_member)
    return client


@pytest.mark.parametrize("path", ["/hub/reports/", "/hub/reports/concerns.csv"])
@pytest.mark.parametrize(
    "period",
    [
        {"start": "9999-01-01", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-12-31"},
        {"start": "2026-01-01", "end": "2101-01-01"},
    ],
)
def test_a_period_outside_1900_to_2100_is_a_form_error(signed_in_committee, path, period):
    """A period ending in 9999 overflowed the day after it (issue 15): dates are held to 1900
    to 2100 before any report is worked out."""
    response = signed_in_committee.get(path, period)
    assert response.status_code == 400
    assert "Enter a date from 1900 to 2100." in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=date_texts(), end=date_texts(), table=st.sampled_from(["", *reports.Report.TABLES]))
@example(start="9999-01-01", end="9999-12-31", table="")  # the OverflowError
@example(start="9999-01-01", end="9999-12-31", table="concerns")
def test_no_period_is_a_server_error(signed_in_committee, start, end, table):
    path = f"/hub/reports/{table}.csv" if table else "/hub/reports/"
    assert signed_in_committee.get(path, {"start": start, "end": end}).status_code in {200, 400}


def test_every_table_downloads_as_csv_and_the_export_is_audited(client, world, service_manager):
    client.force_login(service_manager)
    for key in reports.Report.TABLES:
        response = client.get(f"/hub/reports/{key}.csv", PERIOD)
        assert response.status_code == 200, key
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{key}-2026-01-01-to-2026-02-28.csv"'
        )
        table = report().table(key)
        parsed = list(csv.reader(io.StringIO(response.content.decode())))
        assert parsed[0] == table.columns
        assert len(parsed) == len(table.rows) + 1
    concerns = list(
        csv.reader(io.StringIO(client.get("/hub/reports/concerns.csv", PERIOD).content.decode()))
    )
    assert concerns[1] == ["January 2026", "Elgin", "NHS Grampian", "1", "0"]
    exports = AuditEntry.objects.filter(action="export", object_type="report")
    assert exports.count() == len(reports.Report.TABLES) + 1
    row = exports.filter(object_id="timeliness").get()
    assert row.actor_id == service_manager.pk
    assert row.detail == {
        "start": "2026-01-01",
        "end": "2026-02-28",
        "locality": "",
        "agency": "",
        # Issue 10: every export records the lawful basis of its share route.
        "share_route": "csv_export",
        "lawful_basis": "public_task",
        "condition": "art9_2g_sch1_18",
    }


def test_an_unknown_table_is_404(client, world, committee_member):
    client.force_login(committee_member)
    assert client.get("/hub/reports/nothing.csv", PERIOD).status_code == 404


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("Neglect", "Neglect"),
        (None, ""),
        (3.5, "3.5"),
    ],
)
def test_csv_cells_cannot_run_as_formulas(value, cell):
    assert csv_cell(value) == cell


def test_the_team_feedback_page_shows_the_managers_team(
    client, world, team_manager, other_team_manager
):
    client.force_login(team_manager)
    page = client.get("/hub/team-feedback/").content.decode()
    assert world["r1"].reference in page and world["r2"].reference in page
    assert 'role="img"' in page
    client.force_login(other_team_manager)
    page = client.get("/hub/team-feedback/").content.decode()
    assert world["r1"].reference not in page


def test_services_reference_data_can_be_rebuilt(world):
    services.reference_data_ensure()  # nothing to add: it is all there


def test_the_reports_are_an_index_of_one_page_per_table_overdue_first(
    client, world, committee_member
):
    """Issue 12 defect 8: Reports was one 30,000-pixel page. The index lists every table (the
    actionable one first) and each table is a page of its own, with its chart and CSV."""
    client.force_login(committee_member)

    index = client.get("/hub/reports/", PERIOD).content.decode()

    assert "<table" not in index
    links = re.findall(r'href="/hub/reports/([a-z_]+)/\\?', index)
    assert links[0] == "overdue" and set(links) == set(reports.Report.TABLES)
    one = client.get("/hub/reports/timeliness/", PERIOD)
    assert one.status_code == 200
    page = one.content.decode()
    assert reports.Report.TABLES["timeliness"] in page
    assert reports.Report.TABLES["concerns"] not in page
    assert "/hub/reports/timeliness.csv?start=2026-01-01&amp;end=2026-02-28" in page
    assert client.get("/hub/reports/nonsense/", PERIOD).status_code == 404


def test_team_feedback_puts_the_latest_feedback_first(client, world, team_manager):
    client.force_login(team_manager)

    page = client.get("/hub/team-feedback/").content.decode()

    assert page.index("Latest feedback") < page.index("Trend")
