"""The rubric in the admin (drafted, published, locked once in use) and the decision review
page: the decisions, their timeliness and what other modules record about the referral."""

import html

import pytest

from hub.models import Criterion, Rubric
from referrals import extensions
from tests.hub.conftest import approved_decision, decision_review

pytestmark = pytest.mark.django_db


def test_administrators_draft_and_publish_rubric_versions(client, hub_settings, administrator):
    client.force_login(administrator)
    rubric = Rubric.objects.get(kind="referral", state="published")
    assert client.get("/admin/hub/rubric/").status_code == 200
    assert client.get(f"/admin/hub/rubric/{rubric.pk}/change/").status_code == 200
    assert client.get("/admin/hub/hubsettings/").status_code == 200
    assert client.get("/admin/hub/auditpanelmember/add/").status_code == 200
    assert client.get("/admin/hub/review/").status_code == 200

    client.post(
        "/admin/hub/rubric/", {"action": "draft_new_version", "_selected_action": [rubric.pk]}
    )
    draft = Rubric.objects.get(kind="referral", version=2)
    assert draft.state == "draft" and draft.criteria.count() == rubric.criteria.count()
    client.post("/admin/hub/rubric/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    rubric.refresh_from_db()
    assert (draft.state, rubric.state) == ("published", "retired")


def test_a_rubric_in_use_cannot_be_edited_in_the_admin(client, hub_settings, administrator):
    client.force_login(administrator)
    rubric = Rubric.objects.get(kind="referral", state="published")
    page = client.get(f"/admin/hub/rubric/{rubric.pk}/change/").content.decode()
    assert 'name="name"' not in page  # read-only once published
    criterion = rubric.criteria.first()
    client.post(f"/admin/hub/rubric/{rubric.pk}/change/", {"name": "Changed"})
    assert Rubric.objects.get(pk=rubric.pk).name == "Referral quality"
    assert Criterion.objects.get(pk=criterion.pk).label == criterion.label


def test_the_decision_review_page_shows_the_decision_and_the_response(
    client, referral, social_worker, team_manager, hub_reviewer
):
    approved_decision(referral, social_worker, team_manager, "child_protection")
    review = decision_review(referral)
    client.force_login(hub_reviewer)

    page = html.unescape(client.get(f"/hub/reviews/{review.pk}/").content.decode())

    assert "Decisions and response" in page
    assert "Child protection concern: IRD needed (approved)" in page
    assert "Timeliness of each step" in page and "Screening decision recorded" in page
    for record in extensions.referral_links(hub_reviewer, referral):
        assert record.title in page  # ird/'s IRDs, through the core's extension point
