"""Issue 14 (P7): every page and endpoint that lists rows runs the same number of queries
whatever the number of rows shown. One table: who looks, where, and how a row is made; each
page is measured with one row and again with four, and the two counts must be equal.

Other tables of the same measure: the referrals pages whose content grows with rows
(referrals/test_page_query_counts.py), the IRD page, record and printable record
(ird/test_page_query_counts.py) and the partner API (api/test_endpoint_query_counts.py; its
list has an exact count in api/test_concern_read.py). Measured beside their features: the
person page over a long chronology (referrals/test_chronology_events.py, test_pages.py), the
history of involvement (test_involvement.py), the access report (test_access_report.py),
matching (test_matching.py), the intake pages' budget (test_pages.py), the hub's report tables
(hub/test_reports.py), and the IRD home, statistics, register, CPPMs due and core group pages
(ird/). Forms that show no rows and redirects are not measured."""

import pytest

from ird.models import Ird
from referrals.models import Referral
from referrals.services import screening
from tests.factories import make_referral
from tests.hub.conftest import referral_review, review_and_submit
from tests.page_costs import Page, page_context, queries_for_one_row_and_four, support_proposed

pytestmark = pytest.mark.django_db


def _referral(ctx) -> Referral:
    return make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])


def _proposed(ctx) -> None:
    support_proposed(ctx, _referral(ctx))


def _child_protection(ctx) -> Ird:
    referral = _referral(ctx)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=ctx["social_worker"],
        outcome="child_protection",
        reasons="Bruising seen at nursery.",
        risk_analysis="High.",
        needs_analysis="Safety.",
        cumulative_harm_analysis="Earlier concerns considered.",
    )
    screening.screening_approve(decision=decision, approved_by=ctx["team_manager"])
    return Ird.objects.get(referral=referral)


def _concern_about_the_child(ctx) -> None:
    make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"], children=[ctx["child"]])


def _first_concern(ctx) -> Referral:
    """The concern whose page is measured: the first made about the child."""
    if "first" not in ctx:
        ctx["first"] = make_referral(
            team=ctx["duty_team"], received_by=ctx["social_worker"], children=[ctx["child"]]
        )
    return ctx["first"]


def _earlier_concern(ctx) -> None:
    """Another concern about the child: one more row of its history of involvement."""
    _first_concern(ctx)
    _concern_about_the_child(ctx)


def _reviewed(ctx) -> None:
    """A referral of the duty team whose quality review the hub submitted."""
    review_and_submit(referral_review(_referral(ctx)), ctx["hub_reviewer"], score=4)


def _ird_page(ctx) -> str:
    if "ird" not in ctx:
        ctx["ird"] = _child_protection(ctx)
    return f"/ird/{ctx['ird'].pk}/"


def _ird_child(ctx) -> None:
    """One more child the IRD considers: a brother or sister on a concern of their own."""
    _ird_page(ctx)
    referral = ctx["ird"].referral
    make_referral(
        team=ctx["duty_team"],
        received_by=ctx["social_worker"],
        children=[referral.children.first()],
    )


PAGES = {
    "home, social worker": Page("social_worker", lambda ctx: "/", _referral),
    "home, team manager": Page("team_manager", lambda ctx: "/", _proposed),
    "home, service manager": Page("service_manager", lambda ctx: "/", _referral),
    "team work": Page("team_manager", lambda ctx: "/team/work/", _proposed),
    "notifications": Page("team_manager", lambda ctx: "/notifications/", _proposed),
    "search": Page(
        "social_worker", lambda ctx: "/search/", _referral, method="post", data={"query": "Smith"}
    ),
    "person page": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/", _concern_about_the_child
    ),
    "IRD list": Page("team_manager", lambda ctx: "/ird/", _child_protection),
    "home, hub reviewer": Page("hub_reviewer", lambda ctx: "/", _referral),
    "hub queue": Page("hub_reviewer", lambda ctx: "/hub/", _referral),
    "referral page, the children's history": Page(
        "social_worker",
        lambda ctx: f"/referrals/{_first_concern(ctx).pk}/",
        _earlier_concern,
    ),
    "hub team feedback": Page("team_manager", lambda ctx: "/hub/team-feedback/", _reviewed),
    "IRD page, its earlier concerns": Page("team_manager", _ird_page, _ird_child),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    page = PAGES[name]
    ctx = page_context(request, page.role, "hub_reviewer")
    client.force_login(ctx[page.role])
    one, four = queries_for_one_row_and_four(page, ctx, client)
    assert four == one, (one, four)
