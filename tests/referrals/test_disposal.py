"""Disposal (issue 10): a list of what is due, a manager's approval, then each record deleted or
anonymised in its own transaction, with a log that holds no personal data and a crash half way
that repeats nothing and loses nothing."""

import datetime
import io
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from referrals import tasks
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    DisposalList,
    DisposalRecord,
    Person,
    Referral,
    RetentionClass,
    Role,
    ScreeningDecision,
)
from referrals.services import disposal, intake, retention
from tests.conftest import SignedInClient
from tests.factories import StaffFactory, make_referral
from tests.referrals.test_retention import closed, nfa_referral

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 4)
LONG_AGO = datetime.date(2019, 1, 10)


@pytest.fixture
def officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


@pytest.fixture
def approver(social_work):
    return StaffFactory(role=Role.SERVICE_MANAGER, team=None, agency=social_work)


def named_child(team, worker, first, last, *, dob=datetime.date(1990, 3, 1), chi=""):
    return make_referral(
        team=team,
        received_by=worker,
        children=[
            intake.PersonFields(first_name=first, last_name=last, date_of_birth=dob, chi_number=chi)
        ],
    )


def child_of(referral: Referral) -> Person:
    return referral.child_links.get().person


def approved_list(officer, approver, today=TODAY) -> DisposalList:
    listing = disposal.prepare_list(by=officer, today=today)
    with mock.patch("referrals.tasks.carry_out_disposal.apply_async"):
        return disposal.approve_list(disposal_list=listing, by=approver)


# --- Listing and approval -------------------------------------------------------------------


def test_the_list_names_what_is_due_and_logs_held_records_as_kept(
    duty_team, social_worker, officer
):
    due = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    held = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    retention.place_hold(person=child_of(held), reason="Inquiry", by=officer)
    nfa_referral(duty_team, social_worker, closed_on=TODAY)  # not yet due

    listing = disposal.prepare_list(by=officer, today=TODAY)

    assert listing.state == DisposalList.State.AWAITING_APPROVAL
    assert {(r.reference, r.method, r.state) for r in listing.records.all()} == {
        (due.reference, "delete", DisposalRecord.State.PENDING),
        (held.reference, "delete", DisposalRecord.State.KEPT_HELD),
    }
    assert AuditEntry.objects.filter(
        object_type="disposallist", object_id=str(listing.pk), detail__event="disposal_listed"
    ).exists()
    # Nothing has gone yet.
    assert Referral.objects.filter(pk=due.pk).exists()


def test_a_newer_list_supersedes_one_still_awaiting_approval(officer):
    first = disposal.prepare_list(by=officer, today=TODAY)
    second = disposal.prepare_list(by=officer, today=TODAY)

    first.refresh_from_db()
    assert first.state == DisposalList.State.SUPERSEDED
    assert second.state == DisposalList.State.AWAITING_APPROVAL
    with pytest.raises(ValidationError):
        disposal.approve_list(
            disposal_list=first, by=StaffFactory(role=Role.SERVICE_MANAGER, team=None)
        )


def test_only_a_service_manager_approves_and_never_their_own_list(
    officer, approver, social_worker, team_manager
):
    listing = disposal.prepare_list(by=officer, today=TODAY)
    for refused in (social_worker, team_manager, officer):
        with pytest.raises(PermissionDenied):
            disposal.approve_list(disposal_list=listing, by=refused)
    with pytest.raises(PermissionDenied):
        disposal.prepare_list(by=approver, today=TODAY)

    # A manager who also lists (granted through the admin) needs a second manager.
    approver.user_permissions.add(
        Permission.objects.get(codename="manage_retention", content_type__app_label="referrals")
    )
    approver = type(approver).objects.get(pk=approver.pk)  # no cached permissions
    own = disposal.prepare_list(by=approver, today=TODAY)
    with pytest.raises(ValidationError, match="Another manager"):
        disposal.approve_list(disposal_list=own, by=approver)


def test_approval_queues_the_disposal_after_commit(
    duty_team, social_worker, officer, approver, django_capture_on_commit_callbacks
):
    nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    listing = disposal.prepare_list(by=officer, today=TODAY)

    with mock.patch("referrals.tasks.carry_out_disposal.apply_async") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            disposal.approve_list(disposal_list=listing, by=approver)

    delay.assert_called_once_with(args=(str(listing.pk),), retry=False)
    listing.refresh_from_db()
    assert (listing.state, listing.approved_by) == (DisposalList.State.APPROVED, approver)


