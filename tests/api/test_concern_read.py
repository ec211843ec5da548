"""GET /api/v1/concerns/ and /api/v1/concerns/{id}/: scope, filters, pagination, what a concern
shows as it moves through screening, and the audit rows each read writes."""

import datetime
import uuid

import pytest
from django.utils import timezone

from referrals.models import AuditEntry, Referral, ScreeningDecision
from referrals.services import screening
from tests.api.conftest import CONCERNS, concern_body
from tests.factories import make_referral

pytestmark = pytest.mark.django_db


def submit(api, **overrides) -> dict:
    response = api.submit(concern_body(**overrides))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_concern_reads_back_as_it_was_answered_when_created(police_api):
    created = submit(police_api)

    response = police_api.get(f"{CONCERNS}{created['id']}/")

    assert response.status_code == 200
    assert response.json() == created


def test_another_agencys_concern_is_404_as_if_it_did_not_exist(
    police_api, health_api, health_client
):
    concern = submit(police_api)
    before = AuditEntry.objects.count()

    foreign = health_api.get(f"{CONCERNS}{concern['id']}/")
    missing = health_api.get(f"{CONCERNS}{uuid.uuid4()}/")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    denied = AuditEntry.objects.order_by("id")[before:]
    assert [(r.action, r.object_id, r.actor_label) for r in denied] == [
        ("denied", concern["id"], health_client.name)
    ]


def test_a_referral_no_partner_submitted_is_404(police_api, duty_team):
    referral = make_referral(team=duty_team)
    assert police_api.get(f"{CONCERNS}{referral.pk}/").status_code == 404


def test_clients_of_one_agency_share_its_concerns(police_api, second_police_client):
    from tests.api.conftest import PartnerClient, _token

    concern = submit(police_api)
    colleague = PartnerClient(_token(second_police_client))

    assert colleague.get(f"{CONCERNS}{concern['id']}/").status_code == 200
    assert [c["id"] for c in colleague.get(CONCERNS).json()["results"]] == [concern["id"]]


def test_the_list_holds_only_the_agencys_concerns_newest_first(police_api, health_api):
    first = submit(police_api)
    submit(health_api)
    second = submit(police_api)

    response = police_api.get(CONCERNS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [c["id"] for c in body["results"]] == [second["id"], first["id"]]


def test_each_concern_listed_is_one_audit_row(police_api, police_client):
    ids = {submit(police_api)["id"] for _ in range(3)}
    before = AuditEntry.objects.count()

    police_api.get(CONCERNS)

    rows = AuditEntry.objects.order_by("id")[before:]
    assert len(rows) == 3
    assert {r.object_id for r in rows} == ids
    assert {(r.action, r.actor_label, r.actor_agency) for r in rows} == {
        ("view", police_client.name, "police")
    }
    # Issue 10: each read records the API route's lawful basis, looked up once per request.
    assert {(r.detail["lawful_basis"], r.detail["condition"]) for r in rows} == {
        ("public_task", "art9_2g_sch1_18")
    }


def test_an_empty_list_still_leaves_an_audit_row(police_api):
    before = AuditEntry.objects.count()
    assert police_api.get(CONCERNS).json()["results"] == []
    assert list(AuditEntry.objects.order_by("id")[before:].values_list("action", flat=True)) == [
        "search"
    ]


def test_reading_one_concern_is_one_audit_row(police_api, police_client):
    concern = submit(police_api)
    before = AuditEntry.objects.count()

    police_api.get(f"{CONCERNS}{concern['id']}/")

    rows = list(AuditEntry.objects.order_by("id")[before:])
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("view", "referral", concern["id"])
    ]
    assert rows[0].actor_label == police_client.name and rows[0].route.startswith("/api/v1/")


def test_pages_hold_at_most_a_hundred(police_api):
    for _ in range(3):
        submit(police_api)

    first = police_api.get(CONCERNS, {"page_size": 2}).json()
    second = police_api.get(first["next"]).json()

    assert len(first["results"]) == 2 and first["previous"] is None
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"].startswith("http://testserver/api/v1/concerns/")
    assert police_api.get(CONCERNS, {"page_size": 101}).status_code == 400
    assert police_api.get(CONCERNS, {"page_size": 0}).status_code == 400
    assert police_api.get(CONCERNS, {"page": "two"}).status_code == 400
    assert police_api.get(CONCERNS, {"page": 9}).status_code == 404


def test_filters(police_api):
    old = submit(police_api, external_reference="OLD")
    new = submit(police_api, external_reference="NEW")
    Referral.objects.filter(pk=old["id"]).update(
        updated_at=timezone.now() - datetime.timedelta(days=3), status="screening"
    )

    def ids(**query):
        response = police_api.get(CONCERNS, query)
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["results"]]

    assert ids(external_reference="OLD") == [old["id"]]
    assert ids(external_reference="old") == []
    assert ids(status="received") == [new["id"]]
    assert ids(status="screening") == [old["id"]]
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(updated_since=since) == [new["id"]]
    # An empty value is no status (API.md: an unknown filter value is a 400), as the schema says.
    assert police_api.get(CONCERNS, {"status": ""}).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"status": "pending"},
        {"status": "RECEIVED"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-01-01T00:00:00"},
        {"updated_since": "2026-13-01T00:00:00Z"},
        {"external_reference": "x" * 65},
        {"external_reference": "a\x00b"},
    ],
)
def test_an_unknown_filter_value_is_400(police_api, query):
    response = police_api.get(CONCERNS, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)


