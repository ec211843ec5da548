"""person_merge: fold a duplicate record into the one kept."""

import datetime

import pytest

from referrals.errors import MergeRefused, NotPermitted
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Person,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
)
from referrals.services import intake
from referrals.services.people import person_merge
from tests.factories import PersonFactory, StaffFactory, make_referral

pytestmark = pytest.mark.django_db

DOB = datetime.date(2015, 3, 4)
CHI_A = "0403151234"
CHI_B = "0403151242"
BASE = datetime.datetime(2025, 1, 15, 10, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def _snapshot() -> dict:
    """All a merge touches, to prove a refused merge changed nothing."""
    return {
        "people": sorted(
            Person.objects.values_list(
                "id", "merged_into", "chi_number", "school", "date_of_birth", "postcode"
            )
        ),
        "child_links": sorted(ReferralChild.objects.values_list("id", "person")),
        "adult_links": sorted(ReferralAdult.objects.values_list("id", "person")),
        "chronology": sorted(ChronologyEntry.objects.values_list("id", "person")),
        "flags": sorted(CumulativeHarmFlag.objects.values_list("id", "person", "status")),
        "relationships": sorted(Relationship.objects.values_list("id", "person", "relative")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def keep():
    return PersonFactory(
        first_name="Ava", last_name="Smith", date_of_birth=DOB, postcode="IV30 1AB", school=""
    )


@pytest.fixture
def duplicate():
    return PersonFactory(
        first_name="Eva",
        last_name="Smyth",
        date_of_birth=DOB,
        postcode="",
        school="West End Primary",
        town="Elgin",
    )


def test_referrals_and_chronology_move_to_the_kept_record(keep, duplicate, duty_team, team_manager):
    kept_referral = make_referral(team=duty_team, children=[keep], received_at=BASE)
    moved_referral = make_referral(team=duty_team, children=[duplicate], received_at=BASE + DAY)

    result = person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert result == keep
    assert set(ReferralChild.objects.filter(person=keep).values_list("referral", flat=True)) == {
        kept_referral.pk,
        moved_referral.pk,
    }
    assert not ReferralChild.objects.filter(person=duplicate).exists()
    assert not ChronologyEntry.objects.filter(person=duplicate).exists()
    kinds = list(ChronologyEntry.objects.filter(person=keep).values_list("kind", flat=True))
    assert kinds.count(ChronologyEntry.Kind.CONCERN) == 2
    assert kinds.count(ChronologyEntry.Kind.RECORD_MERGED) == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into == keep


def test_adult_links_move_too(keep, duplicate, duty_team, service_manager):
    referral = make_referral(
        team=duty_team,
        adults=[
            intake.AdultIntake(
                details=intake.PersonFields(first_name="Eva", last_name="Smyth"),
                existing=duplicate,
                relationship="aunt",
            )
        ],
    )

    person_merge(keep=keep, duplicate=duplicate, merged_by=service_manager)

    assert ReferralAdult.objects.get(referral=referral).person == keep


def test_blanks_on_the_kept_record_are_filled_and_nothing_overwritten(
    keep, duplicate, team_manager
):
    keep.town = "Forres"
    keep.save()

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    keep.refresh_from_db()
    assert keep.school == "West End Primary"  # was blank
    assert keep.town == "Forres"  # already held
    assert (keep.first_name, keep.last_name) == ("Ava", "Smith")
    assert keep.postcode == "IV30 1AB"


def test_chi_number_moves_to_the_kept_record(keep, duplicate, team_manager):
    duplicate.chi_number = CHI_A
    duplicate.save()

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert keep.chi_number == CHI_A
    assert duplicate.chi_number == ""


def test_same_chi_on_one_side_only_is_fine(keep, duplicate, team_manager):
    keep.chi_number = CHI_A
    keep.save()

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    keep.refresh_from_db()
    assert keep.chi_number == CHI_A


def test_flags_move_to_the_kept_record(keep, duplicate, duty_team, team_manager):
    for day in range(3):
        make_referral(
            team=duty_team,
            children=[duplicate],
            categories=("domestic_abuse",),
            received_at=BASE + day * DAY,
        )
    flag = CumulativeHarmFlag.objects.get(person=duplicate)

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    flag.refresh_from_db()
    assert flag.person == keep
    assert flag.status == CumulativeHarmFlag.Status.OPEN


def test_relationships_are_carried_over_both_ways(keep, duplicate, team_manager):
    mother = PersonFactory(first_name="Karen", last_name="Smith", date_of_birth=None)
    baby = PersonFactory(first_name="Leo", last_name="Smith")
    Relationship.objects.create(
        person=duplicate, relative=mother, kind=Relationship.Kind.PARENT, lives_with=True
    )
    Relationship.objects.create(person=baby, relative=duplicate, kind=Relationship.Kind.SIBLING)
    # A relationship between the two records becomes nothing: a person is not their own sibling.
    Relationship.objects.create(person=duplicate, relative=keep, kind=Relationship.Kind.SIBLING)

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    parent = Relationship.objects.get(person=keep, relative=mother)
    assert parent.kind == Relationship.Kind.PARENT
    assert parent.lives_with
    assert Relationship.objects.filter(
        person=baby, relative=keep, kind=Relationship.Kind.SIBLING
    ).exists()
    assert not Relationship.objects.filter(person=keep, relative=keep).exists()


def test_both_records_get_a_merge_audit_row(keep, duplicate, team_manager):
    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    rows = AuditEntry.objects.filter(action=AuditEntry.Action.MERGE)
    by_object = {row.object_id: row for row in rows}
    assert set(by_object) == {str(keep.pk), str(duplicate.pk)}
    assert by_object[str(keep.pk)].detail["merged"] == str(duplicate.pk)
    assert by_object[str(keep.pk)].detail["filled"] == ["town", "school"]
    assert by_object[str(duplicate.pk)].detail == {"into": str(keep.pk)}
    assert {row.actor for row in rows} == {team_manager}
    assert {row.object_type for row in rows} == {"person"}


def test_merged_record_no_longer_blocks_its_chi_on_a_new_record(keep, duplicate, team_manager):
    duplicate.chi_number = CHI_A
    duplicate.save()
    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert Person.objects.filter(chi_number=CHI_A, merged_into__isnull=True).get() == keep


# --- refusals ---------------------------------------------------------------------------------


def test_different_chi_numbers_are_refused(keep, duplicate, team_manager):
    keep.chi_number = CHI_A
    keep.save()
    duplicate.chi_number = CHI_B
    duplicate.save()
    before = _snapshot()

    with pytest.raises(MergeRefused, match="different CHI"):
        person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert _snapshot() == before


def test_merging_a_record_with_itself_is_refused(keep, team_manager):
    before = _snapshot()

    with pytest.raises(MergeRefused):
        person_merge(keep=keep, duplicate=keep, merged_by=team_manager)

    assert _snapshot() == before


@pytest.mark.parametrize("which", ["keep", "duplicate"])
def test_already_merged_records_are_refused(keep, duplicate, team_manager, which):
    elsewhere = PersonFactory()
    target = keep if which == "keep" else duplicate
    target.merged_into = elsewhere
    target.save()
    before = _snapshot()

    with pytest.raises(MergeRefused, match="already been merged"):
        person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert _snapshot() == before


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.HUB_REVIEWER, Role.COMMITTEE, Role.ADMINISTRATOR]
)
def test_only_managers_can_merge(keep, duplicate, duty_team, role):
    staff = StaffFactory(role=role, team=duty_team)
    before = _snapshot()

    with pytest.raises(NotPermitted):
        person_merge(keep=keep, duplicate=duplicate, merged_by=staff)

    assert _snapshot() == before


def test_partner_agency_manager_cannot_merge(keep, duplicate, police):
    staff = StaffFactory(role=Role.TEAM_MANAGER, team=None, agency=police)
    before = _snapshot()

    with pytest.raises(NotPermitted):
        person_merge(keep=keep, duplicate=duplicate, merged_by=staff)

    assert _snapshot() == before


def test_a_stale_copy_of_a_merged_record_is_refused(keep, duplicate, team_manager):
    """The rows are re-read under lock: an instance loaded before the first merge is no
    excuse for a second one."""
    stale = Person.objects.get(pk=duplicate.pk)
    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)
    another = PersonFactory()
    before = _snapshot()

    with pytest.raises(MergeRefused):
        person_merge(keep=another, duplicate=stale, merged_by=team_manager)

    assert _snapshot() == before