# --- Deleting and anonymising ---------------------------------------------------------------


def test_deletion_removes_the_referral_its_chronology_and_a_child_named_nowhere_else(
    duty_team, social_worker, officer, approver
):
    referral = closed(
        named_child(duty_team, social_worker, "Morven", "Quarrie", chi="0103901234"),
        on=LONG_AGO,
        outcome=ScreeningDecision.Outcome.NO_FURTHER_ACTION,
        by=social_worker,
    )
    child = child_of(referral)
    listing = approved_list(officer, approver)

    assert disposal.carry_out(listing.pk) == {DisposalRecord.State.DELETED: 1}

    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert not Person.objects.filter(pk=child.pk).exists()
    assert not ChronologyEntry.objects.filter(person_id=child.pk).exists()
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.COMPLETED
    record = listing.records.get()
    assert (record.reference, record.state) == (referral.reference, DisposalRecord.State.DELETED)
    entry = AuditEntry.objects.get(object_id=str(referral.pk), detail__event="disposal")
    assert entry.action == AuditEntry.Action.DISPOSE
    # The log and its audit row hold no personal data.
    logged = str(list(DisposalRecord.objects.values())) + str(entry.detail)
    for personal in ("Morven", "Quarrie", "0103901234", "1990"):
        assert personal not in logged


def test_anonymisation_leaves_no_name_date_of_birth_or_chi(
    duty_team, social_worker, officer, approver
):
    RetentionClass.objects.filter(record_type="child_protection").update(
        period=1, trigger=RetentionClass.Trigger.CLOSURE
    )
    referral = closed(
        named_child(duty_team, social_worker, "Isla", "Drummond", chi="0103901234"),
        on=LONG_AGO,
        outcome=ScreeningDecision.Outcome.CHILD_PROTECTION,
        by=social_worker,
    )
    child = child_of(referral)
    listing = approved_list(officer, approver)

    assert disposal.carry_out(listing.pk) == {DisposalRecord.State.ANONYMISED: 1}

    child.refresh_from_db()
    assert (child.first_name, child.last_name, child.date_of_birth, child.chi_number) == (
        "Anonymised",
        "",
        None,
        "",
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert "hungry" not in referral.summary and referral.referrer_name == "Anonymised"
    texts = list(ChronologyEntry.objects.filter(person=child).values_list("summary", flat=True))
    texts += list(ScreeningDecision.objects.filter(referral=referral).values_list("reasons"))
    assert texts and not any("Isla" in str(text) or "Drummond" in str(text) for text in texts)
    # An anonymised record is never listed again.
    assert retention.due_for_disposal(datetime.date(2200, 1, 1)) == []


def test_a_person_still_named_in_a_kept_referral_keeps_their_details(
    duty_team, social_worker, officer, approver
):
    old = closed(
        named_child(duty_team, social_worker, "Euan", "Laird"),
        on=LONG_AGO,
        outcome=ScreeningDecision.Outcome.NO_FURTHER_ACTION,
        by=social_worker,
    )
    child = child_of(old)
    recent = make_referral(team=duty_team, received_by=social_worker, children=[child])
    listing = approved_list(officer, approver)

    disposal.carry_out(listing.pk)

    child.refresh_from_db()
    assert (child.first_name, child.last_name) == ("Euan", "Laird")
    assert not Referral.objects.filter(pk=old.pk).exists()
    assert Referral.objects.filter(pk=recent.pk).exists()


def test_a_hold_placed_after_approval_still_keeps_the_record(
    duty_team, social_worker, officer, approver
):
    referral = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    listing = approved_list(officer, approver)
    retention.place_hold(person=child_of(referral), reason="Court order", by=officer)

    assert disposal.carry_out(listing.pk) == {DisposalRecord.State.KEPT_HELD: 1}
    assert Referral.objects.filter(pk=referral.pk).exists()


def test_a_referral_reopened_after_listing_is_kept(duty_team, social_worker, officer, approver):
    referral = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    listing = approved_list(officer, approver)
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.SCREENING)

    assert disposal.carry_out(listing.pk) == {DisposalRecord.State.KEPT_NOT_DUE: 1}
    assert Referral.objects.filter(pk=referral.pk).exists()


