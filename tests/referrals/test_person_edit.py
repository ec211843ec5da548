"""Issue 12: a person's details can be corrected from their page (versioned, audited, the
previous values on the chronology), and a baby recorded before birth can have the birth
recorded (it failed on the database's check with a misleading 409)."""

import datetime

import pytest
from django.urls import reverse

from referrals.models import AuditEntry, ChronologyEntry, Person, ReferralChild
from referrals.services import intake
from tests.factories import make_referral
from tests.referrals.test_pages import chi_for

pytestmark = pytest.mark.django_db
BORN = datetime.date(2026, 11, 20)


def edit_form(person, **changes):
    data = {
        "version": person.version,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "known_as": person.known_as,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
        "unborn": "on" if person.unborn else "",
        "expected_date_of_delivery": (
            person.expected_date_of_delivery.isoformat() if person.expected_date_of_delivery else ""
        ),
        "chi_number": person.chi_number,
        "sex": person.sex,
        "address_line1": person.address_line1,
        "address_line2": person.address_line2,
        "town": person.town,
        "postcode": person.postcode,
        "school": person.school,
    }
    data.update(changes)
    return data


@pytest.fixture
def child(duty_team, social_worker):
    return make_referral(team=duty_team, received_by=social_worker).child_links.get().person


@pytest.fixture
def unborn(duty_team, social_worker):
    referral = make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[
            intake.PersonFields(
                first_name="Baby",
                last_name="Grant",
                unborn=True,
                expected_date_of_delivery=datetime.date.today() + datetime.timedelta(days=30),
            )
        ],
    )
    return referral.child_links.get().person


def test_a_correction_is_saved_audited_and_the_old_values_kept(client, social_worker, child):
    client.force_login(social_worker)

    response = client.post(
        reverse("person_edit", args=[child.pk]), edit_form(child, school="Elgin Academy")
    )

    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.school, child.version) == ("Elgin Academy", 2)
    entry = ChronologyEntry.objects.get(person=child, kind=ChronologyEntry.Kind.DETAILS_CHANGED)
    assert "School or nursery was none" in entry.summary
    row = AuditEntry.objects.get(object_id=str(child.pk), action="change")
    assert row.detail == {"fields": ["school"], "birth": False}


def test_recording_the_birth_on_a_pre_birth_record(client, social_worker, unborn):
    number = chi_for(BORN)
    client.force_login(social_worker)

    response = client.post(
        reverse("person_edit", args=[unborn.pk]),
        edit_form(unborn, date_of_birth=BORN.isoformat(), chi_number=number, first_name="Iona"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    unborn.refresh_from_db()
    assert (unborn.unborn, unborn.date_of_birth, unborn.chi_number) == (False, BORN, number)
    assert unborn.expected_date_of_delivery is not None  # the history is kept
    assert ChronologyEntry.objects.filter(
        person=unborn, kind=ChronologyEntry.Kind.BIRTH, summary__contains="born 20 November 2026"
    ).exists()


def test_a_stale_form_is_refused_and_changes_nothing(client, social_worker, child):
    client.force_login(social_worker)
    stale = edit_form(child, school="Old school")
    client.post(reverse("person_edit", args=[child.pk]), edit_form(child, school="New school"))

    response = client.post(reverse("person_edit", args=[child.pk]), stale)

    assert response.status_code == 409
    assert "Someone else changed this record" in response.content.decode()
    child.refresh_from_db()
    assert child.school == "New school"


def test_a_chi_number_of_another_record_is_refused_naming_the_field(
    client, social_worker, child, duty_team
):
    other = (
        make_referral(
            team=duty_team,
            children=[
                intake.PersonFields(
                    first_name="Other",
                    last_name="Child",
                    date_of_birth=child.date_of_birth,
                    chi_number=chi_for(child.date_of_birth, "456"),
                )
            ],
        )
        .child_links.get()
        .person
    )
    client.force_login(social_worker)

    response = client.post(
        reverse("person_edit", args=[child.pk]), edit_form(child, chi_number=other.chi_number)
    )

    assert response.status_code == 400
    assert "Merge the two records instead" in response.content.decode()
    assert Person.objects.get(pk=child.pk).chi_number == ""


def test_partners_and_quality_staff_cannot_edit(client, child, police_participant, hub_reviewer):
    client.force_login(police_participant)
    assert client.get(reverse("person_edit", args=[child.pk])).status_code == 404
    client.force_login(hub_reviewer)
    assert client.get(reverse("person_edit", args=[child.pk])).status_code in {403, 404}


# --- A possible match left to a person ("May be ...: confirm") -----------------------------


@pytest.fixture
def to_confirm(duty_team, social_worker, child):
    """A partner's concern about a child with the known child's details but another name: a
    new record, proposed as a match to confirm."""
    referral = make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[
            intake.PersonFields(
                first_name="Probe", last_name="Name", date_of_birth=child.date_of_birth
            )
        ],
    )
    link = referral.child_links.get()
    link.match, link.proposed_match = ReferralChild.Match.TO_CONFIRM, child
    link.save()
    return link


def test_a_manager_confirms_a_possible_match_and_the_records_become_one(
    client, team_manager, to_confirm, child
):
    new_record = to_confirm.person
    client.force_login(team_manager)
    page = client.get(reverse("referral_detail", args=[to_confirm.referral_id])).content.decode()
    assert "The same child: link the records" in page

    response = client.post(
        reverse("match_decide", args=[to_confirm.referral_id, to_confirm.pk]),
        {"outcome": "confirm"},
    )

    assert response.status_code == 302
    to_confirm.refresh_from_db()
    assert (to_confirm.person, to_confirm.match) == (child, ReferralChild.Match.MATCHED)
    assert to_confirm.match_decided_by == team_manager
    new_record.refresh_from_db()
    assert new_record.merged_into == child
    assert AuditEntry.objects.filter(detail__event="match_confirmed").exists()


def test_rejecting_a_possible_match_needs_a_reason(client, team_manager, to_confirm):
    client.force_login(team_manager)
    url = reverse("match_decide", args=[to_confirm.referral_id, to_confirm.pk])

    without = client.post(url, {"outcome": "reject"}, follow=True)
    assert "Say why this is a different child." in without.content.decode()
    to_confirm.refresh_from_db()
    assert to_confirm.match == ReferralChild.Match.TO_CONFIRM

    client.post(url, {"outcome": "reject", "because": "Different mother; born in Aberdeen."})

    to_confirm.refresh_from_db()
    assert to_confirm.match == ReferralChild.Match.REJECTED
    assert to_confirm.match_rejected_because == "Different mother; born in Aberdeen."
    assert to_confirm.person.merged_into is None
    again = client.post(url, {"outcome": "confirm"}, follow=True)
    assert "already been confirmed or rejected" in again.content.decode()


def test_only_managers_decide_a_match(client, social_worker, to_confirm):
    client.force_login(social_worker)

    response = client.post(
        reverse("match_decide", args=[to_confirm.referral_id, to_confirm.pk]),
        {"outcome": "confirm"},
    )

    assert response.status_code == 403
    to_confirm.refresh_from_db()
    assert to_confirm.match == ReferralChild.Match.TO_CONFIRM