# --- leftovers --------------------------------------------------------------------------------


def test_shared_referral_lists_the_child_once_after_merge(keep, duplicate, duty_team, team_manager):
    referral = make_referral(team=duty_team, children=[keep, duplicate])

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert list(
        ReferralChild.objects.filter(referral=referral).values_list("person", flat=True)
    ) == [keep.pk]


def test_no_relationship_still_points_at_the_merged_record(keep, duplicate, team_manager):
    mother = PersonFactory(first_name="Karen", last_name="Smith", date_of_birth=None)
    Relationship.objects.create(person=duplicate, relative=mother, kind=Relationship.Kind.PARENT)

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert [r.person for r in Relationship.objects.filter(relative=mother)] == [keep]


def test_no_open_flag_is_stranded_on_the_merged_record(keep, duplicate, duty_team, team_manager):
    for person in (keep, duplicate):
        for day in range(3):
            make_referral(
                team=duty_team,
                children=[person],
                categories=("domestic_abuse",),
                received_at=BASE + day * DAY,
            )
    rule = CumulativeHarmRule.objects.get(name="Three concerns in twelve months")
    assert CumulativeHarmFlag.objects.filter(rule=rule, status="open").count() == 2

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert not CumulativeHarmFlag.objects.filter(person=duplicate, status="open").exists()


# --- A pre-birth record and the same child after birth (issue 12) --------------------------


@pytest.fixture
def pre_birth():
    return PersonFactory(
        first_name="Baby",
        last_name="Reid",
        date_of_birth=None,
        unborn=True,
        expected_date_of_delivery=datetime.date(2026, 6, 1),
    )


@pytest.fixture
def born():
    return PersonFactory(
        first_name="Isla", last_name="Reid", date_of_birth=datetime.date(2026, 5, 28), chi_number=""
    )


def test_keeping_the_pre_birth_record_records_the_birth(pre_birth, born, team_manager):
    """The born record's date of birth and CHI number went onto a record still marked unborn:
    the database refused an unborn child with a CHI number (a server error)."""
    Person.objects.filter(pk=born.pk).update(chi_number="2805261236")

    kept = person_merge(keep=pre_birth, duplicate=born, merged_by=team_manager)

    kept.refresh_from_db()
    assert (kept.unborn, kept.date_of_birth, kept.chi_number) == (
        False,
        datetime.date(2026, 5, 28),
        "2805261236",
    )
    assert kept.expected_date_of_delivery is None
    birth = ChronologyEntry.objects.get(person=kept, kind=ChronologyEntry.Kind.BIRTH)
    assert "expected 1 June 2026" in birth.summary


def test_keeping_the_born_record_takes_no_due_date_from_the_pre_birth_one(
    pre_birth, born, team_manager
):
    kept = person_merge(keep=born, duplicate=pre_birth, merged_by=team_manager)

    kept.refresh_from_db()
    assert (kept.unborn, kept.expected_date_of_delivery) == (False, None)
    assert kept.date_of_birth == datetime.date(2026, 5, 28)
