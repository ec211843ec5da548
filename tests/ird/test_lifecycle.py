"""The IRD lifecycle through its services: requested on an approved child protection decision,
scheduled, in progress, concluded, signed off; cancelled. Each step moves the referral through
the core's lifecycle and leaves chronology and audit; each refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ird import selectors, services
from ird.errors import IrdRefused, RecordLocked, SignOffRefused
from ird.models import DecisionCode, FollowUpItem, Ird, IrdChild, RecordSection
from referrals.errors import EditConflict, NotPermitted
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    Notification,
    Person,
    Referral,
    Relationship,
)
from referrals.services import screening
from tests.factories import PersonFactory, make_referral
from tests.ird.conftest import approve_child_protection, complete_record, plan

pytestmark = pytest.mark.django_db


# --- Opening the request --------------------------------------------------------------------


def test_an_approved_child_protection_decision_opens_one_ird_request(cp_referral, team_manager):
    ird = Ird.objects.get(referral=cp_referral)

    assert ird.status == Ird.Status.REQUESTED
    assert ird.reference.startswith(f"IRD-{timezone.now().year}-")
    assert ird.sections.count() == len(RecordSection.Key.values) == 12
    assert Notification.objects.filter(
        recipient=team_manager, title__startswith="IRD to schedule"
    ).exists()
    assert AuditEntry.objects.filter(
        action="create", object_type="ird", object_id=str(ird.pk)
    ).exists()
    on_file = ChronologyEntry.objects.filter(kind="ird", summary__contains=ird.reference)
    assert set(on_file.values_list("person_id", flat=True)) == set(
        cp_referral.children.values_list("pk", flat=True)
    )


def test_the_same_decision_announced_twice_opens_nothing_more(cp_referral):
    ird = Ird.objects.get(referral=cp_referral)
    decision = cp_referral.current_decision

    again = services.ird_request_open(
        referral=cp_referral, decision=decision, by=decision.reviewed_by
    )

    assert again == ird
    assert Ird.objects.count() == 1


@pytest.mark.parametrize("outcome", ["support", "welfare_assessment"])
def test_other_outcomes_open_no_ird(social_worker, team_manager, outcome):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome=outcome,
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
    )
    screening.screening_approve(decision=decision, approved_by=team_manager)
    assert not Ird.objects.exists()


def test_brothers_sisters_and_household_children_are_proposed(social_worker, team_manager):
    child = PersonFactory(
        first_name="Ava", last_name="Reid", address_line1="4 High Street", postcode="IV30 1AB"
    )
    brother = PersonFactory(first_name="Leo", last_name="Reid")
    half_sister = PersonFactory(first_name="Mia", last_name="Innes")
    mother = PersonFactory(first_name="Karen", last_name="Reid", date_of_birth=None)
    same_address = PersonFactory(
        first_name="Isla", last_name="Watt", address_line1="4 high street", postcode="IV30 1AB"
    )
    adult_same_address = PersonFactory(
        first_name="Gordon",
        last_name="Watt",
        address_line1="4 High Street",
        postcode="IV30 1AB",
        date_of_birth=timezone.localdate() - timedelta(days=40 * 365),
    )
    unrelated = PersonFactory(first_name="Noah", last_name="Smith")
    Relationship.objects.create(person=child, relative=brother, kind=Relationship.Kind.SIBLING)
    Relationship.objects.create(person=child, relative=mother, kind=Relationship.Kind.PARENT)
    Relationship.objects.create(person=half_sister, relative=mother, kind=Relationship.Kind.PARENT)
    referral = make_referral(team=social_worker.team, received_by=social_worker, children=[child])
    Person.objects.filter(pk=child.pk).update(address_line1="4 High Street")

    approve_child_protection(referral, social_worker, team_manager)

    proposals = {
        c.person_id: (c.source, c.included)
        for c in Ird.objects.get(referral=referral).children.all()
    }
    assert proposals == {
        child.pk: (IrdChild.Source.REFERRAL, True),
        brother.pk: (IrdChild.Source.SIBLING, None),
        half_sister.pk: (IrdChild.Source.SIBLING, None),
        same_address.pk: (IrdChild.Source.HOUSEHOLD, None),
    }
    assert unrelated.pk not in proposals and adult_same_address.pk not in proposals
    assert mother.pk not in proposals


def test_the_household_is_found_in_one_query(django_assert_num_queries, social_worker):
    """Issue 14: the named children, brothers and sisters (through the adults named in the
    concern too) and the household (living with the same adult) in one query, in that order."""
    today = timezone.localdate()
    child = PersonFactory(first_name="Ava", last_name="Reid")
    second = PersonFactory(first_name="Ben", last_name="Reid")
    father = PersonFactory(first_name="Tom", last_name="Reid", date_of_birth=None)
    partner = PersonFactory(first_name="Lynn", last_name="Hay", date_of_birth=None)
    fathers_son = PersonFactory(first_name="Sam", last_name="Reid")
    partners_daughter = PersonFactory(first_name="Ella", last_name="Hay")
    merged = PersonFactory(first_name="Sam", last_name="Reid")
    merged.merged_into = fathers_son
    merged.save()
    referral = make_referral(
        team=social_worker.team, received_by=social_worker, children=[child, second]
    )
    referral.adult_links.create(person=father, relationship="parent", position=0)
    Relationship.objects.create(person=fathers_son, relative=father, kind="parent")
    Relationship.objects.create(person=merged, relative=father, kind="parent")
    Relationship.objects.create(
        person=child, relative=partner, kind="household_member", lives_with=True
    )
    Relationship.objects.create(
        person=partners_daughter, relative=partner, kind="parent", lives_with=True
    )

    with django_assert_num_queries(1):
        found = selectors.household_children(referral, today)

    assert [(person.pk, source) for person, source in found] == [
        (child.pk, IrdChild.Source.REFERRAL),
        (second.pk, IrdChild.Source.REFERRAL),
        (fathers_son.pk, IrdChild.Source.SIBLING),
        (partners_daughter.pk, IrdChild.Source.HOUSEHOLD),
    ]


def test_coordinator_includes_a_child_or_records_why_not(requested_ird, team_manager):
    sibling = PersonFactory(first_name="Leo")
    proposed = IrdChild.objects.create(
        ird=requested_ird, person=sibling, source=IrdChild.Source.SIBLING
    )

    with pytest.raises(IrdRefused, match="why"):
        services.child_decide(child=proposed, by=team_manager, include=False, reason=" ")
    services.child_decide(
        child=proposed, by=team_manager, include=False, reason="Lives with his father in Aberdeen."
    )

    proposed.refresh_from_db()
    assert proposed.included is False
    assert proposed.reason_not_included == "Lives with his father in Aberdeen."
    named = requested_ird.children.get(source=IrdChild.Source.REFERRAL)
    with pytest.raises(IrdRefused, match="always covered"):
        services.child_decide(child=named, by=team_manager, include=False, reason="x")


# --- Scheduling and cancelling ---------------------------------------------------------------


def test_scheduling_invites_and_moves_the_referral_on(scheduled_ird, participants, team_manager):
    assert scheduled_ird.status == Ird.Status.SCHEDULED
    assert scheduled_ird.coordinator == team_manager
    invited = set(scheduled_ird.invitations.values_list("staff_id", flat=True))
    assert invited == {person.pk for person in participants}
    assert scheduled_ird.referral.status == Referral.Status.IRD_SCHEDULED
    assert ChronologyEntry.objects.filter(
        referral=scheduled_ird.referral, summary__contains="scheduled for"
    ).exists()


def test_scheduling_needs_police_health_and_social_work(
    requested_ird, team_manager, chair, recorder, education_participant
):
    with pytest.raises(IrdRefused, match="health"):
        services.ird_schedule(
            ird=requested_ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=[education_participant]),
        )
    requested_ird.refresh_from_db()
    assert requested_ird.status == Ird.Status.REQUESTED
    assert not requested_ird.invitations.exists()


def test_only_a_coordinator_schedules(
    requested_ird, social_worker, other_team_manager, chair, recorder, participants
):
    for person in (social_worker, other_team_manager, chair):
        with pytest.raises(NotPermitted):
            services.ird_schedule(
                ird=requested_ird,
                by=person,
                plan=plan(chair=chair, recorder=recorder, participants=participants),
            )


def test_a_stale_schedule_form_is_refused(
    scheduled_ird, team_manager, chair, recorder, participants
):
    stale = scheduled_ird.version - 1
    with pytest.raises(EditConflict):
        services.ird_schedule(
            ird=scheduled_ird,
            by=team_manager,
            expected_version=stale,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )


def test_cancelling_a_scheduled_ird_takes_the_referral_back(scheduled_ird, team_manager):
    with pytest.raises(IrdRefused, match="reason"):
        services.ird_cancel(ird=scheduled_ird, by=team_manager, reason="")

    ird = services.ird_cancel(ird=scheduled_ird, by=team_manager, reason="Family moved.")

    assert ird.status == Ird.Status.CANCELLED
    assert ird.referral.status == Referral.Status.DECIDED
    # A new request can follow a cancelled one.
    again = services.ird_request_open(referral=ird.referral, decision=None, by=team_manager)
    assert again.pk != ird.pk and again.status == Ird.Status.REQUESTED


def test_an_ird_under_way_cannot_be_cancelled(started_ird, team_manager):
    with pytest.raises(IrdRefused, match="started"):
        services.ird_cancel(ird=started_ird, by=team_manager, reason="Changed our minds.")


def test_a_closed_referral_cannot_have_its_ird_scheduled(
    requested_ird, social_worker, team_manager, chair, recorder, participants
):
    screening.referral_close(
        referral=requested_ird.referral, closed_by=social_worker, reason="Transferred."
    )
    with pytest.raises(IrdRefused, match="closed"):
        services.ird_schedule(
            ird=requested_ird,
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )


# --- The meeting ------------------------------------------------------------------------------


def test_only_the_chair_or_recorder_starts_and_a_reason_is_needed(
    scheduled_ird, health_participant, team_manager, recorder
):
    for person in (health_participant, team_manager):
        with pytest.raises(NotPermitted):
            services.ird_start(ird=scheduled_ird, by=person, reason="Why")
    with pytest.raises(IrdRefused, match="why"):
        services.ird_start(ird=scheduled_ird, by=recorder, reason="  ")

    ird = services.ird_start(ird=scheduled_ird, by=recorder, reason="Injury at nursery.")

    assert ird.status == Ird.Status.IN_PROGRESS
    assert ird.started_at is not None and ird.reason == "Injury at nursery."
    assert ird.revisions.filter(key="reason").exists()


def test_only_the_recorder_edits_the_record(
    started_ird, chair, health_participant, team_manager, recorder
):
    for person in (chair, health_participant, team_manager):
        with pytest.raises(NotPermitted, match="recorder"):
            services.section_save(
                ird=started_ird, key="discussion", text="x", by=person, based_on=0
            )
        with pytest.raises(NotPermitted):
            services.decision_add(
                ird=started_ird, by=person, code=DecisionCode.objects.first(), rationale="r"
            )
    section = services.section_save(
        ird=started_ird, key="discussion", text="Shared.", by=recorder, based_on=0
    )
    assert section.version == 1


def test_conclusion_holds_the_ird_and_starts_the_follow_up(concluded_ird):
    assert concluded_ird.status == Ird.Status.CONCLUDED
    assert concluded_ird.referral.status == Referral.Status.IRD_HELD
    codes = set(concluded_ird.follow_up.values_list("code", flat=True))
    assert codes == set(FollowUpItem.Code.values) - {FollowUpItem.Code.MEDICAL}


@pytest.mark.parametrize(
    "missing", ["police", "health", "social_work", "lead", "decision", "child"]
)
def test_sign_off_is_refused_until_the_record_is_complete(
    started_ird, recorder, chair, social_worker, team_manager, missing
):
    kinds = {"police", "health", "social_work"}
    complete_record(
        started_ird,
        recorder=recorder,
        lead=social_worker,
        decision_code="no_further_action",
        skip={missing} - kinds,
        skip_kinds={missing} & kinds,
    )
    if missing == "child":
        IrdChild.objects.create(
            ird=started_ird, person=PersonFactory(), source=IrdChild.Source.SIBLING
        )
    ird = services.ird_conclude(ird=started_ird, by=recorder)

    with pytest.raises(SignOffRefused) as refusal:
        services.ird_sign_off(ird=ird, by=chair, confirmed=True)

    assert len(refusal.value.problems) == 1
    ird.refresh_from_db()
    assert ird.status == Ird.Status.CONCLUDED and ird.signed_off_at is None


def test_the_lead_professional_is_a_social_worker(started_ird, recorder, health_participant):
    with pytest.raises(IrdRefused, match="social worker"):
        services.lead_professional_name(ird=started_ird, by=recorder, lead=health_participant)


def test_only_the_chair_signs_off(concluded_ird, recorder, health_participant, team_manager):
    for person in (recorder, health_participant, team_manager):
        with pytest.raises(NotPermitted, match="chair"):
            services.ird_sign_off(ird=concluded_ird, by=person, confirmed=True)


def test_after_sign_off_nobody_edits_the_record(signed_ird, recorder):
    section = signed_ird.sections.get(key="discussion")
    with pytest.raises(RecordLocked):
        services.section_save(
            ird=signed_ird, key="discussion", text="Changed", by=recorder, based_on=section.version
        )
    with pytest.raises(RecordLocked):
        services.decision_add(
            ird=signed_ird,
            by=recorder,
            code=DecisionCode.objects.get(code="medical_examination"),
            rationale="Late",
        )
    with pytest.raises(RecordLocked):
        services.attendance_add(
            ird=signed_ird,
            by=recorder,
            agency=recorder.agency,
            name="Late",
            role="",
            joined_at=timezone.now(),
        )
    section.refresh_from_db()
    assert section.text == ""


def test_signing_off_twice_is_harmless(signed_ird, chair):
    again = services.ird_sign_off(ird=signed_ird, by=chair, confirmed=True)
    assert again.signed_off_at == signed_ird.signed_off_at


def test_sign_off_notes_the_decisions_in_each_covered_childs_chronology(signed_ird):
    child = signed_ird.referral.children.get()
    entry = ChronologyEntry.objects.filter(person=child, summary__contains="signed off").get()
    assert "Child protection investigation" in entry.summary


def test_a_medical_decision_adds_the_medical_follow_up(started_ird, recorder, chair, social_worker):
    complete_record(
        started_ird, recorder=recorder, lead=social_worker, decision_code="medical_examination"
    )
    ird = services.ird_conclude(ird=started_ird, by=recorder)
    assert ird.follow_up.filter(code=FollowUpItem.Code.MEDICAL).exists()


def test_follow_up_is_ticked_by_those_responsible(signed_ird, health_participant, team_manager):
    item = signed_ird.follow_up.first()
    with pytest.raises(NotPermitted):
        services.follow_up_done(item=item, by=health_participant)
    done = services.follow_up_done(item=item, by=team_manager, note="Done at the visit.")
    assert done.done_at is not None and done.done_by == team_manager


# --- Repeat IRDs and a second child protection approval ----------------------------------------


def test_one_ird_at_a_time_for_a_referral(scheduled_ird, social_worker, team_manager):
    again = services.ird_request_open(
        referral=scheduled_ird.referral, decision=None, by=team_manager
    )
    assert again == scheduled_ird


def test_a_repeat_concern_gets_its_own_ird(signed_ird, social_worker, team_manager):
    child = signed_ird.referral.children.get()
    referral = make_referral(team=social_worker.team, received_by=social_worker, children=[child])
    approve_child_protection(referral, social_worker, team_manager)
    assert Ird.objects.filter(referral=referral, status=Ird.Status.REQUESTED).exists()
