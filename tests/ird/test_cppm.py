"""Child protection planning meetings and the register (issue 11): scheduling from a signed-off
IRD, the timescales (28 days, 28 weeks' gestation, notice, reconvening, the record, reviews,
transfers), the outcome, registration and de-registration, and every refusal (nothing saved)."""

from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ird import cppm
from ird.errors import CppmRefused
from ird.models import CalendarMessage, Cppm, DecisionCode, Ird, Registration
from referrals import deadlines
from referrals.errors import EditConflict, NotPermitted
from referrals.models import AuditEntry, Deadline, DeadlineAlert, Person, Role
from referrals.services import intake
from referrals.working_days import LONDON, add_working_days
from tests.factories import category, make_referral
from tests.ird.conftest import approve_child_protection, held_now, make_plan, outcome

pytestmark = pytest.mark.django_db
Level = Deadline.Level


def deadline(kind: str, **filters) -> Deadline:
    return Deadline.objects.select_related("timescale").get(timescale__kind=kind, **filters)


# --- Scheduling -------------------------------------------------------------------------------


def test_scheduling_invites_sends_calendar_after_commit_and_audits(
    signed_ird, team_manager, invitees, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meeting = cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
        )

    assert meeting.reference.startswith("CPPM-")
    assert meeting.ird == signed_ird and meeting.status == Cppm.Status.SCHEDULED
    assert list(meeting.children.all()) == list(signed_ird.referral.children.all())
    assert meeting.invitations.count() == 4  # the chair and three invitees
    assert len(callbacks) >= 4
    messages = CalendarMessage.objects.filter(cppm=meeting)
    assert messages.count() == 4 and not messages.filter(sent_at__isnull=True).exists()
    ics = [mail for mail in mailoutbox if "planning meeting" in mail.subject]
    assert len(ics) == 4
    assert "BEGIN:VCALENDAR" in ics[0].attachments[0].get_payload(decode=True).decode()
    assert "Ava" not in messages.first().ics  # never a child's name
    assert AuditEntry.objects.filter(action="create", object_type="cppm").count() == 1


def test_a_cppm_before_its_ird_is_refused(cp_referral, team_manager, invitees):
    with pytest.raises(CppmRefused, match="comes after its IRD"):
        cppm.cppm_schedule(
            referral=cp_referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
        )
    assert not Cppm.objects.exists()
    assert not AuditEntry.objects.filter(object_type="cppm").exists()


def test_a_cppm_the_ird_did_not_decide_is_refused(concluded_ird, chair, team_manager, invitees):
    decision = concluded_ird.decisions.get()
    decision.code = DecisionCode.objects.get(code="joint_investigative_interview")
    decision.save()
    concluded_ird.status = Ird.Status.SIGNED_OFF
    concluded_ird.signed_off_at = timezone.now()
    concluded_ird.save()
    with pytest.raises(CppmRefused, match="did not decide"):
        cppm.cppm_schedule(
            referral=concluded_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
        )
    assert not Cppm.objects.exists()


@pytest.mark.parametrize("role", ["social_worker", "police_participant", "other_team_manager"])
def test_only_a_coordinator_of_the_team_schedules(
    request, signed_ird, team_manager, invitees, role
):
    with pytest.raises(NotPermitted):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=request.getfixturevalue(role),
            plan=make_plan(chair=team_manager, invitees=invitees),
        )
    assert not Cppm.objects.exists()


def test_police_and_health_are_invited(signed_ird, team_manager, social_worker):
    with pytest.raises(CppmRefused, match="police and health"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=[social_worker]),
        )


def test_the_chair_is_a_social_work_manager(signed_ird, team_manager, invitees, police_participant):
    with pytest.raises(CppmRefused, match="chairs"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=police_participant, invitees=invitees),
        )


def test_short_notice_needs_a_reason(signed_ird, team_manager, invitees):
    with pytest.raises(CppmRefused, match="5 days' notice"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, days=2),
        )
    meeting = cppm.cppm_schedule(
        referral=signed_ird.referral,
        by=team_manager,
        plan=make_plan(
            chair=team_manager,
            invitees=invitees,
            days=2,
            short_notice_reason="The baby is due home from hospital on Friday.",
        ),
    )
    assert meeting.short_notice_reason


