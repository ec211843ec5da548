"""Issue 15: with the broker down, queueing a task never holds a page or a sweep. One publish is
tried, without Celery's retries; after a failure the process stops trying for a while; the work
stays recorded in the database and the periodic jobs queue it again."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from referrals import deadlines, queueing, tasks
from referrals.models import DeadlineAlert, Notification, Timescale


def test_a_publish_is_tried_once_without_celery_s_retries():
    with mock.patch.object(tasks.send_notification_email, "apply_async") as publish:
        assert queueing.enqueue(tasks.send_notification_email, "n-1") is True

    publish.assert_called_once_with(args=("n-1",), retry=False)


def test_after_a_failure_the_broker_is_left_alone_for_a_while():
    down = OperationalError("connection refused")
    with mock.patch.object(
        tasks.send_notification_email, "apply_async", side_effect=down
    ) as publish:
        results = [queueing.enqueue(tasks.send_notification_email, str(n)) for n in range(90)]

    assert results == [False] * 90
    assert publish.call_count == 1  # not 90 waits for a broker that is down

    queueing.broker_recovered()
    with mock.patch.object(tasks.send_notification_email, "apply_async") as publish:
        assert queueing.enqueue(tasks.send_notification_email, "n-2") is True
    assert publish.call_count == 1


@pytest.mark.django_db
def test_a_sweep_with_the_broker_down_raises_every_alert_and_the_next_one_sends_them(
    social_worker, django_capture_on_commit_callbacks
):
    """Alerts and notifications are written; their e-mails wait for a sweep that can queue."""
    Timescale.objects.create(kind="test_hourly", label="Test step", amount=10, unit="hours")
    start = timezone.now() - timedelta(days=1)
    for n in range(5):
        deadlines.deadline_open(
            kind="test_hourly",
            subject_type="test",
            subject_id=str(n),
            url="/x/",
            starts_at=start,
            owner=social_worker,
            team=social_worker.team,
        )
    moment = timezone.now()
    down = OperationalError("connection refused")
    alerts = mock.patch.object(tasks.send_deadline_alert_email, "apply_async", side_effect=down)
    notes = mock.patch.object(tasks.send_notification_email, "apply_async", side_effect=down)
    with alerts as alert_publish, notes as note_publish:
        with django_capture_on_commit_callbacks(execute=True):
            deadlines.sweep(now=moment)

    assert alert_publish.call_count + note_publish.call_count == 1  # then left alone

    assert DeadlineAlert.objects.filter(emailed_at__isnull=True).count() >= 5
    assert not mail.outbox

    queueing.broker_recovered()
    deadlines.sweep(now=timezone.now() + deadlines.EMAIL_RETRY_AFTER)

    assert DeadlineAlert.objects.filter(emailed_at__isnull=True).count() == 0
    assert mail.outbox
    assert Notification.objects.exists()
