"""referral_receive: the one entry point for a concern, from the form or a partner system."""

import datetime
import re
import uuid

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referrals.matching import Candidate
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    CumulativeHarmFlag,
    Notification,
    Person,
    ReferenceCounter,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
)
from referrals.services import intake
from tests.factories import PersonFactory, StaffFactory, category, make_referral

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
REFERENCE = re.compile(r"^CW-(\d{4})-(\d{6})$")
VALID_CHI = "0101101234"  # 01/01/10, a valid mod-11 check digit


def _at(year, month, day, hour=12):
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


def _concern(*, source_agency, children=(), adults=(), categories=("neglect",), **overrides):
    values = {
        "channel": Referral.Channel.PHONE,
        "source_agency": source_agency,
        "referrer_name": "Anne Watt",
        "summary": "Child seen hungry at school.",
        "immediate_risk": False,
        "categories": [category(code) for code in categories],
        "sharing_basis": Referral.SharingBasis.SAFEGUARDING,
        "received_at": timezone.now(),
        "children": list(children),
        "adults": list(adults),
    }
    values.update(overrides)
    return intake.Concern(**values)


def _new_child(**fields):
    values = {"first_name": "Ava", "last_name": "Smith", "date_of_birth": datetime.date(2016, 5, 1)}
    values.update(fields)
    return intake.ChildIntake(details=intake.PersonFields(**values))


def _counts() -> dict:
    models = (
        Referral,
        Person,
        ReferralChild,
        ReferralAdult,
        Relationship,
        ChronologyEntry,
        AuditEntry,
        Notification,
        CumulativeHarmFlag,
    )
    counts = {model.__name__: model.objects.count() for model in models}
    counts["counters"] = list(
        ReferenceCounter.objects.order_by("name").values_list("name", "value")
    )
    return counts


def _number(reference: str) -> int:
    match = REFERENCE.match(reference)
    assert match, reference
    return int(match.group(2))


# --- the referral itself ----------------------------------------------------------------------