def test_status_decision_and_feedback_count_follow_the_referral(
    police_api, duty_worker, duty_manager
):
    concern = submit(police_api)
    referral = Referral.objects.get(pk=concern["id"])
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=duty_worker,
        outcome=ScreeningDecision.Outcome.WELFARE_ASSESSMENT,
        reasons="Needs assessment.",
        risk_analysis="Risk.",
        needs_analysis="Needs.",
        cumulative_harm_analysis="None known.",
    )
    assert police_api.get(f"{CONCERNS}{concern['id']}/").json()["decision"] is None

    screening.screening_approve(decision=decision, approved_by=duty_manager)

    read = police_api.get(f"{CONCERNS}{concern['id']}/").json()
    assert read["status"] == "decided"
    assert read["decision"]["code"] == "welfare_assessment"
    assert read["decision"]["label"] == "Child welfare assessment"
    assert read["decision"]["approved_at"]
    assert read["updated_at"] > concern["updated_at"]
    assert read["ird"] is None


def test_categories_are_listed_as_configured_and_the_read_audited(police_api, police_client):
    before = AuditEntry.objects.count()

    response = police_api.get("/api/v1/categories/", {"page_size": 100})

    assert response.status_code == 200
    codes = [c["code"] for c in response.json()["results"]]
    assert "neglect" in codes and "domestic_abuse" in codes
    assert set(response.json()["results"][0]) == {"code", "label"}
    rows = AuditEntry.objects.order_by("id")[before:]
    assert [(r.action, r.object_type, r.actor_label) for r in rows] == [
        ("view", "concerncategory", police_client.name)
    ]


def test_an_unencoded_plus_in_updated_since_is_read_as_meant(police_api):
    submit(police_api)
    response = police_api.http.get(
        "/api/v1/concerns/?updated_since=2020-01-01T00:00:00+00:00", headers=police_api.headers()
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


# Token (its last use written at most once a minute), throttle, the page and its count, the
# IRDs and registrations of the page's children (one query each, whatever the rows), and the
# audit rows with their chain head.
LIST_QUERIES = 12


def test_the_concern_list_costs_an_exact_number_of_queries_for_1_10_or_100_concerns(
    police_api, police_client, duty_team
):
    """Issue 16: the IRD hook ran once per row (2 concerns cost 24 queries, 10 cost 40).
    Issue 14: and each concern listed wrote its audit row in a statement of its own. Every
    concern here has an IRD its agency takes part in."""
    import math

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals.models import AuditEntry
    from tests.api.test_access_matrix import ird_about
    from tests.factories import AgencyFactory

    health = AgencyFactory(code="health")

    def listed(count: int) -> tuple[int, int, int]:
        for _ in range(count):
            concern = submit(police_api)
            ird_about(concern["id"], police_client.agency, health, duty_team)
        with CaptureQueriesContext(connection) as queries:
            response = police_api.get(CONCERNS, {"page_size": 100})
        assert response.status_code == 200
        audit_inserts = sum('INSERT INTO "referrals_auditentry"' in q["sql"] for q in queries)
        return len(queries) - audit_inserts, audit_inserts, len(response.json()["results"])

    shown = [listed(1), listed(9), listed(90)]

    assert [(queries, rows) for queries, _, rows in shown] == [
        (LIST_QUERIES, 1),
        (LIST_QUERIES, 10),
        (LIST_QUERIES, 100),
    ]
    # The page's audit rows go in one INSERT. SQLite caps a statement's parameters, so Django
    # splits a big batch there; PostgreSQL takes all 100 at once.
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]
    batch = connection.ops.bulk_batch_size(fields, [None] * 100)
    assert [inserts for _, inserts, _ in shown] == [1, 1, math.ceil(100 / batch)]


def test_each_concern_listed_has_its_own_audit_row_written_in_one_statement(police_api):
    """Issue 14: a page of 50 wrote 50 audit INSERTs; still one row per concern shown (so "who
    saw this child" lists each), now in one INSERT with one place taken in the hash chain."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals import audit_chain
    from referrals.models import AuditEntry

    ids = {submit(police_api)["id"] for _ in range(3)}
    with CaptureQueriesContext(connection) as queries:
        assert police_api.get(CONCERNS).status_code == 200

    inserts = [q for q in queries if 'INSERT INTO "referrals_auditentry"' in q["sql"]]
    assert len(inserts) == 1
    listed = AuditEntry.objects.filter(action="view", detail__list=True)
    assert set(listed.values_list("object_id", flat=True)) == ids
    assert audit_chain.verify().intact
