"""Moving or cancelling a scheduled CPPM (issue 11): one calendar event per meeting (same UID,
SEQUENCE moved on, METHOD:CANCEL) to everyone invited after commit, the reason recorded,
audited, the version checked; the meeting's own deadlines close on cancellation while the
clock that asked for a CPPM stays open; who may schedule it moves it; every refusal saves
nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ird import cppm
from ird.errors import CppmRefused
from ird.models import CalendarMessage, Cppm
from referrals import deadlines
from referrals.errors import EditConflict, NotPermitted
from referrals.models import AuditEntry, ChronologyEntry, Deadline
from tests.ird.conftest import held_now, local, make_plan, outcome

pytestmark = pytest.mark.django_db
MOVE_REASON = "The police officer in the case is in court that day."


def event(message: CalendarMessage):
    calendar = Calendar.from_ical(message.ics)
    return calendar, next(iter(calendar.walk("VEVENT")))


def cppm_deadline(meeting: Cppm) -> Deadline:
    return Deadline.objects.get(
        timescale__kind="cppm", subject_type="referral", subject_id=str(meeting.referral_id)
    )


# --- Moving --------------------------------------------------------------------------------


def test_moving_sends_the_same_event_at_the_next_sequence_to_everyone_after_commit(
    meeting, team_manager, django_capture_on_commit_callbacks, mailoutbox
):
    first = CalendarMessage.objects.filter(cppm=meeting).first()
    new_time = meeting.scheduled_for + timedelta(days=2)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moved = cppm.cppm_reschedule(
            cppm=meeting,
            by=team_manager,
            scheduled_for=new_time,
            reason=MOVE_REASON,
            expected_version=meeting.version,
        )
        assert not mailoutbox  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert moved.scheduled_for == new_time.replace(second=0, microsecond=0)
    assert moved.reschedule_reason == MOVE_REASON
    assert moved.calendar_sequence == 1 and moved.version == meeting.version + 1
    updates = CalendarMessage.objects.filter(cppm=meeting, sequence=1)
    assert updates.count() == meeting.invitations.count() == 4
    assert set(updates.values_list("method", flat=True)) == {"REQUEST"}
    calendar, update = event(updates.first())
    assert str(calendar["method"]) == "REQUEST" and int(update["sequence"]) == 1
    assert str(update["uid"]) == str(event(first)[1]["uid"])  # the same event, moved
    assert update.decoded("dtstart") == new_time.replace(second=0, microsecond=0)
    assert not updates.filter(sent_at__isnull=True).exists()
    assert len([mail for mail in mailoutbox if mail.attachments]) == 4
    row = AuditEntry.objects.filter(action="change", object_type="cppm").get()
    assert row.detail["sequence"] == 1 and MOVE_REASON not in str(row.detail)
    assert ChronologyEntry.objects.filter(summary__contains=MOVE_REASON).count() == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(-2, "has not passed"), (400, "within the next year"), (2, "5 days' notice")],
)
def test_a_bad_new_time_is_refused_and_nothing_changes(meeting, team_manager, days, message):
    with pytest.raises(CppmRefused, match=message):
        cppm.cppm_reschedule(
            cppm=meeting,
            by=team_manager,
            scheduled_for=timezone.now() + timedelta(days=days),
            reason=MOVE_REASON,
        )
    meeting.refresh_from_db()
    assert meeting.calendar_sequence == 0 and not meeting.reschedule_reason
    assert not CalendarMessage.objects.filter(cppm=meeting, sequence=1).exists()


def test_moving_needs_a_reason_and_a_new_time(meeting, team_manager):
    with pytest.raises(CppmRefused, match="reason"):
        cppm.cppm_reschedule(
            cppm=meeting, by=team_manager, scheduled_for=meeting.scheduled_for, reason=" "
        )
    with pytest.raises(CppmRefused, match="already at that time"):
        cppm.cppm_reschedule(
            cppm=meeting, by=team_manager, scheduled_for=meeting.scheduled_for, reason="Moved."
        )


def test_short_notice_on_a_move_is_recorded(meeting, team_manager):
    moved = cppm.cppm_reschedule(
        cppm=meeting,
        by=team_manager,
        scheduled_for=timezone.now() + timedelta(days=2),
        reason=MOVE_REASON,
        short_notice_reason="The family are moving away next week.",
    )
    assert moved.short_notice_reason == "The family are moving away next week."


def test_after_the_due_date_only_with_the_recorded_extension(
    meeting, team_manager, service_manager
):
    due = cppm_deadline(meeting).due_at
    late = due + timedelta(days=3)
    with pytest.raises(CppmRefused, match="accountable senior manager"):
        cppm.cppm_reschedule(cppm=meeting, by=team_manager, scheduled_for=late, reason=MOVE_REASON)
    with pytest.raises(CppmRefused, match="interim safety plan"):
        cppm.cppm_reschedule(
            cppm=meeting, by=service_manager, scheduled_for=late, reason=MOVE_REASON
        )
    assert cppm_deadline(meeting).due_at == due

    moved = cppm.cppm_reschedule(
        cppm=meeting,
        by=service_manager,
        scheduled_for=late,
        reason=MOVE_REASON,
        extension_reasons="The police enquiry ends next week.",
        interim_safety_plan="Father stays with his brother.",
    )
    assert moved.extended_by == service_manager
    assert "The police enquiry ends next week." in moved.extension_reasons
    assert cppm_deadline(meeting).due_at == moved.ends_at


def test_a_stale_version_is_an_edit_conflict(meeting, team_manager):
    with pytest.raises(EditConflict):
        cppm.cppm_reschedule(
            cppm=meeting,
            by=team_manager,
            scheduled_for=meeting.scheduled_for + timedelta(days=1),
            reason=MOVE_REASON,
            expected_version=meeting.version - 1,
        )
    with pytest.raises(EditConflict):
        cppm.cppm_cancel(
            cppm=meeting, by=team_manager, reason="No longer needed.", expected_version=0
        )
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED and meeting.calendar_sequence == 0


@pytest.mark.parametrize(
    "role", ["social_worker", "police_participant", "health_participant", "other_team_manager"]
)
def test_only_who_may_schedule_it_moves_or_cancels_it(request, meeting, role):
    user = request.getfixturevalue(role)
    with pytest.raises(NotPermitted):
        cppm.cppm_reschedule(
            cppm=meeting,
            by=user,
            scheduled_for=meeting.scheduled_for + timedelta(days=1),
            reason=MOVE_REASON,
        )
    with pytest.raises(NotPermitted):
        cppm.cppm_cancel(cppm=meeting, by=user, reason="Not needed.")
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED and meeting.calendar_sequence == 0


def test_a_service_manager_moves_any_teams(meeting, service_manager):
    moved = cppm.cppm_reschedule(
        cppm=meeting,
        by=service_manager,
        scheduled_for=meeting.scheduled_for + timedelta(days=1),
        reason=MOVE_REASON,
    )
    assert moved.calendar_sequence == 1


# --- Cancelling ----------------------------------------------------------------------------


def test_cancelling_sends_method_cancel_and_keeps_the_28_days_open(
    meeting, team_manager, django_capture_on_commit_callbacks, mailoutbox
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = cppm.cppm_cancel(
            cppm=meeting,
            by=team_manager,
            reason="The family have moved to Highland.",
            expected_version=meeting.version,
        )

    assert cancelled.status == Cppm.Status.CANCELLED
    assert cancelled.cancelled_by == team_manager and cancelled.cancelled_at is not None
    assert cancelled.cancellation_reason == "The family have moved to Highland."
    cancels = CalendarMessage.objects.filter(cppm=meeting, method="CANCEL")
    assert cancels.count() == 4 and not cancels.filter(sent_at__isnull=True).exists()
    calendar, cancel = event(cancels.first())
    assert str(calendar["method"]) == "CANCEL" and str(cancel["status"]) == "CANCELLED"
    assert int(cancel["sequence"]) == 1
    assert len([mail for mail in mailoutbox if mail.attachments]) == 4
    # The 28 days that asked for the meeting stay open: a cancellation does not satisfy them.
    assert cppm_deadline(meeting).state in deadlines.LIVE_STATES
    row = AuditEntry.objects.filter(action="change", object_type="cppm").get()
    assert row.detail["status"] == "cancelled"


def test_another_cppm_is_scheduled_after_a_cancellation(meeting, team_manager, invitees):
    cppm.cppm_cancel(cppm=meeting, by=team_manager, reason="The chair is ill.")
    again = cppm.cppm_schedule(
        referral=meeting.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees),
    )
    assert again.status == Cppm.Status.SCHEDULED


def test_cancelling_a_reconvened_cppm_leaves_the_reconvening_chased(
    meeting, team_manager, invitees
):
    held_now(meeting)
    cppm.cppm_outcome_record(cppm=meeting, by=team_manager, outcome=outcome(quorate=False))
    again = cppm.cppm_schedule(
        referral=meeting.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees),
        previous=meeting,
    )

    cppm.cppm_cancel(cppm=again, by=team_manager, reason="The chair is ill.")

    reconvene = Deadline.objects.get(subject_type="cppm", subject_id=str(meeting.pk))
    assert reconvene.timescale.kind == "cppm_reconvene"
    assert reconvene.state in deadlines.LIVE_STATES
    assert cppm_deadline(meeting).state in deadlines.LIVE_STATES


def test_cancelling_needs_a_reason_and_a_scheduled_meeting(meeting, team_manager):
    with pytest.raises(CppmRefused, match="reason"):
        cppm.cppm_cancel(cppm=meeting, by=team_manager, reason="")
    held_now(meeting)
    cppm.cppm_outcome_record(cppm=meeting, by=team_manager, outcome=outcome(quorate=False))
    with pytest.raises(CppmRefused, match="only a scheduled CPPM is cancelled"):
        cppm.cppm_cancel(cppm=meeting, by=team_manager, reason="Not needed.")
    with pytest.raises(CppmRefused, match="only a scheduled CPPM is moved"):
        cppm.cppm_reschedule(
            cppm=meeting,
            by=team_manager,
            scheduled_for=timezone.now() + timedelta(days=7),
            reason=MOVE_REASON,
        )
    assert not CalendarMessage.objects.filter(cppm=meeting, method="CANCEL").exists()


# --- The CPPM page ---------------------------------------------------------------------------


def move_body(meeting: Cppm, when, **fields) -> dict:
    body = {
        "reschedule-version": meeting.version,
        "reschedule-scheduled_for": when if isinstance(when, str) else local(when),
        "reschedule-reason": MOVE_REASON,
        "reschedule-short_notice_reason": "",
        "reschedule-extension_reasons": "",
        "reschedule-interim_safety_plan": "",
    }
    body.update(fields)
    return body


def test_the_coordinator_moves_and_cancels_from_the_page(client, meeting, team_manager):
    client.force_login(team_manager)
    page = client.get(reverse("ird:cppm_detail", args=[meeting.pk])).content.decode()
    assert "Move the CPPM" in page and "Cancel the CPPM" in page

    response = client.post(
        reverse("ird:cppm_reschedule", args=[meeting.pk]),
        move_body(meeting, meeting.scheduled_for + timedelta(days=1)),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.calendar_sequence == 1
    assert MOVE_REASON in client.get(response["Location"]).content.decode()

    response = client.post(
        reverse("ird:cppm_cancel", args=[meeting.pk]),
        {"cancel-version": meeting.version, "cancel-reason": "The chair is ill."},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.CANCELLED
    page = client.get(reverse("ird:cppm_detail", args=[meeting.pk])).content.decode()
    assert "The chair is ill." in page and "Move the CPPM" not in page


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2101-01-01T10:00", "Enter a date and time from 1900 to 2100."),
        ("not a date", "Enter a real date and time"),
        ("past", "Choose a time for the CPPM that has not passed."),
        ("after_due", "only an accountable senior manager"),
    ],
)
def test_a_bad_new_time_is_a_clear_error_on_the_page(client, meeting, team_manager, when, message):
    client.force_login(team_manager)
    moment = {
        "past": timezone.now() - timedelta(days=1),
        "after_due": cppm_deadline(meeting).due_at + timedelta(days=2),
    }.get(when, when)
    response = client.post(
        reverse("ird:cppm_reschedule", args=[meeting.pk]), move_body(meeting, moment)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.calendar_sequence == 0


def test_missing_reasons_are_field_errors(client, meeting, team_manager):
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_reschedule", args=[meeting.pk]),
        move_body(meeting, meeting.scheduled_for + timedelta(days=1), **{"reschedule-reason": ""}),
    )
    assert response.status_code == 400
    assert "Give the reason for moving the CPPM." in response.content.decode()
    response = client.post(
        reverse("ird:cppm_cancel", args=[meeting.pk]),
        {"cancel-version": meeting.version, "cancel-reason": ""},
    )
    assert response.status_code == 400
    assert "Give the reason for cancelling the CPPM." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED


def test_a_stale_form_is_a_conflict_on_the_page(client, meeting, team_manager, service_manager):
    seen = meeting.version
    cppm.cppm_reschedule(
        cppm=meeting,
        by=service_manager,
        scheduled_for=meeting.scheduled_for + timedelta(days=1),
        reason=MOVE_REASON,
    )
    client.force_login(team_manager)
    response = client.post(
        reverse("ird:cppm_cancel", args=[meeting.pk]),
        {"cancel-version": seen, "cancel-reason": "The chair is ill."},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("police_participant", 403),  # invited, but not who schedules it
        ("health_participant", 403),
        ("social_worker", 403),
        ("education_participant", 404),  # not invited: as if it did not exist
        ("other_team_manager", 404),
    ],
)
def test_who_may_not_move_or_cancel_it(client, request, meeting, role, expected):
    client.force_login(request.getfixturevalue(role))
    moved = client.post(
        reverse("ird:cppm_reschedule", args=[meeting.pk]),
        move_body(meeting, meeting.scheduled_for + timedelta(days=1)),
    )
    cancelled = client.post(
        reverse("ird:cppm_cancel", args=[meeting.pk]),
        {"cancel-version": meeting.version, "cancel-reason": "Not needed."},
    )
    assert moved.status_code == cancelled.status_code == expected
    meeting.refresh_from_db()
    assert meeting.status == Cppm.Status.SCHEDULED and meeting.calendar_sequence == 0
    page = client.get(reverse("ird:cppm_detail", args=[meeting.pk])).content.decode()
    assert "Move the CPPM" not in page


# --- CPPMs due, for team managers --------------------------------------------------------


def due_page(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ird:cppms_due"))
    return response, len(queries)


def test_a_team_manager_sees_the_teams_cppms_due_in_fixed_queries(
    client, meeting, team_manager, other_team_manager, invitees, service_manager
):
    response, one = due_page(client, team_manager)
    assert response.status_code == 200
    assert meeting.reference in response.content.decode()
    assert "No CPPM is overdue." in response.content.decode()

    held_now(meeting)  # its time has passed with no outcome
    later = cppm.cppm_schedule(
        referral=meeting.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees, days=9),
    )
    cancelled = cppm.cppm_schedule(
        referral=meeting.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees, days=10),
    )
    cppm.cppm_cancel(cppm=cancelled, by=team_manager, reason="The chair is ill.")
    response, more = due_page(client, team_manager)
    page = response.content.decode()
    assert more == one
    assert page.index(meeting.reference) < page.index("Upcoming") < page.index(later.reference)
    assert cancelled.reference not in page
    row = AuditEntry.objects.filter(object_type="cppm_list").order_by("id").last()
    assert set(row.detail["cppms"]) == {str(meeting.pk), str(later.pk)}

    assert meeting.reference not in due_page(client, other_team_manager)[0].content.decode()
    assert meeting.reference in due_page(client, service_manager)[0].content.decode()


@pytest.mark.parametrize("role", ["social_worker", "police_participant", "committee_member"])
def test_cppms_due_are_for_managers(client, request, role):
    assert due_page(client, request.getfixturevalue(role))[0].status_code == 403


@pytest.mark.parametrize(
    ("role", "in_menu"),
    [
        ("team_manager", True),
        ("service_manager", True),
        ("social_worker", False),
        ("police_participant", False),
    ],
)
def test_the_menu_offers_cppms_due_to_managers_only(client, request, role, in_menu):
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("home")).content.decode()

    assert (reverse("ird:cppms_due") in page) is in_menu