def test_records_the_concern_as_received(social_worker, police):
    received_at = _at(2026, 2, 3)
    occurred_at = _at(2026, 2, 2, 20)
    concern = _concern(
        source_agency=police,
        children=[_new_child()],
        received_at=received_at,
        occurred_at=occurred_at,
        categories=("neglect", "domestic_abuse"),
        referrer_role="Constable",
        external_reference="PS-123",
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    referral.refresh_from_db()
    assert REFERENCE.match(referral.reference)
    assert referral.reference.startswith("CW-2026-")
    assert referral.status == Referral.Status.RECEIVED
    assert referral.version == 1
    assert referral.team == social_worker.team
    assert referral.source_agency == police
    assert referral.received_by == social_worker
    assert referral.received_at == received_at
    assert referral.occurred_at == occurred_at
    assert referral.referrer_role == "Constable"
    assert referral.external_reference == "PS-123"
    assert set(referral.categories.values_list("code", flat=True)) == {"neglect", "domestic_abuse"}


def test_received_at_defaults_to_now(social_worker):
    before = timezone.now()
    concern = _concern(
        source_agency=social_worker.agency, children=[_new_child()], received_at=None
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    assert before <= referral.received_at <= timezone.now()


# --- children ---------------------------------------------------------------------------------


def test_new_child_gets_a_new_person_record(social_worker):
    concern = _concern(
        source_agency=social_worker.agency,
        children=[_new_child(chi_number=VALID_CHI, postcode="iv30 1ab", school="West End")],
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    link = ReferralChild.objects.get(referral=referral)
    assert link.match == ReferralChild.Match.NEW_RECORD
    assert link.proposed_match is None
    child = link.person
    assert (child.first_name, child.last_name) == ("Ava", "Smith")
    assert child.chi_number == VALID_CHI
    assert child.postcode == "IV30 1AB"  # normalised on save
    assert child.school == "West End"
    assert list(referral.children.all()) == [child]


def test_existing_child_is_linked_not_copied(social_worker):
    child = PersonFactory(first_name="Ava", last_name="Smith", chi_number=VALID_CHI)
    people_before = Person.objects.count()
    concern = _concern(
        source_agency=social_worker.agency,
        children=[
            intake.ChildIntake(
                details=intake.PersonFields(first_name="Ava", last_name="Smith"),
                existing=child,
                match_score=100,
            )
        ],
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    assert Person.objects.count() == people_before
    link = ReferralChild.objects.get(referral=referral)
    assert link.person == child
    assert link.match == ReferralChild.Match.MATCHED
    assert link.match_score == 100


def test_existing_child_gains_only_what_it_lacked(social_worker):
    child = PersonFactory(
        first_name="Ava",
        last_name="Smith",
        postcode="IV30 1AB",
        school="",
        date_of_birth=datetime.date(2016, 5, 1),
    )
    concern = _concern(
        source_agency=social_worker.agency,
        children=[
            intake.ChildIntake(
                details=intake.PersonFields(
                    first_name="Eva",
                    last_name="Smyth",
                    postcode="AB56 1AA",
                    school="Seafield",
                    date_of_birth=datetime.date(2017, 1, 1),
                ),
                existing=child,
            )
        ],
    )

    intake.referral_receive(concern=concern, team=social_worker.team, received_by=social_worker)

    child.refresh_from_db()
    assert child.school == "Seafield"  # was blank: filled
    # Held already: never overwritten by what a referrer typed.
    assert (child.first_name, child.last_name) == ("Ava", "Smith")
    assert child.postcode == "IV30 1AB"
    assert child.date_of_birth == datetime.date(2016, 5, 1)
    change = AuditEntry.objects.get(action=AuditEntry.Action.CHANGE, object_id=str(child.pk))
    assert change.detail == {"fields": ["school"]}
    assert change.actor == social_worker


def test_existing_child_with_nothing_new_gets_no_change_audit(social_worker):
    child = PersonFactory()
    make_referral(team=social_worker.team, received_by=social_worker, children=[child])

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE).exists()


def test_possible_match_awaits_confirmation_on_a_new_record(social_worker):
    possible = PersonFactory(first_name="Ava", last_name="Smith")
    concern = _concern(
        source_agency=social_worker.agency,
        children=[
            intake.ChildIntake(
                details=intake.PersonFields(first_name="Ava", last_name="Smyth"),
                to_confirm=possible,
                match_score=70,
            )
        ],
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    link = ReferralChild.objects.get(referral=referral)
    assert link.match == ReferralChild.Match.TO_CONFIRM
    assert link.proposed_match == possible
    assert link.match_score == 70
    assert link.person != possible
    assert link.person.last_name == "Smyth"


def test_several_children_are_all_linked(social_worker):
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[
            intake.PersonFields(first_name=name, last_name="Ross")
            for name in ("Isla", "Rory", "Freya")
        ],
    )

    names = set(referral.child_links.values_list("person__first_name", flat=True))
    assert names == {"Isla", "Rory", "Freya"}


# --- adults and relationships -----------------------------------------------------------------


def test_adult_is_linked_and_related_to_every_child(social_worker):
    mother = intake.AdultIntake(
        details=intake.PersonFields(first_name="Karen", last_name="Ross"),
        relationship=Relationship.Kind.PARENT,
    )
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        adults=[mother],
        children=[
            intake.PersonFields(first_name=name, last_name="Ross") for name in ("Isla", "Rory")
        ],
    )

    adult_link = ReferralAdult.objects.get(referral=referral)
    assert adult_link.person.first_name == "Karen"
    assert adult_link.relationship == "parent"
    relationships = Relationship.objects.filter(relative=adult_link.person)
    assert {r.person.first_name for r in relationships} == {"Isla", "Rory"}
    assert {r.kind for r in relationships} == {Relationship.Kind.PARENT}


def test_free_text_relationship_links_the_adult_without_a_relationship_row(social_worker):
    neighbour = intake.AdultIntake(
        details=intake.PersonFields(first_name="Scott", last_name="Watt"),
        relationship="neighbour who raised the concern",
    )

    referral = make_referral(team=social_worker.team, received_by=social_worker, adults=[neighbour])

    link = ReferralAdult.objects.get(referral=referral)
    assert link.relationship == "neighbour who raised the concern"
    assert not Relationship.objects.exists()


def test_a_second_referral_reuses_the_existing_adult_and_relationship(social_worker):
    child = PersonFactory(first_name="Isla", last_name="Ross")
    mother = PersonFactory(first_name="Karen", last_name="Ross", date_of_birth=None)
    for _ in range(2):
        make_referral(
            team=social_worker.team,
            received_by=social_worker,
            children=[child],
            adults=[
                intake.AdultIntake(
                    details=intake.PersonFields(first_name="Karen", last_name="Ross"),
                    relationship=Relationship.Kind.PARENT,
                    existing=mother,
                )
            ],
        )

    assert ReferralAdult.objects.filter(person=mother).count() == 2
    assert Relationship.objects.get().person == child
    assert Person.objects.count() == 2


# --- chronology, audit, notifications ---------------------------------------------------------


def test_each_child_gets_a_concern_in_their_chronology(social_worker, police):
    occurred_at = _at(2026, 1, 10, 22)
    concern = _concern(
        source_agency=police,
        occurred_at=occurred_at,
        received_at=_at(2026, 1, 11),
        children=[_new_child(first_name="Isla"), _new_child(first_name="Rory")],
        categories=("neglect", "domestic_abuse"),
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    entries = ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.CONCERN)
    assert entries.count() == 2
    assert {entry.person.first_name for entry in entries} == {"Isla", "Rory"}
    for entry in entries:
        assert entry.referral_id == referral.pk
        # Issue 12 defect 10: on the chronology when the agencies heard of it, with when it
        # happened in words.
        assert entry.occurred_at == _at(2026, 1, 11)
        assert "about events of 10 January 2026" in entry.summary
        assert entry.recorded_by == social_worker
        assert police.name in entry.summary
        assert "Neglect" in entry.summary and "Domestic abuse" in entry.summary


def test_chronology_falls_back_to_received_at(social_worker):
    received_at = _at(2026, 3, 1)
    referral = make_referral(
        team=social_worker.team, received_by=social_worker, received_at=received_at
    )

    entry = ChronologyEntry.objects.get(referral=referral)
    assert entry.occurred_at == received_at


def test_audit_names_who_created_the_referral_and_each_new_person(social_worker):
    existing = PersonFactory()
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        children=[existing, intake.PersonFields(first_name="Rory", last_name="Ross")],
        adults=[
            intake.AdultIntake(details=intake.PersonFields(first_name="Karen", last_name="Ross"))
        ],
    )

    created = AuditEntry.objects.filter(action=AuditEntry.Action.CREATE)
    new_people = Person.objects.exclude(pk=existing.pk)
    assert {(row.object_type, row.object_id) for row in created} == {
        ("referral", str(referral.pk)),
        *{("person", str(person.pk)) for person in new_people},
    }
    assert {row.actor for row in created} == {social_worker}
    assert {row.actor_role for row in created} == {Role.SOCIAL_WORKER}
    assert {row.actor_agency for row in created} == {"social-work"}


def test_partner_submission_is_audited_to_the_actor_given(duty_team, police):
    concern = _concern(
        source_agency=police, children=[_new_child()], channel=Referral.Channel.PARTNER_SYSTEM
    )

    referral = intake.referral_receive(
        concern=concern, team=duty_team, received_by=None, actor="api:police"
    )

    assert referral.received_by is None
    rows = AuditEntry.objects.all()
    assert rows.count() == 2  # referral and the new child
    assert {row.actor_label for row in rows} == {"api:police"}
    assert {row.actor_id for row in rows} == {None}
    assert ChronologyEntry.objects.get().recorded_by is None


def test_immediate_risk_tells_every_active_manager_of_the_team(
    social_worker, team_manager, duty_team, other_team_manager, service_manager
):
    second_manager = StaffFactory(role=Role.TEAM_MANAGER, team=duty_team)
    StaffFactory(role=Role.TEAM_MANAGER, team=duty_team, is_active=False)

    referral = make_referral(team=duty_team, received_by=social_worker, immediate_risk=True)

    notices = Notification.objects.filter(kind=Notification.Kind.IMMEDIATE_RISK)
    assert {n.recipient for n in notices} == {team_manager, second_manager}
    assert {n.referral_id for n in notices} == {referral.pk}
    assert all(referral.reference in n.title for n in notices)


def test_no_immediate_risk_no_notification(social_worker, team_manager):
    make_referral(team=social_worker.team, received_by=social_worker, immediate_risk=False)

    assert not Notification.objects.exists()


def test_third_concern_in_a_year_raises_a_flag_through_intake(social_worker, team_manager):
    child = PersonFactory()
    for days_ago in (200, 100, 0):
        make_referral(
            team=social_worker.team,
            received_by=social_worker,
            children=[child],
            categories=("domestic_abuse",),
            received_at=timezone.now() - datetime.timedelta(days=days_ago),
        )

    flag = CumulativeHarmFlag.objects.get(person=child)
    assert flag.rule.name == "Three concerns in twelve months"
    assert flag.concern_count == 3


# --- references -------------------------------------------------------------------------------


def test_many_referrals_in_one_year_get_consecutive_unique_references(social_worker):
    referrals = [
        make_referral(
            team=social_worker.team,
            received_by=social_worker,
            received_at=_at(2024, 1 + n % 12, 1 + n % 28),
        )
        for n in range(30)
    ]

    references = [referral.reference for referral in referrals]
    assert len(set(references)) == 30
    assert all(reference.startswith("CW-2024-") for reference in references)
    numbers = [_number(reference) for reference in references]
    assert numbers == list(range(numbers[0], numbers[0] + 30))
    assert ReferenceCounter.objects.get(name="referral-2024").value == numbers[-1]


def test_each_year_has_its_own_counter(social_worker):
    first_2024 = make_referral(team=social_worker.team, received_at=_at(2024, 12, 31, 23))
    first_2025 = make_referral(team=social_worker.team, received_at=_at(2025, 1, 1, 0))
    second_2024 = make_referral(team=social_worker.team, received_at=_at(2024, 6, 1))

    assert first_2024.reference.startswith("CW-2024-")
    assert first_2025.reference.startswith("CW-2025-")
    assert _number(second_2024.reference) == _number(first_2024.reference) + 1
    assert _number(first_2025.reference) == 1


# The team is shared by every example on purpose; the counters are read before each one.
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(years=st.lists(st.sampled_from([2023, 2024, 2025]), min_size=1, max_size=8))
def test_references_never_repeat_and_count_up_per_year(duty_team, years):
    before = dict(ReferenceCounter.objects.values_list("name", "value"))

    references = [
        make_referral(team=duty_team, received_at=_at(year, 3, 1)).reference for year in years
    ]

    assert len(set(references)) == len(references)
    for year in set(years):
        numbers = [_number(ref) for ref in references if ref.startswith(f"CW-{year}-")]
        start = before.get(f"referral-{year}", 0) + 1
        assert numbers == list(range(start, start + years.count(year)))


# --- all or nothing ---------------------------------------------------------------------------


def test_repeated_intake_token_is_refused_and_records_nothing(social_worker):
    token = uuid.uuid4()
    first = intake.referral_receive(
        concern=_concern(
            source_agency=social_worker.agency, children=[_new_child()], intake_token=token
        ),
        team=social_worker.team,
        received_by=social_worker,
    )
    before = _counts()

    with pytest.raises(IntegrityError):
        intake.referral_receive(
            concern=_concern(
                source_agency=social_worker.agency,
                children=[_new_child(first_name="Rory")],
                intake_token=token,
            ),
            team=social_worker.team,
            received_by=social_worker,
        )

    assert _counts() == before
    assert Referral.objects.get(intake_token=token) == first


def test_failure_part_way_through_leaves_no_trace(social_worker, team_manager):
    PersonFactory(chi_number=VALID_CHI)
    before = _counts()
    # The second child's CHI belongs to another record: the database refuses it after the
    # referral, the first child and its audit rows were written.
    concern = _concern(
        source_agency=social_worker.agency,
        immediate_risk=True,
        children=[_new_child(first_name="Rory"), _new_child(chi_number=VALID_CHI)],
    )

    with pytest.raises(IntegrityError):
        intake.referral_receive(concern=concern, team=social_worker.team, received_by=social_worker)

    assert _counts() == before


# --- Choosing each person's record at the confirm step ----------------------------------------


def _candidate(person, *, certain=False):
    return Candidate(
        person=person,
        score=100 if certain else 70,
        reasons=("Same CHI number",) if certain else ("Similar name",),
        certain=certain,
        referral_count=0,
        last_referred_at=None,
    )


def _to_match(field, choice, *candidates):
    return intake.PersonToMatch(field=field, name="the child", candidates=candidates, choice=choice)


@pytest.mark.django_db
def test_each_person_gets_the_record_chosen_or_a_new_one():
    record = PersonFactory()
    likely = _candidate(record)
    chosen, errors = intake.records_choose(
        [_to_match("match-child-0", str(record.pk), likely), _to_match("match-adult-0", "new")]
    )
    assert errors == {}
    assert chosen == {"match-child-0": likely, "match-adult-0": None}


@pytest.mark.django_db
def test_a_new_record_is_refused_where_one_shares_the_chi_number():
    certain = _candidate(PersonFactory(), certain=True)
    chosen, errors = intake.records_choose([_to_match("match-child-0", "new", certain)])
    assert chosen == {}
    assert "CHI number already exists" in errors["match-child-0"]


@pytest.mark.django_db
def test_one_record_cannot_stand_for_two_people_nor_an_unoffered_one_be_chosen():
    record, elsewhere = PersonFactory(), PersonFactory()
    likely = _candidate(record)
    chosen, errors = intake.records_choose(
        [
            _to_match("match-child-0", str(record.pk), likely),
            _to_match("match-child-1", str(record.pk), likely),
            _to_match("match-adult-0", str(elsewhere.pk), likely),
            _to_match("match-adult-1", "", likely),
        ]
    )
    assert chosen == {"match-child-0": likely}
    assert "same record for two people" in errors["match-child-1"]
    assert errors["match-adult-0"] == errors["match-adult-1"]
    assert errors["match-adult-1"].startswith("Choose the record for the child")
