"""Issue 14 (P7): the partner API's answers that grow with rows run the same number of queries
for one row as for four (the shared measure is tests/page_costs.py; the partner's client stands
where a page's signed-in staff member would). The concern list's exact cost at 1/10/100
concerns is in tests/api/test_concern_read.py; the endpoints no table measures are listed, with
the reason, in tests/test_query_counts.py (NOT_MEASURED)."""

import datetime

import pytest
from django.utils import timezone

from ird import services as ird_services
from ird.models import Ird
from referrals.models import ConcernCategory, Referral
from referrals.services.feedback import feedback_give
from tests.api.conftest import CONCERNS, child, concern_body
from tests.factories import make_referral
from tests.ird.conftest import approve_child_protection, plan
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


def _scheduled_ird(ctx) -> Ird:
    """An IRD about a new child protection referral, chaired by the police and with health."""
    referral = make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])
    approve_child_protection(referral, ctx["social_worker"], ctx["team_manager"])
    return ird_services.ird_schedule(
        ird=Ird.objects.get(referral=referral),
        by=ctx["team_manager"],
        plan=plan(
            chair=ctx["police_participant"],
            recorder=ctx["social_worker"],
            participants=[
                ctx["police_participant"],
                ctx["social_worker"],
                ctx["health_participant"],
            ],
        ),
    )


def _ird(ctx) -> None:
    _scheduled_ird(ctx)


def _police_action(ctx) -> None:
    if "ird" not in ctx:
        ctx["ird"] = ird_services.ird_start(
            ird=_scheduled_ird(ctx), by=ctx["social_worker"], reason="Bruising seen at nursery."
        )
    ird_services.action_add(
        ird=ctx["ird"],
        by=ctx["social_worker"],
        description="Joint investigative interview.",
        owner_agency=ctx["police_participant"].agency,
        owner=ctx["police_participant"],
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )


def _category(ctx) -> None:
    """One more concern category in use."""
    count = ctx["categories"] = ctx.get("categories", 0) + 1
    ConcernCategory.objects.create(code=f"extra-{count}", label=f"Extra category {count}")


def _measures_url(ctx) -> str:
    return f"{CONCERNS}{_the_concern(ctx)['id']}/emergency-measures/"


ENDPOINTS = {
    "concern list": Page(PARTNER, lambda ctx: CONCERNS, _concern, route="partner_api:concerns"),
    "concern, children named": Page(
        PARTNER,
        lambda ctx: f"{CONCERNS}{_the_concern(ctx)['id']}/",
        _child_named,
        route="partner_api:concern_detail",
    ),
    "concern feedback": Page(
        PARTNER,
        lambda ctx: f"{CONCERNS}{_the_concern(ctx)['id']}/feedback/",
        _feedback,
        route="partner_api:concern_feedback",
    ),
    "emergency measures": Page(
        PARTNER, _measures_url, _measure, route="partner_api:concern_measures"
    ),
    "categories": Page(
        PARTNER, lambda ctx: "/api/v1/categories/", _category, route="partner_api:categories"
    ),
    "events": Page(PARTNER, lambda ctx: "/api/v1/events/", _feedback, route="partner_api:events"),
    "IRD list": Page(PARTNER, lambda ctx: "/api/v1/irds/", _ird, route="ird_api:irds"),
    "IRD, its agency's actions": Page(
        PARTNER,
        lambda ctx: f"/api/v1/irds/{ctx['ird'].pk}/",
        _police_action,
        route="ird_api:ird_detail",
    ),
}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_an_endpoint_costs_the_same_queries_for_one_row_as_for_four(name, request):
    endpoint = ENDPOINTS[name]
    ctx = page_context(request, PARTNER, "hub_reviewer", "police_participant", "health_participant")
    # A token's first request stamps its last use (then at most once a minute): use it once
    # first, so the first measure is not one statement dearer than the second.
    assert ctx[PARTNER].get("/api/v1/categories/").status_code == 200
    one, four = queries_for_one_row_and_four(endpoint, ctx, ctx[PARTNER])
    assert four == one, (one, four)
