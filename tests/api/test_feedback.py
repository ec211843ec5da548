"""Practice hub feedback: given through the core service (hub/ calls it), read and acknowledged
by the partner that submitted the concern."""

import pytest

from referrals.api.models import WebhookEvent
from referrals.models import AuditEntry, Notification, Referral, ReferralFeedback, Role
from referrals.services.feedback import FeedbackRefused, feedback_acknowledge, feedback_give
from tests.api.conftest import CONCERNS, concern_body
from tests.factories import StaffFactory, make_referral

pytestmark = pytest.mark.django_db

SCORES = [
    {"criterion": "identifiers", "label": "Full identifiers", "score": 5},
    {"criterion": "risk_analysis", "label": "Risk analysis", "score": 3},
]


@pytest.fixture
def reviewer(hub_reviewer):
    return hub_reviewer


@pytest.fixture
def concern(police_api):
    response = police_api.submit(concern_body())
    assert response.status_code == 201
    return response.json()


def give(referral_id, reviewer, **kwargs):
    return feedback_give(
        referral=Referral.objects.get(pk=referral_id),
        given_by=reviewer,
        scores=kwargs.pop("scores", SCORES),
        supported_by=kwargs.pop("supported_by", ["Clear account of what was seen"]),
        barriers=kwargs.pop("barriers", ["Child's views not recorded"]),
        comments=kwargs.pop("comments", "A clear referral."),
    )


# --- The service --------------------------------------------------------------------------------


def test_feedback_reaches_the_team_managers_and_whoever_received_it(
    duty_team, reviewer, duty_manager, duty_worker
):
    referral = make_referral(team=duty_team, received_by=duty_worker)

    feedback = give(referral.pk, reviewer)

    assert feedback.scores == SCORES
    recipients = set(
        Notification.objects.filter(
            referral=referral, title__startswith=("Practice hub feedback")
        ).values_list("recipient", flat=True)
    )
    assert recipients == {duty_manager.pk, duty_worker.pk}
    row = AuditEntry.objects.filter(object_type="referralfeedback").get()
    assert (row.action, row.actor_id) == ("create", reviewer.pk)
    assert not WebhookEvent.objects.exists(), "not a partner's concern: no event"


@pytest.mark.parametrize(
    "scores",
    [
        [],
        "5",
        [{"criterion": "x", "label": "X", "score": 7}],
        [{"criterion": "x", "label": "X", "score": 0}],
        [{"criterion": "x", "label": "X", "score": True}],
        [{"criterion": "x", "label": "X", "score": "5"}],
        [{"criterion": "", "label": "X", "score": 5}],
        [{"label": "X", "score": 5}],
    ],
)
def test_scores_are_one_to_six_with_criterion_and_label(duty_team, reviewer, scores):
    referral = make_referral(team=duty_team)
    with pytest.raises(FeedbackRefused):
        give(referral.pk, reviewer, scores=scores)
    assert not ReferralFeedback.objects.exists()


def test_feedback_on_a_partners_concern_is_an_event(concern, reviewer):
    feedback = give(concern["id"], reviewer)

    event = WebhookEvent.objects.get(event_type="concern.feedback_given")
    assert event.payload["data"]["feedback"]["id"] == str(feedback.pk)
    assert event.payload["data"]["concern"]["id"] == concern["id"]


def test_acknowledging_is_idempotent(duty_team, reviewer, duty_worker):
    feedback = give(make_referral(team=duty_team).pk, reviewer)

    first = feedback_acknowledge(feedback=feedback, by=duty_worker)
    again = feedback_acknowledge(feedback=feedback, by=StaffFactory(role=Role.TEAM_MANAGER))

    assert first.acknowledged_at == again.acknowledged_at
    assert again.acknowledged_by_label == duty_worker.username
    assert again.acknowledged_by_staff == duty_worker


# --- The API ----------------------------------------------------------------------------------


def test_the_partner_reads_its_feedback_newest_first(police_api, concern, reviewer):
    older = give(concern["id"], reviewer, comments="First")
    newer = give(concern["id"], reviewer, comments="Second")

    response = police_api.get(f"{CONCERNS}{concern['id']}/feedback/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [str(newer.pk), str(older.pk)]
    item = body["results"][1]
    assert set(item) == {
        "id",
        "given_at",
        "scores",
        "supported_by",
        "barriers",
        "comments",
        "acknowledged_at",
        "acknowledged_by",
    }
    assert item["scores"] == SCORES
    assert item["supported_by"] == ["Clear account of what was seen"]
    assert item["acknowledged_at"] is None and item["acknowledged_by"] is None
    assert police_api.get(f"{CONCERNS}{concern['id']}/").json()["feedback_count"] == 2


def test_reading_feedback_is_audited(police_api, police_client, concern, reviewer):
    give(concern["id"], reviewer)
    before = AuditEntry.objects.count()

    police_api.get(f"{CONCERNS}{concern['id']}/feedback/")

    rows = list(AuditEntry.objects.order_by("id")[before:])
    assert [(r.action, r.object_id, r.actor_label) for r in rows] == [
        ("view", concern["id"], police_client.name)
    ]


def test_acknowledging_records_the_client_and_is_idempotent(
    police_api, police_client, concern, reviewer
):
    feedback = give(concern["id"], reviewer)
    url = f"{CONCERNS}{concern['id']}/feedback/{feedback.pk}/acknowledge/"
    before = AuditEntry.objects.count()

    first = police_api.post(url, key=None, content_type="")
    again = police_api.post(url, {}, key=None)

    assert first.status_code == again.status_code == 200
    assert first.json()["acknowledged_by"] == police_client.name
    assert first.json()["acknowledged_at"] == again.json()["acknowledged_at"]
    feedback.refresh_from_db()
    assert feedback.acknowledged_by_label == police_client.name
    assert feedback.acknowledged_by_staff is None
    rows = AuditEntry.objects.order_by("id")[before:]
    assert [(r.action, r.actor_label) for r in rows] == [
        ("change", police_client.name),
        ("view", police_client.name),
    ]


def test_acknowledge_with_a_non_json_body_is_415(police_api, concern, reviewer):
    feedback = give(concern["id"], reviewer)
    url = f"{CONCERNS}{concern['id']}/feedback/{feedback.pk}/acknowledge/"
    assert police_api.post(url, raw=b"ok", key=None, content_type="text/plain").status_code == 415


def test_another_agencys_feedback_is_404(health_api, concern, reviewer):
    feedback = give(concern["id"], reviewer)

    listing = health_api.get(f"{CONCERNS}{concern['id']}/feedback/")
    acknowledging = health_api.post(
        f"{CONCERNS}{concern['id']}/feedback/{feedback.pk}/acknowledge/", key=None, content_type=""
    )

    assert listing.status_code == acknowledging.status_code == 404
    feedback.refresh_from_db()
    assert feedback.acknowledged_at is None


def test_feedback_of_another_concern_is_404(police_api, concern, reviewer):
    other = police_api.submit(concern_body()).json()
    feedback = give(other["id"], reviewer)
    response = police_api.post(
        f"{CONCERNS}{concern['id']}/feedback/{feedback.pk}/acknowledge/", key=None, content_type=""
    )
    assert response.status_code == 404
