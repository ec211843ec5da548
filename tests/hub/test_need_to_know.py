"""Need to know for quality staff (issue 9): a hub reviewer reads a child's record only while
it is in the hub's queue, claimed or reviewed by them; the committee reads the audit samples,
not every record."""

import pytest

from hub import services
from hub.models import AuditAssignment
from referrals import restrictions
from tests.hub.conftest import referral_review, review_and_submit
from tests.hub.test_audits import OPENING, panel, referred  # noqa: F401 - fixtures


def test_a_reviewer_reads_a_referral_while_it_waits_in_the_queue(client, referral, hub_reviewer):
    client.force_login(hub_reviewer)

    assert client.get(f"/referrals/{referral.pk}/").status_code == 200


def test_once_someone_else_reviewed_it_a_reviewer_no_longer_reads_it(
    client, referral, hub_reviewer, other_reviewer
):
    review_and_submit(referral_review(referral), other_reviewer)
    child = referral.children.get()

    client.force_login(hub_reviewer)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/people/{child.pk}/").status_code == 404

    client.force_login(other_reviewer)  # who reviewed it still reads it
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200


@pytest.fixture
def audit_round(hub_settings, referred, panel):  # noqa: F811 - fixtures from test_audits
    hub_settings.audit_sample_size = 3
    hub_settings.save()
    return services.audit_round_open(now=OPENING)[0]


def test_the_committee_reads_the_audit_sample_and_nothing_else(
    client,
    audit_round,
    committee_member,
    referred,  # noqa: F811
):
    sampled = {record.referral_id for record in audit_round.records.all()}
    outside = [r for r in referred if r.pk not in sampled]
    client.force_login(committee_member)

    for referral_id in sampled:
        assert client.get(f"/referrals/{referral_id}/").status_code == 200
    assert outside and client.get(f"/referrals/{outside[0].pk}/").status_code == 404


def test_a_restricted_childs_review_needs_clearance(client, referral, hub_reviewer, team_manager):
    restrictions.restrict(
        person=referral.children.get(),
        by=team_manager,
        reason="public_figure",
        explanation="",
        allowed=[],
    )
    client.force_login(hub_reviewer)

    response = client.get(f"/hub/reviews/{referral_review(referral).pk}/")

    assert response.status_code == 302 and "/break-glass/" in response["Location"]


def test_audit_lists_name_a_restricted_child_only_to_those_cleared(
    client, audit_round, committee_member, police_auditor, team_manager
):
    """Issue 9: lists never show a restricted person's name to someone without access."""
    # A record the police auditor grades, so that it is on their list too.
    record = AuditAssignment.objects.filter(auditor=police_auditor).first().record
    record.person.first_name, record.person.last_name = "Catriona", "Oyelaran"
    record.person.save()
    name = "Catriona Oyelaran"
    restrictions.restrict(
        person=record.person, by=team_manager, reason="public_figure", explanation="", allowed=[]
    )

    for user, url in (
        (committee_member, f"/hub/audits/{audit_round.pk}/"),
        (police_auditor, "/hub/audits/"),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "Restricted record" in page, url
        assert name not in page, url
    # Staff named on the restriction see the name.
    record.person.restriction.allowed.add(committee_member)
    client.force_login(committee_member)
    assert name in client.get(f"/hub/audits/{audit_round.pk}/").content.decode()
