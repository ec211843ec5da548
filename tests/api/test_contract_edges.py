"""Issue 15, the partner contract: the docs page opens for a token asking for HTML, and a body
sent chunked (no Content-Length) is read, or refused with 413 when over 1 MiB."""

import json
import re
import uuid
from io import BytesIO

import pytest

from referrals.models import Referral
from tests.api.conftest import CONCERNS, concern_body

pytestmark = pytest.mark.django_db


def test_a_token_asking_for_html_gets_the_docs_page(police_api):
    response = police_api.get("/api/docs/", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def chunked(api, raw: bytes):
    """A POST whose body arrives chunked: no Content-Length, Transfer-Encoding: chunked (the
    server has already undone the chunking, as gunicorn does)."""
    return api.http.generic(
        "POST",
        CONCERNS,
        b"",
        content_type="application/json",
        headers=api.headers({"Idempotency-Key": str(uuid.uuid4())}),
        **{
            "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "application/json",
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": BytesIO(raw),  # what the server gives, the chunking undone
        },
    )


def test_a_chunked_concern_is_read_like_any_other(police_api):
    response = chunked(police_api, json.dumps(concern_body()).encode())

    assert response.status_code == 201, response.content
    assert Referral.objects.count() == 1


def test_a_chunked_body_over_one_mebibyte_is_413(police_api):
    body = concern_body(summary="x" * (1024 * 1024 + 10))

    response = chunked(police_api, json.dumps(body).encode())

    assert response.status_code == 413
    assert response.json()["detail"]
    assert Referral.objects.count() == 0


def test_the_served_openapi_document_is_valid(police_api):
    """It declared `format: email` with a default of "" (not an e-mail address)."""
    from openapi_spec_validator import validate  # noqa: PLC0415

    document = police_api.get("/api/schema/", headers={"Accept": "application/json"}).json()

    validate(document)
    referrer = document["components"]["schemas"]["ReferrerInRequest"]["properties"]["email"]
    assert referrer.get("default") != ""


def test_the_schema_states_the_page_limits_the_api_enforces(police_api):
    """Issue 15: page_size had no minimum in the schema, yet 0 was refused with 400."""
    document = police_api.get("/api/schema/", headers={"Accept": "application/json"}).json()
    listing = document["paths"]["/api/v1/concerns/"]["get"]["parameters"]
    schemas = {p["name"]: p["schema"] for p in listing if p["in"] == "query"}

    assert (schemas["page_size"]["minimum"], schemas["page_size"]["maximum"]) == (1, 100)
    assert (schemas["page"]["minimum"], schemas["page"]["maximum"]) == (1, 1_000_000)
    assert police_api.get(CONCERNS, {"page_size": 0}).status_code == 400
    assert police_api.get(CONCERNS, {"page_size": 100}).status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        (CONCERNS, "page"),
        (CONCERNS, "page_size"),
        (CONCERNS, "updated_since"),
        (CONCERNS, "status"),
        ("/api/v1/events/", "since"),
        ("/api/v1/events/", "type"),
        ("/api/v1/categories/", "page"),
    ],
)
def test_an_empty_query_parameter_is_refused_naming_it(police_api, path, parameter):
    """Schemathesis with every check: `?page=` and `?updated_since=` were read as absent (200),
    where the schema says each must be a value."""
    response = police_api.get(f"{path}?{parameter}=")

    assert response.status_code == 400, response.content
    assert parameter in response.json()["errors"]


def test_the_schema_states_what_the_api_enforces_on_dates_and_action_updates(police_api):
    """Schemathesis with every check: a date in 7425 matched the schema and was refused; an
    action PATCH with an empty body or none matched it and was refused; the documented
    example of an unborn baby was due on a date now past, so the example itself was refused."""
    document = police_api.get("/api/schema/", headers={"Accept": "application/json"}).json()
    events = {
        p["name"]: p["schema"] for p in document["paths"]["/api/v1/events/"]["get"]["parameters"]
    }
    patch = document["paths"]["/api/v1/irds/{ird_id}/actions/{action_id}/"]["patch"]
    body = document["components"]["schemas"]["PatchedIrdActionPatchInRequest"]
    example = document["paths"]["/api/v1/concerns/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]

    assert re.fullmatch(events["since"]["pattern"], "2026-03-01T14:30:00Z")
    assert not re.fullmatch(events["since"]["pattern"], "7425-03-01T14:30:00Z")
    assert patch["requestBody"]["required"] is True and body["minProperties"] == 1
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert re.fullmatch(if_match["schema"]["pattern"], '"3"')
    for documented in example.values():
        response = police_api.submit(documented["value"])
        assert response.status_code == 201, response.json()
