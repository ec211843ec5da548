"""The OpenAPI schema (valid, complete, authenticated) and the Swagger UI page (assets from the
application, working under the site's CSP)."""

import io
import os
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from referrals.api import services
from tests.api.conftest import PartnerClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(police_api):
    response = police_api.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_the_schema_is_for_tokens_and_staff_only(anonymous_api):
    response = anonymous_api.get("/api/schema/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_every_operation_is_documented_with_bearer_auth_and_its_errors(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operations = {
        (path, method): op for path, item in schema["paths"].items() for method, op in item.items()
    }
    assert set(operations) == {
        ("/api/v1/concerns/", "get"),
        ("/api/v1/concerns/", "post"),
        ("/api/v1/concerns/{concern_id}/", "get"),
        ("/api/v1/concerns/{concern_id}/feedback/", "get"),
        ("/api/v1/concerns/{concern_id}/feedback/{feedback_id}/acknowledge/", "post"),
        ("/api/v1/concerns/{concern_id}/emergency-measures/", "get"),
        ("/api/v1/concerns/{concern_id}/emergency-measures/", "post"),
        ("/api/v1/concerns/{concern_id}/emergency-measures/{measure_id}/", "get"),
        ("/api/v1/concerns/{concern_id}/emergency-measures/{measure_id}/reporter-told/", "post"),
        ("/api/v1/categories/", "get"),
        ("/api/v1/events/", "get"),
        ("/api/v1/irds/", "get"),
        ("/api/v1/irds/{ird_id}/", "get"),
        ("/api/v1/irds/{ird_id}/actions/{action_id}/", "get"),
        ("/api/v1/irds/{ird_id}/actions/{action_id}/", "patch"),
    }
    for (path, method), operation in operations.items():
        assert operation["security"] == [{"bearerAuth": []}], path
        responses = operation["responses"]
        for code in ("401", "403", "429"):
            assert code in responses, (path, method, code)
            assert responses[code]["content"]["application/json"]["examples"], (path, code)
        assert responses["401"]["headers"]["WWW-Authenticate"]
        assert responses["429"]["headers"]["Retry-After"]
        creates = path in {"/api/v1/concerns/", "/api/v1/concerns/{concern_id}/emergency-measures/"}
        success = "201" if creates and method == "post" else "200"
        assert success in responses
        for code, response in responses.items():
            assert response["content"]["application/json"]["examples"], (path, method, code)
        if "{concern_id}" in path:
            assert "404" in responses


def test_submitting_documents_the_idempotency_key_and_every_outcome(schema):
    submit = schema["paths"]["/api/v1/concerns/"]["post"]
    [key] = [p for p in submit["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
    assert key["schema"]["pattern"]
    assert set(submit["responses"]) >= {
        "201",
        "400",
        "401",
        "403",
        "409",
        "413",
        "415",
        "422",
        "429",
    }
    created = submit["responses"]["201"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(created)
    assert submit["requestBody"]["content"]["application/json"]["examples"]
    body = schema["components"]["schemas"]["ConcernInRequest"]
    assert set(body["required"]) == {
        "external_reference",
        "referrer",
        "categories",
        "summary",
        "immediate_risk",
        "children",
    }
    assert body["properties"]["children"]["maxItems"] == 20
    assert body["properties"]["children"]["minItems"] == 1
    assert body["properties"]["adults"]["maxItems"] == 20
    assert body["properties"]["summary"]["maxLength"] == 20000
    assert body["properties"]["external_reference"]["maxLength"] == 64
    child = schema["components"]["schemas"]["ChildInRequest"]
    assert child["properties"]["sex"]["allOf"][0]["$ref"].endswith("SexEnum")


def test_recording_an_emergency_measure_is_documented_like_submitting(schema):
    record = schema["paths"]["/api/v1/concerns/{concern_id}/emergency-measures/"]["post"]
    [key] = [p for p in record["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["required"] is True and key["schema"]["pattern"]
    assert set(record["responses"]) >= {"201", "400", "404", "409", "413", "415", "422"}
    assert {"Location", "Idempotent-Replayed"} <= set(record["responses"]["201"]["headers"])
    assert record["requestBody"]["content"]["application/json"]["examples"]
    body = schema["components"]["schemas"]["EmergencyMeasureInRequest"]
    assert set(body["required"]) == {"child", "kind", "granted_at", "starts_at", "reason"}
    assert body["properties"]["reason"]["maxLength"] == 4000
    kinds = schema["components"]["schemas"]["KindEnum"]["enum"]
    assert "police_removal" in kinds and "s25_accommodation" in kinds


def test_list_filters_are_documented(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/concerns/"]["get"]["parameters"]}
    assert set(parameters) == {"status", "external_reference", "updated_since", "page", "page_size"}
    assert "received" in parameters["status"]["schema"]["enum"]
    assert parameters["updated_since"]["schema"]["format"] == "date-time"


def test_staff_and_tokens_open_the_docs_page_served_under_the_site_csp(police_api):
    response = police_api.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<style" not in html and "<script>" not in html, "no inline script or style"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    script = police_api.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_swagger_ui_assets_are_served_by_the_application(client):
    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.django_db(transaction=True)
def test_the_docs_page_renders_in_a_browser_without_csp_violations(
    live_server, police, social_work, _audit_log_flushable_api, monkeypatch
):
    """Swagger UI, signed in as staff: it loads the schema and lists every operation, and the
    browser reports no blocked script, style or request."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing; CI must run this test")
        pytest.skip("chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; only for this test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from playwright.sync_api import sync_playwright

    from referrals import second_factor
    from tests.conftest import TEST_TOTP_KEY
    from tests.factories import StaffFactory

    staff = StaffFactory(team=None, agency=social_work)
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session["_auth_user_backend"] = "referrals.roles.RolePermissionBackend"
    session["_auth_user_hash"] = staff.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = second_factor.enrol_with_key(
        staff, TEST_TOTP_KEY
    ).persistent_id
    session.create()
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context()
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector("text=Submit a concern", timeout=60_000)  # a busy CI machine
        text = page.inner_text("body")
        browser.close()
    assert "Child welfare referrals: partner API" in text
    assert "/api/v1/concerns/{concern_id}/feedback/" in text
    assert not problems, problems


def test_the_token_command_output_can_open_the_schema(police_client, duty_team):
    raw = services.token_issue(client=police_client)[1]
    assert PartnerClient(raw).get("/api/schema/").status_code == 200