@pytest.mark.parametrize("days", [-3, 400])
def test_dates_out_of_range_are_refused(signed_ird, team_manager, invitees, days):
    with pytest.raises(CppmRefused):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, days=days),
        )
    assert not Cppm.objects.exists()


# --- The 28 days and their extension -------------------------------------------------------


def test_after_the_28_days_only_a_service_manager_extends_with_plan_and_reasons(
    signed_ird, team_manager, service_manager, invitees
):
    referral = signed_ird.referral
    due = deadline("cppm", referral=referral).due_at
    late = (due - timezone.now()).days + 3
    with pytest.raises(CppmRefused, match="accountable senior manager"):
        cppm.cppm_schedule(
            referral=referral,
            by=team_manager,
            plan=make_plan(
                chair=team_manager,
                invitees=invitees,
                days=late,
                extension_reasons="Police enquiry.",
                interim_safety_plan="Father out of the home.",
            ),
        )
    with pytest.raises(CppmRefused, match="interim safety plan"):
        cppm.cppm_schedule(
            referral=referral,
            by=service_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, days=late),
        )
    assert not Cppm.objects.exists()

    meeting = cppm.cppm_schedule(
        referral=referral,
        by=service_manager,
        plan=make_plan(
            chair=team_manager,
            invitees=invitees,
            days=late,
            extension_reasons="The police enquiry ends next week.",
            interim_safety_plan="Father stays with his brother; nursery daily.",
        ),
    )
    assert meeting.extended_by == service_manager
    assert deadline("cppm", referral=referral).due_at == meeting.ends_at


def test_a_pre_birth_cppm_is_due_by_28_weeks_gestation(social_worker, team_manager, invitees):
    due_date = timezone.localdate() + timedelta(weeks=14)  # 26 weeks' gestation today
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[
            intake.PersonFields(
                first_name="Baby", last_name="Reid", unborn=True, expected_date_of_delivery=due_date
            )
        ],
    )
    approve_child_protection(referral, social_worker, team_manager)
    ird = _signed_off(referral)
    with pytest.raises(CppmRefused, match="accountable senior manager"):
        cppm.cppm_schedule(
            referral=referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, kind="pre_birth", days=20),
        )
    meeting = cppm.cppm_schedule(
        referral=referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees, kind="pre_birth", days=10),
    )
    assert meeting.ird == ird
    live = deadline("cppm", referral=referral)
    assert live.due_at == datetime.combine(due_date - timedelta(weeks=12), time(17), LONDON)


def test_a_pre_birth_cppm_needs_an_unborn_child(signed_ird, team_manager, invitees):
    with pytest.raises(CppmRefused, match="unborn"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, kind="pre_birth"),
        )


def _signed_off(referral) -> Ird:
    """The referral's IRD, signed off with a CPPM decided, as the services would leave it."""
    ird = Ird.objects.get(referral=referral)
    ird.status, ird.signed_off_at = Ird.Status.SIGNED_OFF, timezone.now()
    ird.save()
    ird.decisions.create(
        code=DecisionCode.objects.get(code="child_protection_planning_meeting"),
        recorded_by=referral.received_by,
        recorded_at=timezone.now(),
    )
    return ird


# --- The outcome and the register ----------------------------------------------------------


def test_holding_meets_the_28_days_registers_and_opens_review_and_record(registered, social_worker):
    referral = registered.referral
    child = registered.children.get()
    assert registered.status == Cppm.Status.HELD
    assert deadline("cppm", referral=referral).state == Deadline.State.MET
    registration = Registration.objects.get(person=child)
    assert registration.active and registration.registered_at == registered
    assert [c.code for c in registration.categories.all()] == ["neglect"]
    review_due = deadline("cppm_review", subject_id=str(registration.pk))
    assert review_due.owner == social_worker
    assert registration.review_due_on == timezone.localdate(review_due.due_at)
    assert review_due.due_at.date() > (registered.held_at + timedelta(days=180)).date()
    record = deadline("cppm_record", subject_id=str(registered.pk))
    assert record.due_at == add_working_days(registered.held_at, 10, deadlines.closure_days())


