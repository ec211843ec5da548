"""Reads that escaped the audit (issue 9): the screening form, the merge page, the home page's
lists and the IRD calendar file each write exactly one audit row, as the referral page does."""

from referrals.models import AuditEntry
from tests.factories import PersonFactory, make_referral


def rows_after(mark):
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def mark():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_the_screening_form_is_one_audited_read(client, social_worker, duty_team):
    referral = make_referral(team=duty_team, received_by=social_worker)
    client.force_login(social_worker)
    before = mark()

    assert client.get(f"/referrals/{referral.pk}/screening/").status_code == 200

    [row] = rows_after(before)
    assert (row.action, row.object_type, row.object_id) == ("view", "referral", str(referral.pk))
    assert row.detail == {"page": "screening"}


def test_the_merge_page_is_one_audited_read_naming_the_candidates(client, team_manager, duty_team):
    person = PersonFactory(first_name="Ava", last_name="Smith")
    twin = PersonFactory(first_name="Ava", last_name="Smith", date_of_birth=person.date_of_birth)
    client.force_login(team_manager)
    before = mark()

    assert client.get(f"/people/{person.pk}/merge/").status_code == 200

    [row] = rows_after(before)
    assert (row.action, row.object_type, row.object_id) == ("view", "person", str(person.pk))
    assert str(twin.pk) in row.detail["shown"]


def test_the_home_page_lists_are_one_audited_read(client, social_worker, duty_team):
    referrals = [make_referral(team=duty_team, received_by=social_worker) for _ in range(3)]
    client.force_login(social_worker)
    before = mark()

    assert client.get("/").status_code == 200

    [row] = rows_after(before)
    assert (row.action, row.object_type) == ("view", "home")
    assert set(row.detail["referrals"]) == {str(r.pk) for r in referrals}


def test_the_home_page_of_someone_with_no_case_lists_writes_nothing(client, police_participant):
    client.force_login(police_participant)
    before = mark()

    client.get("/")

    assert rows_after(before) == []
