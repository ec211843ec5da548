"""Issue 15, observability: one log line per request and per task, with the request id and
never a child's details; Prometheus metrics at /metrics for allowed callers only."""

import json
import logging
import sys

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from referrals import metrics, request_log
from referrals.models import Role
from referrals.request_context import RequestContext, RequestIdLogFilter, current
from tests.factories import PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="referrals.requests")
    caplog.set_level(logging.INFO, logger="referrals.tasks")
    return caplog


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "referrals.requests"]


def test_a_request_logs_one_line_with_its_route_status_queries_and_who(lines, client):
    worker = StaffFactory(role=Role.SOCIAL_WORKER)
    client.force_login(worker)

    response = client.get("/search/")

    [line] = request_lines(lines)
    assert (line.method, line.route, line.status, line.user_id) == (
        "GET",
        "search/",
        200,
        worker.pk,
    )
    assert line.queries > 0 and line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert line.getMessage().startswith("GET search/ 200 ")


def test_no_name_or_chi_reaches_the_logs_from_a_search_or_the_admin(lines, client):
    """An admin search put the searched name in the access log's URL; the search page posts it."""
    child = PersonFactory(first_name="Morven", last_name="Abernethy", chi_number="0101101234")
    admin = StaffFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    lines.set_level(logging.DEBUG)

    client.get("/admin/referrals/person/", {"q": f"{child.last_name} {child.chi_number}"})
    client.post("/search/", {"query": child.last_name, "date_of_birth": ""})

    formatter = logging.Formatter("%(message)s %(args)s")
    written = " ".join(
        formatter.format(record) + json.dumps(vars(record), default=str) for record in lines.records
    )
    assert request_lines(lines)
    for detail in (child.first_name, child.last_name, child.chi_number):
        assert detail not in written


def test_json_lines_carry_the_request_id_and_the_line_s_fields():
    formatter = _configured_formatter("json")
    record = logging.LogRecord(
        "referrals.requests", logging.INFO, __file__, 1, "GET %s", ("x/",), None
    )
    record.route, record.status = "x/", 200
    token = current.set(RequestContext("abc123", None, "/x/"))
    try:
        RequestIdLogFilter().filter(record)
    finally:
        current.reset(token)

    line = json.loads(formatter.format(record))

    assert line["request_id"] == "abc123" and line["message"] == "GET x/"
    assert (line["level"], line["logger"], line["route"], line["status"]) == (
        "INFO",
        "referrals.requests",
        "x/",
        200,
    )


def _configured_formatter(name: str) -> logging.Formatter:
    config = dict(settings.LOGGING["formatters"][name])
    factory = config.pop("()")
    module, _, attribute = factory.rpartition(".")
    cls = getattr(__import__(module, fromlist=[attribute]), attribute)
    return cls(config.pop("format"), **config)


def test_a_task_queued_by_a_request_carries_its_request_id():
    headers: dict = {}
    token = current.set(RequestContext("req-42", None, "/x/"))
    try:
        request_log._carry_request_id(headers=headers)
    finally:
        current.reset(token)

    assert headers == {"request_id": "req-42"}


def test_a_task_logs_its_line_under_the_request_id_and_audits_under_it(lines):
    from referrals.tasks import export_audit_head

    token = current.set(RequestContext("req-7", None, "/x/"))
    try:
        export_audit_head.delay()
    finally:
        current.reset(token)

    [line] = [r for r in lines.records if r.name == "referrals.tasks"]
    assert (line.task, line.state, line.request_id) == (
        "referrals.tasks.export_audit_head",
        "SUCCESS",
        "req-7",
    )


# --- /metrics -------------------------------------------------------------------------------


def test_metrics_are_served_to_an_allowed_address(client, social_worker):
    from referrals import deadlines
    from tests.factories import make_referral

    make_referral(team=social_worker.team, received_by=social_worker)
    deadlines.sweep()

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'referrals_deadlines_overdue{step="screening"} 0.0' in body
    for name in (
        "referrals_deadlines_overdue",
        "referrals_webhooks_pending",
        "referrals_broker_up",
        "referrals_audit_rows_written_total",
        "referrals_deadline_sweep_seconds",
        "django_http_requests_latency_seconds_by_view_method",
    ):
        assert name in body, name


def test_metrics_are_hidden_from_others_unless_they_bring_the_token(client, settings):
    settings.METRICS_TOKEN = "t" * 40

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong"
        ).status_code
        == 404
    )
    allowed = client.get(
        "/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"Bearer {'t' * 40}"
    )
    assert allowed.status_code == 200


def test_failed_sign_ins_are_counted():
    before = metrics.LOGIN_FAILURES._value.get()

    authenticate(RequestFactory().post("/login/"), username="nobody", password="wrong")

    assert metrics.LOGIN_FAILURES._value.get() == before + 1


def test_a_refused_request_is_logged_without_its_exception_s_words():
    """A 403's exception named the manager to ask ("ask Carolyn Brown to reallocate it")."""
    from referrals.request_context import ClientErrorWithoutTraceback

    try:
        raise PermissionDenied("ask Carolyn Brown to reallocate it")
    except PermissionDenied:
        refused = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden", (), sys.exc_info()
        )
        failed = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Server error", (), sys.exc_info()
        )
    for record in (refused, failed):
        ClientErrorWithoutTraceback().filter(record)

    assert "Carolyn" not in logging.Formatter().format(refused)
    assert failed.exc_info is not None  # a server error keeps its traceback
