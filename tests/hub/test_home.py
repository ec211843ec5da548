"""What the practice hub adds to each role's home page (issue 12, defect 6)."""

import pytest

from hub import services
from hub.models import AuditAssignment
from tests.hub.conftest import referral_review
from tests.hub.test_audits import OPENING, panel, referred  # noqa: F401 - fixtures


def _sections(client, user) -> dict:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return {section.heading: section for section in response.context["sections"]}


def test_a_reviewer_sees_reviews_to_claim_then_the_ones_they_hold(client, referral, hub_reviewer):
    review = referral_review(referral)

    sections = _sections(client, hub_reviewer)
    assert [item.url for item in sections["Reviews to claim"].items] == [
        f"/hub/reviews/{review.pk}/"
    ]
    assert sections["Reviews you hold"].items == ()

    services.review_claim(review=review, reviewer=hub_reviewer)
    sections = _sections(client, hub_reviewer)
    assert sections["Reviews to claim"].items == ()
    assert [item.url for item in sections["Reviews you hold"].items] == [
        f"/hub/reviews/{review.pk}/"
    ]


def test_someone_else_s_claim_takes_the_review_off_the_list_to_claim(
    client, referral, hub_reviewer, other_reviewer
):
    services.review_claim(review=referral_review(referral), reviewer=other_reviewer)

    assert _sections(client, hub_reviewer)["Reviews to claim"].items == ()


def test_a_social_worker_has_no_hub_sections(client, referral, social_worker):
    sections = _sections(client, social_worker)

    assert "Reviews to claim" not in sections
    assert "Audit records to grade" not in sections


@pytest.fixture
def audit_round(hub_settings, referred, panel):  # noqa: F811 - fixtures from test_audits
    hub_settings.audit_sample_size = 3
    hub_settings.save()
    return services.audit_round_open(now=OPENING)[0]


def test_a_police_auditor_sees_the_records_to_grade(client, audit_round, police_auditor):
    mine = AuditAssignment.objects.filter(auditor=police_auditor)

    sections = _sections(client, police_auditor)

    assert sorted(item.url for item in sections["Audit records to grade"].items) == sorted(
        f"/hub/audits/records/{assignment.pk}/" for assignment in mine
    )
    assert mine.exists()


def test_a_police_member_of_the_audit_panel_has_the_practice_audits_link(client, police_auditor):
    client.force_login(police_auditor)

    page = client.get("/").content.decode()
    menu = page[page.index('<nav aria-label="Menu"') : page.index("</nav>")]

    assert 'href="/hub/audits/"' in menu  # the hub says who sees audits, not the core's guess
    assert client.get("/hub/audits/").status_code == 200
