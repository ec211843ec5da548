"""Issue 14 (P7): every page and endpoint that lists rows runs the same number of queries
whatever the number of rows shown. One table: who looks, where, and how a row is made; each
page is measured with one row and again with four, and the two counts must be equal."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub import services as hub_services
from hub.models import HubSettings
from ird.models import Ird
from ird.reference_data import ensure_ird_reference_data
from referrals.models import Referral
from referrals.services import screening
from tests.factories import PersonFactory, TeamFactory, make_referral

pytestmark = pytest.mark.django_db


@dataclass
class Page:
    role: str  # the fixture of the staff member who looks
    url: Callable[[dict], str]
    row: Callable[[dict], None]  # adds one more row to what the page shows
    method: str = "get"
    data: dict | None = None


def _referral(ctx) -> Referral:
    return make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])


def _proposed(ctx) -> None:
    screening.screening_propose(
        referral=_referral(ctx),
        proposed_by=ctx["social_worker"],
        outcome="support",
        reasons="Support offered.",
        risk_analysis="Low.",
        needs_analysis="Food.",
    )


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
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    page = PAGES[name]
    ctx = {
        fixture: request.getfixturevalue(fixture)
        for fixture in ("duty_team", "social_worker", "team_manager", page.role)
    }
    hub_services.reference_data_ensure()
    hub = HubSettings.current()
    hub.hub_team = TeamFactory(agency=ctx["duty_team"].agency, name="Practice hub")
    hub.save()
    ensure_ird_reference_data()
    ctx["child"] = PersonFactory(first_name="Ava", last_name="Smith")
    client.force_login(ctx[page.role])

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, page.method)(page.url(ctx), page.data)
        assert response.status_code == 200, response.status_code
        return len(queries)

    page.row(ctx)
    one = cost()
    for _ in range(3):
        page.row(ctx)
    four = cost()
    assert four == one, (one, four)
