"""The read-only auditor (issue 9): reads every record in scope, changes nothing, and every
read is audited like anyone's."""

import pytest

from referrals.models import AuditEntry, Referral, Role
from tests.factories import StaffFactory, make_referral


@pytest.fixture
def auditor(social_work):
    return StaffFactory(role=Role.AUDITOR, team=None, agency=social_work)


def test_the_auditor_reads_any_referral_and_child_and_each_read_is_audited(
    client, auditor, duty_team, other_team
):
    referrals = [make_referral(team=duty_team), make_referral(team=other_team)]
    client.force_login(auditor)

    for referral in referrals:
        child = referral.children.get()
        assert client.get(f"/referrals/{referral.pk}/").status_code == 200
        assert client.get(f"/people/{child.pk}/").status_code == 200
        assert AuditEntry.objects.filter(
            actor=auditor, action="view", object_id=str(referral.pk)
        ).exists()
    assert client.post("/search/", {"query": "Smith"}).status_code == 200


def test_the_auditor_changes_nothing(client, auditor, duty_team):
    referral = make_referral(team=duty_team)
    client.force_login(auditor)

    assert client.get("/referrals/new/").status_code == 403
    assert client.get(f"/referrals/{referral.pk}/screening/").status_code == 403
    response = client.post(
        f"/referrals/{referral.pk}/close/", {"close-reason": "x", "close-version": 1}
    )
    assert response.status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.RECEIVED
