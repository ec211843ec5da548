"""Issue 14 (P7): the measure every query-count table shares. A page is fetched once with one
row and again with four; a page or endpoint whose cost follows its rows runs more queries the
second time. The tables are in tests/test_query_counts.py and beside each app's tests."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from hub import services as hub_services
from hub.models import HubSettings
from ird.reference_data import ensure_ird_reference_data
from referrals.models import ReferralChild
from referrals.services import screening
from tests.factories import PersonFactory, TeamFactory, make_referral


@dataclass
class Page:
    role: str  # the fixture of the staff member who looks
    url: Callable[[dict], str]
    row: Callable[[dict], None]  # adds one more row to what the page shows
    method: str = "get"
    data: dict | Callable[[dict], dict] | None = None  # a callable when it names a row
    status: int = 200
    # The route measured, as reverse() names it: tests/test_query_counts.py checks that every
    # route is measured by some table, beside its feature, or is listed with why it is not.
    route: str = ""


def page_context(request, *roles: str) -> dict:
    """The fixtures a table's rows are made from, with the hub and IRD reference data and a
    child (`ctx["child"]`) to hang concerns on."""
    ctx = {
        fixture: request.getfixturevalue(fixture)
        for fixture in ("duty_team", "social_worker", "team_manager", *roles)
    }
    hub_services.reference_data_ensure()
    hub = HubSettings.current()
    hub.hub_team = TeamFactory(agency=ctx["duty_team"].agency, name="Practice hub")
    hub.save()
    ensure_ird_reference_data()
    ctx["child"] = PersonFactory(first_name="Ava", last_name="Smith")
    return ctx


def queries_for_one_row_and_four(page: Page, ctx: dict, client) -> tuple[int, int]:
    """The queries `page` runs showing one row, then four (the caller has signed in)."""

    def cost() -> int:
        url = page.url(ctx)
        assert page.route and resolve(urlsplit(url).path).view_name == page.route, url
        with CaptureQueriesContext(connection) as queries:
            data = page.data(ctx) if callable(page.data) else page.data
            response = getattr(client, page.method)(url, data)
        assert response.status_code == page.status, response.status_code
        return len(queries)

    page.row(ctx)
    one = cost()
    for _ in range(3):
        page.row(ctx)
    return one, cost()


def assert_the_same_for_one_row_as_for_four(page: Page, request, client, *fixtures: str) -> None:
    """Sign in as the page's `role` and measure it (`fixtures`: what its rows hang on)."""
    ctx = page_context(request, page.role, *fixtures)
    client.force_login(ctx[page.role])
    one, four = queries_for_one_row_and_four(page, ctx, client)
    assert four == one, (one, four)


def the_referral(ctx: dict):
    """The referral a table's rows are added to: made by the duty team's social worker."""
    if "referral" not in ctx:
        ctx["referral"] = make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])
    return ctx["referral"]


def child_named(ctx: dict) -> None:
    """One more child named on the referral (a new record)."""
    referral = the_referral(ctx)
    ReferralChild.objects.create(
        referral=referral,
        person=PersonFactory(),
        match=ReferralChild.Match.NEW_RECORD,
        position=referral.child_links.count(),
    )


def support_proposed(ctx: dict, referral):
    """The social worker proposes support for `referral` (a row of a manager's pages)."""
    return screening.screening_propose(
        referral=referral,
        proposed_by=ctx["social_worker"],
        outcome="support",
        reasons="Support offered.",
        risk_analysis="Low.",
        needs_analysis="Food.",
    )