def test_a_crash_half_way_repeats_nothing_and_loses_nothing(
    duty_team, social_worker, officer, approver
):
    referrals = [nfa_referral(duty_team, social_worker, closed_on=LONG_AGO) for _ in range(3)]
    listing = approved_list(officer, approver)
    real_delete = disposal._delete_referral
    calls = []

    def crash_on_second(referral):
        calls.append(referral.pk)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        real_delete(referral)

    with mock.patch.object(disposal, "_delete_referral", crash_on_second):
        with pytest.raises(RuntimeError):
            disposal.carry_out(listing.pk)

    states = dict(listing.records.values_list("referral_id", "state"))
    assert sorted(states.values()) == ["deleted", "pending", "pending"]
    # The record whose transaction failed is still whole.
    assert Referral.objects.filter(pk=calls[1]).exists()
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.APPROVED

    assert disposal.resume_approved() == 1

    assert set(listing.records.values_list("state", flat=True)) == {"deleted"}
    assert not Referral.objects.filter(pk__in=[r.pk for r in referrals]).exists()
    for referral in referrals:  # each disposed of exactly once
        assert (
            AuditEntry.objects.filter(object_id=str(referral.pk), detail__event="disposal").count()
            == 1
        )
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.COMPLETED


def test_running_the_same_list_twice_disposes_of_nothing_twice(
    duty_team, social_worker, officer, approver
):
    nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    listing = approved_list(officer, approver)

    assert disposal.carry_out(listing.pk) == {"deleted": 1}
    assert disposal.carry_out(listing.pk) == {}
    assert DisposalRecord.objects.filter(state="deleted").count() == 1


def test_the_command_carries_out_approved_lists_now_showing_its_progress(
    duty_team, social_worker, officer, approver
):
    """Issue 15: long commands show progress. The command does what the hourly job does."""
    for _ in range(3):
        nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    listing = approved_list(officer, approver)
    out = io.StringIO()

    call_command("carry_out_disposal", stdout=out)

    assert "Records disposed of: 3 of 3" in out.getvalue()
    assert "1 approved list(s) carried out." in out.getvalue()
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.COMPLETED
    assert DisposalRecord.objects.filter(state="deleted").count() == 3


# --- The page -----------------------------------------------------------------------------


def test_information_governance_lists_and_a_service_manager_approves_on_the_page(
    duty_team, social_worker, officer, approver, django_capture_on_commit_callbacks
):
    referral = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)
    as_officer, as_manager = SignedInClient(), SignedInClient()
    as_officer.force_login(officer)
    as_manager.force_login(approver)

    assert "Disposal" in as_officer.get(reverse("home")).content.decode()
    assert as_officer.post(reverse("disposal_prepare")).status_code == 302
    page = as_manager.get(reverse("disposal_lists"))
    assert page.status_code == 200
    assert referral.reference in page.content.decode()
    listing = DisposalList.objects.get()

    unconfirmed = as_manager.post(reverse("disposal_approve", args=[listing.pk]), follow=True)
    assert "Tick the box" in unconfirmed.content.decode()
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.AWAITING_APPROVAL

    with django_capture_on_commit_callbacks(execute=True):
        as_manager.post(reverse("disposal_approve", args=[listing.pk]), {"confirm": "yes"})

    # Celery runs eagerly in tests: the approval carried the disposal out.
    listing.refresh_from_db()
    assert listing.state == DisposalList.State.COMPLETED
    assert not Referral.objects.filter(pk=referral.pk).exists()


def test_the_page_is_refused_to_others(social_worker, team_manager):
    for user in (social_worker, team_manager):
        client = SignedInClient()
        client.force_login(user)
        assert client.get(reverse("disposal_lists")).status_code == 403
        assert client.post(reverse("disposal_prepare")).status_code == 403


def test_the_monthly_job_prepares_the_list_and_e_mails_the_officers(
    duty_team, social_worker, officer, mailoutbox
):
    officer.email = "ig@example.org"
    officer.save()
    referral = nfa_referral(duty_team, social_worker, closed_on=LONG_AGO)

    assert tasks.list_disposal_due() == 1

    listing = DisposalList.objects.get()
    assert listing.listed_by is None
    assert listing.records.get().reference == referral.reference
    assert referral.reference in mailoutbox[0].body
