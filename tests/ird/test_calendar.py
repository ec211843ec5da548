"""Calendar invitations: each invited person gets an e-mail with an iCalendar object (parsed
here with `icalendar`), sent by a task after commit. Rescheduling updates the same event (same
UID, higher SEQUENCE); cancelling sends METHOD:CANCEL."""

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from ird import calendar, services
from ird.models import CalendarMessage
from referrals.models import Person
from tests.ird.conftest import plan

pytestmark = pytest.mark.django_db


def calendar_parts(message) -> list:
    return [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]


def parse(ics: str):
    parsed = Calendar.from_ical(ics)
    [event] = parsed.walk("VEVENT")
    return parsed, event


def attendee_addresses(event) -> set[str]:
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return {str(address).removeprefix("mailto:") for address in attendees}


@pytest.fixture
def scheduled_and_sent(
    requested_ird, team_manager, chair, recorder, participants, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ird = services.ird_schedule(
            ird=requested_ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )
    return ird


def test_each_invited_person_gets_an_invitation_after_commit(
    requested_ird, team_manager, chair, recorder, participants, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        services.ird_schedule(
            ird=requested_ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits

    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in participants)
    assert CalendarMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_the_invitation_is_a_valid_request_for_the_ird(
    scheduled_and_sent, participants, team_manager
):
    ird = scheduled_and_sent
    message = next(m for m in mail.outbox if m.to == [participants[2].email])
    [part] = calendar_parts(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "ird.ics"

    parsed, event = parse(part.get_payload(decode=True))

    assert str(parsed["method"]) == "REQUEST"
    assert str(event["uid"]) == calendar.event_uid(ird)
    assert event["sequence"] == 0
    assert event.decoded("dtstart") == ird.scheduled_for.astimezone(UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
    assert ird.reference in str(event["summary"])
    assert str(event["status"]) == "CONFIRMED"
    assert attendee_addresses(event) == {p.email for p in participants}
    assert str(event["organizer"]) == f"mailto:{team_manager.email}"
    description = str(event["description"])
    assert ird.dial_in in description and ird.pin in description
    assert ird.meeting_id in description


def test_no_personal_details_leave_in_the_invitation(
    requested_ird, team_manager, chair, recorder, participants, django_capture_on_commit_callbacks
):
    child = requested_ird.referral.children.get()
    Person.objects.filter(pk=child.pk).update(first_name="Zebedee", last_name="Quixote")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ird_schedule(
            ird=requested_ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )

    assert mail.outbox
    for message in mail.outbox:
        for part in message.message().walk():
            if part.is_multipart():
                continue
            text = part.get_payload(decode=True).decode()
            assert "Zebedee" not in text and "Quixote" not in text


def test_rescheduling_updates_the_same_event_and_cancels_for_who_is_dropped(
    scheduled_and_sent,
    team_manager,
    chair,
    recorder,
    participants,
    django_capture_on_commit_callbacks,
):
    ird = scheduled_and_sent
    dropped = participants[3]  # education
    later = timezone.now() + timedelta(days=2)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ird = services.ird_schedule(
            ird=ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants[:3], when=later),
        )

    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {p.email for p in participants}
    updated = parse(calendar_parts(by_address[participants[2].email])[0].get_payload(decode=True))[
        1
    ]
    assert str(updated["uid"]) == calendar.event_uid(ird)
    assert updated["sequence"] == 1
    assert updated.decoded("dtstart") == later.astimezone(UTC).replace(second=0, microsecond=0)
    assert "Updated" in by_address[participants[2].email].subject

    [cancel_part] = calendar_parts(by_address[dropped.email])
    assert cancel_part.get_param("method") == "CANCEL"
    parsed, cancelled = parse(cancel_part.get_payload(decode=True))
    assert str(parsed["method"]) == "CANCEL"
    assert str(cancelled["uid"]) == calendar.event_uid(ird)
    assert cancelled["sequence"] == 1
    assert str(cancelled["status"]) == "CANCELLED"


def test_cancelling_the_ird_cancels_the_event_for_everyone(
    scheduled_and_sent, team_manager, participants, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ird = services.ird_cancel(
            ird=scheduled_and_sent, by=team_manager, reason="Family moved away."
        )

    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in participants)
    for message in mail.outbox:
        parsed, event = parse(calendar_parts(message)[0].get_payload(decode=True))
        assert str(parsed["method"]) == "CANCEL"
        assert str(event["status"]) == "CANCELLED"
        assert event["sequence"] == ird.calendar_sequence == 1
        assert str(event["uid"]) == calendar.event_uid(ird)
        assert message.subject.startswith("Cancelled")


def test_a_message_is_sent_once_however_often_the_task_runs(scheduled_and_sent):
    message = CalendarMessage.objects.first()
    mail.outbox.clear()
    services.calendar_message_send(message_id=message.pk)
    services.calendar_message_send(message_id=message.pk)
    assert mail.outbox == []  # it went out when the schedule committed


def test_messages_the_broker_lost_are_sent_by_the_periodic_resend(
    requested_ird, team_manager, chair, recorder, participants
):
    mail.outbox.clear()
    # No on-commit callbacks run here: as if the broker never got the tasks.
    services.ird_schedule(
        ird=requested_ird,
        by=team_manager,
        plan=plan(chair=chair, recorder=recorder, participants=participants),
    )
    assert mail.outbox == []

    assert services.calendar_resend_unsent(now=timezone.now()) == 0  # too early to tell
    queued = services.calendar_resend_unsent(now=timezone.now() + timedelta(minutes=6))

    assert queued == len(participants)
    assert len(mail.outbox) == len(participants)
    assert not CalendarMessage.objects.filter(sent_at__isnull=True).exists()


def test_the_invited_can_download_the_same_event(client, scheduled_and_sent, participants):
    client.force_login(participants[1])
    response = client.get(f"/ird/{scheduled_and_sent.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    parsed, event = parse(response.content)
    assert str(event["uid"]) == calendar.event_uid(scheduled_and_sent)
    assert event["sequence"] == scheduled_and_sent.calendar_sequence
