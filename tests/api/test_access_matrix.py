"""Every partner API operation against every kind of caller: no token, a revoked token, an
expired token, a disabled client, and the police (who submitted the concern), health and
education clients. Out of scope is 404; the matrix must name every route the API has."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from ird import services as ird_services
from ird.models import Ird
from referrals.api import services
from referrals.api.models import ApiToken
from referrals.models import Referral, Role
from referrals.services import emergency, screening
from referrals.services.feedback import feedback_give
from tests.api.conftest import CONCERNS, PartnerClient, concern_body
from tests.factories import StaffFactory, TeamFactory

pytestmark = pytest.mark.django_db

OPERATIONS = {
    # name: (method, path template)
    "list concerns": ("GET", "/api/v1/concerns/"),
    "submit concern": ("POST", "/api/v1/concerns/"),
    "read concern": ("GET", "/api/v1/concerns/{concern}/"),
    "list feedback": ("GET", "/api/v1/concerns/{concern}/feedback/"),
    "acknowledge feedback": ("POST", "/api/v1/concerns/{concern}/feedback/{feedback}/acknowledge/"),
    "list measures": ("GET", "/api/v1/concerns/{concern}/emergency-measures/"),
    "record measure": ("POST", "/api/v1/concerns/{concern}/emergency-measures/"),
    "read measure": ("GET", "/api/v1/concerns/{concern}/emergency-measures/{measure}/"),
    "reporter told": (
        "POST",
        "/api/v1/concerns/{concern}/emergency-measures/{measure}/reporter-told/",
    ),
    "list categories": ("GET", "/api/v1/categories/"),
    "list events": ("GET", "/api/v1/events/"),
    "list irds": ("GET", "/api/v1/irds/"),
    "read ird": ("GET", "/api/v1/irds/{ird}/"),
    "read ird action": ("GET", "/api/v1/irds/{ird}/actions/{action}/"),
    "update ird action": ("PATCH", "/api/v1/irds/{ird}/actions/{action}/"),
    "schema": ("GET", "/api/schema/"),
    "docs": ("GET", "/api/docs/"),
}
ALL = set(OPERATIONS)
OWN_CONCERN = {
    "read concern",
    "list feedback",
    "acknowledge feedback",
    "list measures",
    "record measure",
    "read measure",
    "reporter told",
}
# The IRD about the police's concern invites police and health (not education); the action
# belongs to the police.
INVITED_IRD = {"read ird", "read ird action", "update ird action"}
POLICE_ACTION = {"read ird action", "update ird action"}
CALLERS = [
    "no token",
    "revoked token",
    "expired token",
    "disabled client",
    "police client",
    "health client",
    "education client",
]


def expected(caller: str, operation: str) -> int:
    if caller in {"no token", "revoked token", "expired token"}:
        return 401
    if caller == "disabled client":
        return 403
    if operation == "submit concern":
        return 201
    if caller == "police client" and operation == "record measure":
        return 201
    if caller != "police client" and operation in OWN_CONCERN:
        return 404
    if caller == "education client" and operation in INVITED_IRD:
        return 404
    if caller == "health client" and operation in POLICE_ACTION:
        return 403
    return 200


def ird_about(concern_id, police, health, duty_team) -> tuple[str, str]:
    """An IRD about the concern, police and health invited, with an action the police own."""
    worker = StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team)
    manager = StaffFactory(role=Role.TEAM_MANAGER, team=duty_team)
    referral = Referral.objects.get(pk=concern_id)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=worker,
        outcome="child_protection",
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
        cumulative_harm_analysis="c",
    )
    screening.screening_approve(decision=decision, approved_by=manager)
    officer = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))
    nurse = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))
    ird = ird_services.ird_schedule(
        ird=Ird.objects.get(referral=referral),
        by=manager,
        plan=ird_services.Schedule(
            scheduled_for=timezone.now() + datetime.timedelta(hours=1),
            duration_minutes=60,
            chair=officer,
            recorder=worker,
            participants=[nurse],
        ),
    )
    ird = ird_services.ird_start(ird=ird, by=worker, reason="Police report.")
    action = ird_services.action_add(
        ird=ird,
        by=worker,
        description="Interview.",
        owner_agency=police,
        due_date=timezone.localdate(),
    )
    return str(ird.pk), str(action.pk)


@pytest.fixture
def world(police_client, health_client, education_client, duty_team, hub_reviewer):
    police_api = PartnerClient(services.token_issue(client=police_client)[1])
    concern = police_api.submit(concern_body()).json()
    ird, action = ird_about(concern["id"], police_client.agency, health_client.agency, duty_team)
    feedback = feedback_give(
        referral=Referral.objects.get(pk=concern["id"]),
        given_by=hub_reviewer,
        scores=[{"criterion": "c", "label": "C", "score": 4}],
    )
    revoked_token, revoked = services.token_issue(client=health_client)
    services.tokens_revoke(client=health_client, tokens=[revoked_token])
    expired_token, expired = services.token_issue(client=education_client)
    ApiToken.objects.filter(pk=expired_token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    disabled = services.client_create(name="Old police system", agency=police_client.agency)
    disabled_token = services.token_issue(client=disabled)[1]
    disabled.is_active = False
    disabled.save()
    callers = {
        "no token": PartnerClient(),
        "revoked token": PartnerClient(revoked),
        "expired token": PartnerClient(expired),
        "disabled client": PartnerClient(disabled_token),
        "police client": police_api,
        "health client": PartnerClient(services.token_issue(client=health_client)[1]),
        "education client": PartnerClient(services.token_issue(client=education_client)[1]),
    }
    measure = emergency.measure_record(
        referral=Referral.objects.get(pk=concern["id"]),
        child=Referral.objects.get(pk=concern["id"]).child_links.get().person,
        by=StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team),
        kind="cpo",
        granted_at=timezone.now() - datetime.timedelta(hours=1),
        starts_at=timezone.now() - datetime.timedelta(hours=1),
        ends_at=None,
        reason="Sheriff granted a child protection order.",
    )
    return callers, {
        "concern": concern["id"],
        "child": concern["children"][0]["id"],
        "measure": str(measure.pk),
        "feedback": str(feedback.pk),
        "ird": ird,
        "action": action,
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_for_every_caller(world, caller):
    callers, ids = world
    api = callers[caller]
    seen = {}
    for name, (method, template) in OPERATIONS.items():
        path = template.format(**ids)
        now = timezone.now()
        if method == "GET":
            response = api.get(path)
        elif name == "submit concern":
            response = api.submit(concern_body())
        elif name == "record measure":
            response = api.post(
                path,
                {
                    "child": ids["child"],
                    "kind": "police_removal",
                    "granted_at": (now - datetime.timedelta(hours=1)).isoformat(),
                    "starts_at": (now - datetime.timedelta(hours=1)).isoformat(),
                    "ends_at": (now + datetime.timedelta(hours=12)).isoformat(),
                    "reason": "Found alone at home at night.",
                },
            )
        elif method == "PATCH":
            response = api.http.generic(
                "PATCH",
                path,
                b'{"completion_note": "Interview arranged."}',
                content_type="application/json",
                headers=api.headers({"If-Match": '"1"'}),
            )
        else:
            response = api.post(path, key=None, content_type="")
        seen[name] = response.status_code
        if response.status_code == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        if response["Content-Type"].startswith("application/json"):
            assert isinstance(response.json(), dict)
    assert seen == {name: expected(caller, name) for name in OPERATIONS}


def test_staff_signed_in_read_the_schema_and_docs_but_no_partner_data(
    client, social_worker, duty_team
):
    client.force_login(social_worker)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get(CONCERNS).status_code == 401, "a session is no partner token"


def test_the_matrix_covers_every_api_route():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    routes = {route for route in walk(get_resolver().url_patterns) if route.startswith("api/")}
    routes.discard(r"^api/(?P<rest>.*)$")  # the JSON 404 for everything else
    normalised = {
        "/"
        + route.replace("<uuid:concern_id>", "{concern}")
        .replace("<uuid:feedback_id>", "{feedback}")
        .replace("<uuid:ird_id>", "{ird}")
        .replace("<uuid:action_id>", "{action}")
        .replace("<uuid:measure_id>", "{measure}")
        for route in routes
    }
    assert normalised == {template for _, template in OPERATIONS.values()}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/concerns",
        "/api/v1/nothing/",
        "/api/v2/concerns/",
        "/api/v1/concerns/not-a-uuid/",
        "/api/v1/concerns/00%0A/",
    ],
)
def test_anything_else_under_the_api_is_a_json_404(police_api, path):
    response = police_api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_methods_an_operation_does_not_have_are_405(police_api):
    response = police_api.http.delete(CONCERNS, headers=police_api.headers())
    assert response.status_code == 405
    assert response.json()["detail"]
