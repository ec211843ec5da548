"""Webhooks to a real HTTP receiver on loopback: signed, retried with backoff on failure, never
sent for a rolled-back change; and the events list a partner can catch up from."""

import hashlib
import hmac
import http.server
import json
import threading
import time
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from referrals.api import services, tasks, webhooks
from referrals.api.models import WebhookDelivery, WebhookEvent
from referrals.models import AuditEntry, Referral, Role, ScreeningDecision
from referrals.services import screening
from tests.api.conftest import PartnerClient, _token, concern_body
from tests.factories import StaffFactory, TeamFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers from a script."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": self.rfile.read(length)}
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/concerns"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hooked(police_client, receiver, duty_team):
    """The police client, with a webhook at the receiver and a signing secret."""
    police_client.webhook_url = receiver.url
    police_client.save()
    secret = services.webhook_secret_generate(client=police_client)
    return PartnerClient(_token(police_client)), secret


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a partner runs (README, "For partner developers")."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) < tolerance


def propose(referral_id, worker) -> ScreeningDecision:
    return screening.screening_propose(
        referral=Referral.objects.get(pk=referral_id),
        proposed_by=worker,
        outcome=ScreeningDecision.Outcome.SUPPORT,
        reasons="Support via the child's plan.",
        risk_analysis="Low.",
        needs_analysis="Food.",
        cumulative_harm_analysis="None.",
    )


def test_a_status_change_is_posted_signed_to_the_webhook(
    hooked, receiver, duty_worker, django_capture_on_commit_callbacks
):
    api, secret = hooked
    concern = api.submit(concern_body()).json()

    with django_capture_on_commit_callbacks() as queued:
        propose(concern["id"], duty_worker)
    assert len(queued) == 1, "delivery is queued only after commit"
    event = WebhookEvent.objects.get()
    assert receiver.requests == []

    tasks.deliver_webhook.apply(args=[str(event.pk)])

    [request] = receiver.requests
    assert verify(secret, request["headers"]["Webhook-Signature"], request["body"])
    assert not verify("wrong-secret", request["headers"]["Webhook-Signature"], request["body"])
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Webhook-Id"] == str(event.pk)
    payload = json.loads(request["body"])
    assert payload["type"] == "concern.status_changed"
    assert payload["data"]["concern"] == {
        "id": concern["id"],
        "reference": concern["reference"],
        "external_reference": concern["external_reference"],
        "status": "screening",
        "decision": None,
        "updated_at": payload["data"]["concern"]["updated_at"],
    }
    assert "first_name" not in request["body"].decode(), "events carry no personal details"
    event.refresh_from_db()
    assert event.delivered_at is not None and event.attempts == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status_code == 200 and delivery.succeeded


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(hooked, receiver, duty_worker):
    api, secret = hooked
    concern = api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    event = WebhookEvent.objects.get()
    receiver.answers = [500, 503, 200]
    countdowns = []
    original_retry = tasks.deliver_webhook.retry

    def retry(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original_retry(*args, **kwargs)

    with mock.patch.object(tasks.deliver_webhook, "retry", side_effect=retry):
        tasks.deliver_webhook.apply(args=[str(event.pk)])

    assert len(receiver.requests) == 3
    assert all(
        verify(secret, r["headers"]["Webhook-Signature"], r["body"]) for r in receiver.requests
    )
    assert [d.status_code for d in WebhookDelivery.objects.order_by("attempted_at", "id")] == [
        500,
        503,
        200,
    ]
    event.refresh_from_db()
    assert event.delivered_at is not None and event.attempts == 3
    # Exponential backoff (jittered): at most 30 s, then at most 60 s; never past 10 minutes.
    assert len(countdowns) == 2
    assert 0 <= countdowns[0] <= 30 and 0 <= countdowns[1] <= 60
    assert tasks.deliver_webhook.retry_backoff_max == 600


def test_a_receiver_that_never_answers_2xx_is_given_up_after_the_limit(
    hooked, receiver, duty_worker
):
    api, _ = hooked
    concern = api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    event = WebhookEvent.objects.get()
    receiver.answers = [500] * 20

    for _ in range(webhooks.MAX_ATTEMPTS + 3):
        webhooks.webhook_deliver(event_id=event.pk)

    event.refresh_from_db()
    assert event.attempts == webhooks.MAX_ATTEMPTS and event.gave_up_at is not None
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_a_delivered_event_is_not_sent_twice(hooked, receiver, duty_worker):
    api, _ = hooked
    concern = api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    event = WebhookEvent.objects.get()

    assert webhooks.webhook_deliver(event_id=event.pk)
    assert webhooks.webhook_deliver(event_id=event.pk)

    assert len(receiver.requests) == 1


def test_nothing_is_queued_for_a_rolled_back_change(
    hooked, receiver, duty_worker, django_capture_on_commit_callbacks
):
    api, _ = hooked
    concern = api.submit(concern_body()).json()

    with django_capture_on_commit_callbacks() as queued:
        with pytest.raises(RuntimeError), transaction.atomic():
            propose(concern["id"], duty_worker)
            raise RuntimeError("something later in the same transaction failed")

    assert queued == []
    assert not WebhookEvent.objects.exists()
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://partner.example.org/hooks", True),
        ("http://partner.example.org/hooks", False),
        ("http://10.0.0.5/hooks", False),
        ("ftp://127.0.0.1/hooks", False),
        ("https://user:pass@partner.example.org/hooks", False),
        ("http://127.0.0.1:9/hooks", True),  # loopback, allowed by the test settings
        ("http://[::1]:9/hooks", True),
    ],
)
def test_webhooks_go_to_https_only_except_loopback_in_development(url, allowed):
    assert (webhooks.url_refusal(url) == "") is allowed