def test_a_second_active_registration_is_refused(registered, team_manager, invitees):
    child = registered.children.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            person=child, registered_on=timezone.localdate(), recorded_by=team_manager
        )
    # Another initial CPPM for the same child (a later IRD) cannot register the child again.
    second = Cppm.objects.create(
        reference="CPPM-TEST-1",
        referral=registered.referral,
        kind=Cppm.Kind.INITIAL,
        scheduled_for=timezone.now(),
        chair=team_manager,
        coordinator=team_manager,
    )
    second.children.set([child])
    with pytest.raises(CppmRefused, match="already on the child protection register"):
        cppm.cppm_outcome_record(
            cppm=second,
            by=team_manager,
            outcome=outcome(
                register=[child], categories=[category()], lead_professional=team_manager
            ),
        )
    second.refresh_from_db()
    assert second.status == Cppm.Status.SCHEDULED
    assert Registration.objects.filter(person=child).count() == 1


def test_de_registration_only_at_a_review_cppm(scheduled, team_manager, social_worker):
    child = scheduled.children.get()
    with pytest.raises(CppmRefused, match="Only a review CPPM"):
        cppm.cppm_outcome_record(
            cppm=scheduled,
            by=team_manager,
            outcome=outcome(deregister=[child], lead_professional=social_worker),
        )
    scheduled.refresh_from_db()
    assert scheduled.status == Cppm.Status.SCHEDULED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"categories": []}, "categories"),
        ({"lead_professional": None}, "lead professional"),
        ({"reporter_referral": None}, "Principal Reporter"),
        ({"reporter_note": " "}, "Principal Reporter"),
        ({"held_at_offset": timedelta(days=2)}, "future"),
    ],
)
def test_an_incomplete_outcome_saves_nothing(
    scheduled, team_manager, social_worker, fields, message
):
    child = scheduled.children.get()
    values = {
        "register": [child],
        "categories": [category()],
        "lead_professional": social_worker,
        **fields,
    }
    offset = values.pop("held_at_offset", None)
    if offset:
        values["held_at"] = timezone.now() + offset
    with pytest.raises(CppmRefused, match=message):
        cppm.cppm_outcome_record(cppm=scheduled, by=team_manager, outcome=outcome(**values))
    assert not Registration.objects.exists()
    assert deadline("cppm", referral=scheduled.referral).state == Deadline.State.OPEN


def test_only_the_chair_records_the_outcome(scheduled, service_manager, social_worker):
    with pytest.raises(NotPermitted):
        cppm.cppm_outcome_record(cppm=scheduled, by=service_manager, outcome=outcome())
    with pytest.raises(EditConflict):
        cppm.cppm_outcome_record(
            cppm=scheduled,
            by=scheduled.chair,
            outcome=outcome(),
            expected_version=scheduled.version - 1,
        )


def test_a_review_keeps_or_removes_and_meets_its_deadline(review, team_manager, social_worker):
    child = review.children.get()
    registration = Registration.objects.get(person=child, ended_on__isnull=True)
    assert review.kind == Cppm.Kind.REVIEW

    cppm.cppm_outcome_record(
        cppm=review,
        by=team_manager,
        outcome=outcome(deregister=[child], lead_professional=social_worker),
    )

    registration.refresh_from_db()
    assert registration.ended_on == timezone.localdate() and registration.ended_at == review
    assert deadline("cppm_review", subject_id=str(registration.pk)).state == Deadline.State.MET
    assert not Registration.objects.filter(person=child, ended_on__isnull=True).exists()


