"""Practice hub feedback reaches an external referrer and their manager by e-mail, once, with a
signed link to read and acknowledge it without an account (issue 12)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from referrals import queueing, tasks
from referrals.models import AuditEntry, Referral, ReferralFeedback
from referrals.services import feedback as feedback_services
from tests.factories import make_referral

SCORES = [{"criterion": "clarity", "label": "Clear account of the concern", "score": 5}]


@pytest.fixture
def referral(duty_team, social_worker):
    referral = make_referral(team=duty_team, received_by=social_worker)
    Referral.objects.filter(pk=referral.pk).update(
        referrer_email="a.watt@school.example",
        referrer_manager_email="head@school.example",
        external_reference="SCH-77",
    )
    referral.refresh_from_db()
    return referral


def give(referral, reviewer, **extra) -> ReferralFeedback:
    return feedback_services.feedback_give(
        referral=referral, given_by=reviewer, scores=SCORES, comments="Well evidenced.", **extra
    )


def test_the_referrer_and_their_manager_are_e_mailed_once(
    referral, hub_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        feedback = give(referral, hub_reviewer)

    referrer_mail = [m for m in mail.outbox if "a.watt@school.example" in m.to]
    assert len(referrer_mail) == 1
    [message] = referrer_mail
    assert message.to == ["a.watt@school.example", "head@school.example"]
    assert message.subject == f"Feedback on your referral {referral.reference}"
    assert "your reference SCH-77" in message.body
    assert "/feedback/" in message.body
    child = referral.children.get()
    assert child.first_name not in message.body and child.last_name not in message.body
    feedback.refresh_from_db()
    assert feedback.referrer_emailed_at is not None

    tasks.send_referrer_feedback_email(str(feedback.pk))  # a redelivered task
    assert len([m for m in mail.outbox if "a.watt@school.example" in m.to]) == 1


def test_a_partner_system_hears_by_webhook_not_e_mail(referral, hub_reviewer):
    Referral.objects.filter(pk=referral.pk).update(channel=Referral.Channel.PARTNER_SYSTEM)
    referral.refresh_from_db()

    assert feedback_services.referrer_addresses(referral) == []


def test_no_address_no_e_mail(duty_team, social_worker, hub_reviewer):
    referral = make_referral(team=duty_team, received_by=social_worker)

    assert feedback_services.referrer_addresses(referral) == []


def test_an_e_mail_the_broker_did_not_take_is_sent_by_the_beat_job(
    referral, hub_reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.send_referrer_feedback_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = give(referral, hub_reviewer)
    assert not [m for m in mail.outbox if "a.watt@school.example" in m.to]
    monkeypatch.undo()
    queueing.broker_recovered()

    assert feedback_services.resend_unsent_referrer_email(now=timezone.now()) == 0  # too soon
    later = timezone.now() + timedelta(minutes=11)
    assert feedback_services.resend_unsent_referrer_email(now=later) == 1

    feedback.refresh_from_db()
    assert feedback.referrer_emailed_at is not None
    assert len([m for m in mail.outbox if "a.watt@school.example" in m.to]) == 1


def test_the_link_shows_the_feedback_and_acknowledges_it_only_on_post(
    client, referral, hub_reviewer
):
    feedback = give(referral, hub_reviewer)
    url = feedback_services.referrer_link(feedback)

    page = client.get(url)

    assert page.status_code == 200
    assert "Well evidenced." in page.content.decode()
    assert "Clear account of the concern" in page.content.decode()
    feedback.refresh_from_db()
    assert feedback.acknowledged_at is None  # a mail scanner opening the link changes nothing
    assert AuditEntry.objects.filter(
        object_id=str(feedback.pk), action="view", actor__isnull=True
    ).exists()

    done = client.post(url)

    assert done.status_code == 200
    assert "Feedback acknowledged" in done.content.decode()
    feedback.refresh_from_db()
    assert feedback.acknowledged_at is not None
    assert feedback.acknowledged_by_label == "the referrer (e-mail link)"


def test_a_forged_or_expired_link_is_404(client, referral, hub_reviewer, monkeypatch):
    feedback = give(referral, hub_reviewer)
    url = feedback_services.referrer_link(feedback)

    assert client.get(url[:-3] + "abc/").status_code == 404
    monkeypatch.setattr(feedback_services, "LINK_MAX_AGE", timedelta(seconds=-1))
    assert client.get(url).status_code == 404


def test_the_e_mail_to_the_referrer_is_audited_with_its_lawful_basis(
    referral, hub_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        feedback = give(referral, hub_reviewer)

    row = AuditEntry.objects.get(object_id=str(feedback.pk), detail__emailed_to_referrer=2)
    assert (row.detail["share_route"], row.detail["lawful_basis"]) == (
        "hub_feedback",
        "public_task",
    )