def test_plain_http_loopback_is_refused_unless_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = False
    settings.DEBUG = False
    assert webhooks.url_refusal("http://127.0.0.1:8080/hooks")
    settings.DEBUG = True
    assert webhooks.url_refusal("http://127.0.0.1:8080/hooks") == ""


def test_a_refused_address_is_logged_and_not_retried(police_client, duty_team, duty_worker):
    police_client.webhook_url = "http://partner.example.org/hooks"
    police_client.save()
    concern = PartnerClient(_token(police_client)).submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    event = WebhookEvent.objects.get()

    assert webhooks.webhook_deliver(event_id=event.pk) is True

    event.refresh_from_db()
    assert event.gave_up_at is not None
    assert "https" in WebhookDelivery.objects.get().error


def test_screening_tells_the_partner_each_change_once(police_api, duty_worker, duty_manager):
    concern = police_api.submit(concern_body()).json()
    referral_id = concern["id"]

    decision = propose(referral_id, duty_worker)
    screening.screening_return(decision=decision, returned_by=duty_manager, comment="More.")
    decision = propose(referral_id, duty_worker)  # still screening: no second event
    screening.screening_approve(decision=decision, approved_by=duty_manager)
    screening.referral_close(
        referral=Referral.objects.get(pk=referral_id),
        closed_by=duty_worker,
        reason="Support in place.",
    )

    events = [
        (e.event_type, e.payload["data"]["concern"]["status"])
        for e in WebhookEvent.objects.order_by("created_at", "id")
    ]
    assert events == [
        ("concern.status_changed", "screening"),
        ("concern.status_changed", "decided"),
        ("concern.decision_approved", "decided"),
        ("concern.status_changed", "closed"),
    ]
    approved = WebhookEvent.objects.get(event_type="concern.decision_approved")
    assert approved.payload["data"]["concern"]["decision"]["code"] == "support"


def test_events_list_for_catching_up(police_api, police_client, health_api, duty_worker):
    concern = police_api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    first = WebhookEvent.objects.get()
    health_api.submit(concern_body())
    before = AuditEntry.objects.count()

    response = police_api.get("/api/v1/events/")

    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["results"]] == [str(first.pk)]
    assert body["results"][0]["type"] == "concern.status_changed"
    assert body["results"][0]["data"]["concern"]["id"] == concern["id"]
    assert AuditEntry.objects.order_by("id")[before:].get().actor_label == police_client.name
    later = police_api.get("/api/v1/events/", {"since": first.created_at.isoformat()})
    assert later.json()["results"] == []
    assert health_api.get("/api/v1/events/").json()["results"] == []
    assert (
        police_api.get("/api/v1/events/", {"type": "concern.feedback_given"}).json()["results"]
        == []
    )
    assert police_api.get("/api/v1/events/", {"since": "last week"}).status_code == 400
    assert police_api.get("/api/v1/events/", {"type": "concern.eaten"}).status_code == 400


def test_undelivered_events_are_queued_again_by_the_sweep(hooked, receiver, duty_worker):
    api, _ = hooked
    concern = api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    WebhookEvent.objects.update(created_at=timezone.now() - timezone.timedelta(hours=1))

    with mock.patch.object(tasks.deliver_webhook, "apply_async") as delay:
        assert webhooks.redeliver_pending() == 1

    delay.assert_called_once_with(args=(str(WebhookEvent.objects.get().pk),), retry=False)


@pytest.mark.django_db(transaction=True)
def test_end_to_end_after_a_real_commit(
    receiver, police, social_work, _audit_log_flushable_api, monkeypatch
):
    """No captured callbacks: real transactions commit, the task runs (eagerly, in-process),
    the receiver gets the POST; a rolled-back change sends nothing."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    team = TeamFactory(agency=social_work, receives_partner_concerns=True)
    worker = StaffFactory(role=Role.SOCIAL_WORKER, team=team)
    client = services.client_create(
        name="Police webhook e2e", agency=police, webhook_url=receiver.url
    )
    secret = services.webhook_secret_generate(client=client)
    api = PartnerClient(_token(client), address="192.0.2.77")
    concern = api.submit(concern_body()).json()

    with pytest.raises(RuntimeError), transaction.atomic():
        propose(concern["id"], worker)
        raise RuntimeError("rolled back")
    assert receiver.requests == []

    propose(concern["id"], worker)

    [request] = receiver.requests
    assert verify(secret, request["headers"]["Webhook-Signature"], request["body"])
    assert json.loads(request["body"])["data"]["concern"]["status"] == "screening"


def test_a_delivered_event_is_audited_with_the_webhook_route_s_lawful_basis(
    hooked, receiver, duty_worker
):
    api, _ = hooked
    concern = api.submit(concern_body()).json()
    propose(concern["id"], duty_worker)
    event = WebhookEvent.objects.get()

    tasks.deliver_webhook.apply(args=[str(event.pk)])

    row = AuditEntry.objects.get(object_id=concern["id"], action="export")
    assert row.detail == {
        "via": "webhook",
        "event": str(event.pk),
        "share_route": "api_webhook",
        "lawful_basis": "public_task",
        "condition": "none",
    }