def test_a_review_that_keeps_the_child_opens_the_next_review(review, team_manager, social_worker):
    child = review.children.get()
    registration = Registration.objects.get(person=child, ended_on__isnull=True)
    cppm.cppm_outcome_record(
        cppm=review, by=team_manager, outcome=outcome(lead_professional=social_worker)
    )
    reviews = Deadline.objects.filter(
        timescale__kind="cppm_review", subject_id=str(registration.pk)
    )
    assert sorted(reviews.values_list("state", flat=True)) == ["met", "open"]


def test_a_review_needs_a_registered_child(signed_ird, team_manager, invitees):
    with pytest.raises(CppmRefused, match="on the register"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, kind="review"),
        )


def test_a_review_cannot_register_again(review, team_manager, social_worker):
    with pytest.raises(CppmRefused, match="keeps or removes"):
        cppm.cppm_outcome_record(
            cppm=review,
            by=team_manager,
            outcome=outcome(
                register=[review.children.get()],
                categories=[category()],
                lead_professional=social_worker,
            ),
        )


# --- Inquorate, the record ----------------------------------------------------------------


def test_an_inquorate_cppm_is_reconvened_within_10_working_days(
    scheduled, team_manager, invitees, social_worker
):
    held_at = timezone.now()
    cppm.cppm_outcome_record(
        cppm=scheduled, by=team_manager, outcome=outcome(quorate=False, held_at=held_at)
    )
    scheduled.refresh_from_db()
    assert scheduled.status == Cppm.Status.INQUORATE
    reconvene = deadline("cppm_reconvene", subject_id=str(scheduled.pk))
    assert reconvene.due_at == add_working_days(held_at, 10, deadlines.closure_days())
    assert deadline("cppm", referral=scheduled.referral).state == Deadline.State.OPEN

    again = cppm.cppm_schedule(
        referral=scheduled.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees),
        previous=scheduled,
    )
    with pytest.raises(CppmRefused, match="already been reconvened"):
        cppm.cppm_schedule(
            referral=scheduled.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
            previous=scheduled,
        )
    cppm.cppm_outcome_record(
        cppm=held_now(again), by=team_manager, outcome=outcome(lead_professional=social_worker)
    )
    assert deadline("cppm_reconvene", subject_id=str(scheduled.pk)).state == Deadline.State.MET
    assert deadline("cppm", referral=scheduled.referral).state == Deadline.State.MET


def test_the_record_is_saved_compare_and_set_and_issued(registered, team_manager, service_manager):
    version = registered.version
    cppm.cppm_record_save(cppm=registered, by=team_manager, text="Draft.", based_on=version)
    with pytest.raises(EditConflict):
        cppm.cppm_record_save(cppm=registered, by=service_manager, text="Mine.", based_on=version)
    registered.refresh_from_db()
    assert registered.record == "Draft."
    with pytest.raises(CppmRefused, match="Write the record"):
        cppm.cppm_record_save(
            cppm=registered, by=team_manager, text=" ", based_on=registered.version, issue=True
        )
    cppm.cppm_record_save(
        cppm=registered, by=team_manager, text="Final.", based_on=registered.version, issue=True
    )
    registered.refresh_from_db()
    assert registered.record_issued_at is not None
    assert deadline("cppm_record", subject_id=str(registered.pk)).state == Deadline.State.MET
    with pytest.raises(CppmRefused, match="issued"):
        cppm.cppm_record_save(
            cppm=registered, by=team_manager, text="Later.", based_on=registered.version
        )


def test_the_record_is_written_by_the_chair_or_a_coordinator(registered, police_participant):
    with pytest.raises(NotPermitted):
        cppm.cppm_record_save(
            cppm=registered, by=police_participant, text="x", based_on=registered.version
        )


# --- Temporary registration and transfer ---------------------------------------------------


@pytest.fixture
def temporary(cp_referral, team_manager):
    return cppm.registration_temporary_record(
        referral=cp_referral,
        person=cp_referral.children.get(),
        by=team_manager,
        from_authority="Highland Council",
        registered_on=timezone.localdate(),
        categories=[category("domestic_abuse")],
        moved_here=True,
    )


