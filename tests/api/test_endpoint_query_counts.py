"""Issue 14 (P7): the partner API's answers that grow with rows run the same number of queries
for one row as for four (the shared measure is tests/page_costs.py; the partner's client stands
where a page's signed-in staff member would). The concern list's exact cost at 1/10/100
concerns is in tests/api/test_concern_read.py.

Endpoints not in this table, and why:
- POST /api/v1/concerns/, feedback acknowledge, emergency-measure POST and reporter-told: they
  write one concern, acknowledgement or measure and answer with that one object;
- GET one emergency measure: one measure, nothing that grows;
- GET /api/v1/categories/: the dated category lookup, a fixed reference list;
- /api/schema/ and /api/docs/: the schema, no rows.
Not yet measured: the IRD API (/api/v1/irds/, an IRD with 1 vs 4 actions).
"""

import datetime

import pytest
from django.utils import timezone

from referrals.models import Referral
from referrals.services.feedback import feedback_give
from tests.api.conftest import CONCERNS, child, concern_body
from tests.page_costs import Page, page_context, queries_for_one_row_and_four

pytestmark = pytest.mark.django_db

PARTNER = "police_api"


def _submitted(ctx) -> dict:
    response = ctx[PARTNER].submit(concern_body())
    assert response.status_code == 201, response.content
    return response.json()


def _the_concern(ctx) -> dict:
    if "concern" not in ctx:
        ctx["concern"] = _submitted(ctx)
    return ctx["concern"]


def _concern(ctx) -> None:
    _submitted(ctx)


def _child_named(ctx) -> None:
    """A concern names its children as submitted: each row is a new concern naming one more."""
    named = ctx.get("children_named", 0) + 1
    children = [
        child(chi_number="", date_of_birth=f"201{position}-07-02", last_name=f"Reid{position}")
        for position in range(named)
    ]
    response = ctx[PARTNER].submit(concern_body(children=children))
    assert response.status_code == 201, response.content
    ctx["concern"], ctx["children_named"] = response.json(), named


def _feedback(ctx) -> None:
    feedback_give(
        referral=Referral.objects.get(pk=_the_concern(ctx)["id"]),
        given_by=ctx["hub_reviewer"],
        scores=[{"criterion": "identifiers", "label": "Full identifiers", "score": 5}],
        supported_by=["Clear account of what was seen"],
        barriers=[],
        comments="A clear referral.",
    )


def _measure(ctx) -> None:
    concern = _the_concern(ctx)
    now = timezone.now().replace(microsecond=0)
    response = ctx[PARTNER].post(
        f"{CONCERNS}{concern['id']}/emergency-measures/",
        {
            "child": concern["children"][0]["id"],
            "kind": "police_removal",
            "granted_at": (now - datetime.timedelta(hours=1)).isoformat(),
            "starts_at": (now - datetime.timedelta(hours=1)).isoformat(),
            "ends_at": (now + datetime.timedelta(hours=12)).isoformat(),
            "reason": "Two children alone at home overnight; parents not traced.",
        },
    )
    assert response.status_code == 201, response.content


def _measures_url(ctx) -> str:
    return f"{CONCERNS}{_the_concern(ctx)['id']}/emergency-measures/"


ENDPOINTS = {
    "concern list": Page(PARTNER, lambda ctx: CONCERNS, _concern),
    "concern, children named": Page(
        PARTNER, lambda ctx: f"{CONCERNS}{_the_concern(ctx)['id']}/", _child_named
    ),
    "concern feedback": Page(
        PARTNER, lambda ctx: f"{CONCERNS}{_the_concern(ctx)['id']}/feedback/", _feedback
    ),
    "emergency measures": Page(PARTNER, _measures_url, _measure),
    "events": Page(PARTNER, lambda ctx: "/api/v1/events/", _feedback),
}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_an_endpoint_costs_the_same_queries_for_one_row_as_for_four(name, request):
    endpoint = ENDPOINTS[name]
    ctx = page_context(request, PARTNER, "hub_reviewer")
    one, four = queries_for_one_row_and_four(endpoint, ctx, ctx[PARTNER])
    assert four == one, (one, four)