def test_a_temporary_registration_opens_the_21_working_day_transfer(temporary):
    transfer = deadline("cppm_transfer", subject_id=str(temporary.pk))
    assert transfer.due_at == add_working_days(transfer.starts_at, 21, deadlines.closure_days())
    assert temporary.temporary and temporary.review_due_on == timezone.localdate(transfer.due_at)


def test_a_transfer_cppm_makes_the_registration_ours(
    temporary, team_manager, invitees, social_worker
):
    meeting = cppm.cppm_schedule(
        referral=temporary.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees, kind="transfer"),
    )
    cppm.cppm_outcome_record(
        cppm=held_now(meeting),
        by=team_manager,
        outcome=outcome(
            register=[temporary.person],
            categories=[category("domestic_abuse")],
            lead_professional=social_worker,
        ),
    )
    temporary.refresh_from_db()
    assert temporary.ended_on is not None
    assert deadline("cppm_transfer", subject_id=str(temporary.pk)).state == Deadline.State.MET
    current = Registration.objects.get(person=temporary.person, ended_on__isnull=True)
    assert not current.temporary and current.registered_at == meeting


def test_temporary_registration_refusals(temporary, team_manager, cp_referral, social_worker):
    child = cp_referral.children.get()
    with pytest.raises(CppmRefused, match="already on"):
        cppm.registration_temporary_record(
            referral=cp_referral,
            person=child,
            by=team_manager,
            from_authority="Fife Council",
            registered_on=timezone.localdate(),
            categories=[category()],
            moved_here=False,
        )
    with pytest.raises(NotPermitted):
        cppm.registration_temporary_record(
            referral=cp_referral,
            person=child,
            by=social_worker,
            from_authority="Fife Council",
            registered_on=timezone.localdate(),
            categories=[category()],
            moved_here=False,
        )
    with pytest.raises(CppmRefused, match="not a child"):
        cppm.registration_temporary_record(
            referral=cp_referral,
            person=Person.objects.create(first_name="Other", last_name="Child"),
            by=team_manager,
            from_authority="Fife Council",
            registered_on=timezone.localdate(),
            categories=[category()],
            moved_here=False,
        )
    assert Registration.objects.count() == 1


# --- Chasing: each new deadline warned, overdue and escalated exactly once -----------------


@pytest.mark.parametrize("kind", ["cppm_record", "cppm_review"])
def test_each_level_is_chased_exactly_once(registered, kind, settings):
    settings.REMINDER_HOURS = None
    subject = registered.pk if kind == "cppm_record" else Registration.objects.get().pk
    found = deadline(kind, subject_id=str(subject))
    # A working-day step escalates in working time (referrals.deadlines.level_moments).
    moments = sorted(m for m in deadlines.level_moments(found).values() if m is not None)
    for moment in (*moments, moments[-1] + timedelta(days=1)):
        deadlines.sweep(now=moment + timedelta(minutes=1))
        deadlines.sweep(now=moment + timedelta(minutes=2))
    levels = list(
        DeadlineAlert.objects.filter(deadline=found)
        .order_by("level")
        .values_list("level", flat=True)
    )
    assert levels == [Level.WARNED, Level.DUE, Level.MANAGER, Level.SERVICE_MANAGER]


def test_the_reconvene_deadline_is_chased_once_per_level(scheduled, team_manager, settings):
    settings.REMINDER_HOURS = None
    cppm.cppm_outcome_record(cppm=scheduled, by=team_manager, outcome=outcome(quorate=False))
    found = deadline("cppm_reconvene", subject_id=str(scheduled.pk))
    end = max(m for m in deadlines.level_moments(found).values() if m) + timedelta(hours=1)
    for _ in range(2):
        deadlines.sweep(now=end)
    assert DeadlineAlert.objects.filter(deadline=found).count() == 3  # too late to warn


def test_a_service_manager_schedules_any_teams(signed_ird, service_manager, invitees):
    assert service_manager.role == Role.SERVICE_MANAGER
    meeting = cppm.cppm_schedule(
        referral=signed_ird.referral,
        by=service_manager,
        plan=make_plan(chair=service_manager, invitees=invitees),
    )
    assert meeting.coordinator == service_manager
