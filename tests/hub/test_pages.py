"""The hub's pages through Django's test client: the queue, claiming and scoring, the feedback on
the referral page and its acknowledgement, the audit pages. What they show, what they refuse,
and that a refused or invalid submission changes nothing."""

import html
import re
from datetime import datetime, time

import pytest
from django.utils import timezone

from hub import sampling, services
from hub.models import AuditAssignment, AuditPanelMember, AuditRound, Review, ReviewScore
from referrals.models import ReferralFeedback
from tests.factories import make_referral
from tests.hub.conftest import referral_review, review_and_submit

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def no_inline_styles_or_scripts(response) -> None:
    page = response.content.decode()
    assert ' style="' not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script"


def form_body(review: Review, score: str = "4") -> dict:
    body = {f"score_{c.pk}": score for c in review.rubric.criteria.all()}
    body.update({"overall": score, "overall_comment": "Clear and complete."})
    return body


def test_the_queue_lists_reviews_with_a_claim_button(client, referral, hub_reviewer):
    client.force_login(hub_reviewer)
    response = client.get("/hub/")
    assert response.status_code == 200
    page = text(response)
    assert referral.reference in page
    assert f'action="/hub/reviews/{referral_review(referral).pk}/claim/"' in page
    assert "Referral quality (1 waiting)" in page
    no_inline_styles_or_scripts(response)


def test_claim_score_and_submit_through_the_pages(client, referral, hub_reviewer, social_worker):
    review = referral_review(referral)
    client.force_login(hub_reviewer)

    claimed = client.post(f"/hub/reviews/{review.pk}/claim/")
    assert claimed.status_code == 302 and claimed["Location"] == f"/hub/reviews/{review.pk}/"
    page = client.get(f"/hub/reviews/{review.pk}/")
    assert "Clarity of the concern" in text(page)
    assert "Submit the review and send the feedback" in text(page)
    no_inline_styles_or_scripts(page)
    review.refresh_from_db()

    body = form_body(review)
    body["supports"] = [str(review.rubric.factors.filter(kind="support").first().pk)]
    submitted = client.post(f"/hub/reviews/{review.pk}/", body, follow=True)

    assert submitted.status_code == 200
    assert f"Review of {referral.reference} submitted" in text(submitted)
    review.refresh_from_db()
    assert review.state == Review.State.SUBMITTED
    assert ReferralFeedback.objects.get().comments.startswith("Overall judgement: 4 Good.")


def test_a_score_left_out_is_an_error_and_nothing_is_saved(client, referral, hub_reviewer):
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=hub_reviewer)
    review.refresh_from_db()
    client.force_login(hub_reviewer)
    body = form_body(review)
    first = review.rubric.criteria.first()
    del body[f"score_{first.pk}"]
    body[f"comment_{first.pk}"] = "Kept when the page comes back."

    response = client.post(f"/hub/reviews/{review.pk}/", body)

    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and "Score clarity of the concern." in page
    assert f'href="#id_score_{first.pk}_0"' in page
    assert "Kept when the page comes back." in page
    assert not ReviewScore.objects.exists()
    assert Review.objects.get().state == Review.State.QUEUED


def test_a_held_review_shows_who_holds_it(client, referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=hub_reviewer)
    client.force_login(other_reviewer)

    page = client.get(f"/hub/reviews/{review.pk}/")
    assert f"{hub_reviewer.get_full_name()} is reviewing this until" in text(page)
    conflict = client.post(f"/hub/reviews/{review.pk}/claim/")
    assert conflict.status_code == 409
    assert f"{hub_reviewer.get_full_name()} is reviewing this until" in text(conflict)


def test_the_referrer_sees_the_feedback_and_acknowledges_it(
    client, referral, hub_reviewer, social_worker
):
    review_and_submit(
        referral_review(referral), hub_reviewer, score=5, barriers_other="Interpreter not booked"
    )
    feedback = ReferralFeedback.objects.get()
    client.force_login(social_worker)

    page = client.get(f"/referrals/{referral.pk}/")
    content = text(page)
    assert "Practice hub feedback" in content
    assert "Clarity of the concern" in content and "5 out of 6: very good" in content
    assert "Interpreter not booked" in content
    assert "Not yet acknowledged" in content
    acknowledge = f"/referrals/{referral.pk}/feedback/{feedback.pk}/acknowledge/"
    assert f'action="{acknowledge}"' in content

    done = client.post(acknowledge, follow=True)

    assert "Practice hub feedback on" in text(done) and "acknowledged." in text(done)
    feedback.refresh_from_db()
    assert feedback.acknowledged_by_staff == social_worker
    assert f'action="{acknowledge}"' not in done.content.decode()


def test_only_the_referrer_or_their_team_manager_acknowledges(
    client, referral, hub_reviewer, other_team_manager, team_manager
):
    review_and_submit(referral_review(referral), hub_reviewer)
    feedback = ReferralFeedback.objects.get()
    acknowledge = f"/referrals/{referral.pk}/feedback/{feedback.pk}/acknowledge/"

    client.force_login(other_team_manager)
    assert "Acknowledge the feedback" not in text(client.get(f"/referrals/{referral.pk}/"))
    assert client.post(acknowledge).status_code == 403
    feedback.refresh_from_db()
    assert feedback.acknowledged_at is None

    client.force_login(team_manager)
    assert client.post(acknowledge).status_code == 302
    feedback.refresh_from_db()
    assert feedback.acknowledged_by_staff == team_manager


def test_feedback_of_another_referral_is_not_found(client, referral, hub_reviewer, social_worker):
    review_and_submit(referral_review(referral), hub_reviewer)
    other = make_referral(team=social_worker.team, received_by=social_worker)
    feedback = ReferralFeedback.objects.get()
    client.force_login(social_worker)
    response = client.post(f"/referrals/{other.pk}/feedback/{feedback.pk}/acknowledge/")
    assert response.status_code == 404


def test_navigation_shows_each_role_its_hub_pages(
    client,
    hub_settings,
    hub_reviewer,
    committee_member,
    team_manager,
    service_manager,
    social_worker,
    police_auditor,
):
    expected = {
        hub_reviewer: {"Review queue", "Practice audits"},
        police_auditor: {"Practice audits"},  # the audit panel reaches /hub/audits/ from the menu
        committee_member: {"Practice audits", "Reports"},
        team_manager: {"Team feedback"},
        service_manager: {"Reports", "Team feedback"},
        social_worker: set(),
    }
    for person, links in expected.items():
        client.force_login(person)
        nav = re.search(
            r'<ul class="govuk-service-navigation__list".*?</ul>',
            client.get("/").content.decode(),
            re.S,
        ).group(0)
        shown = {
            name
            for name in ("Review queue", "Practice audits", "Reports", "Team feedback")
            if f">{name}<" in nav
        }
        assert shown == links, person.role
        if "Practice audits" in links:
            assert client.get("/hub/audits/").status_code == 200, person.role


# --- Audit pages --------------------------------------------------------------------------------


@pytest.fixture
def audit_round(hub_settings, social_worker, police_auditor):
    for _ in range(3):
        make_referral(team=social_worker.team, received_by=social_worker)
    hub_settings.auditors_per_record = 1
    hub_settings.audit_sample_size = 2
    hub_settings.save()
    nxt = sampling.months_before(sampling.audit_period_start(timezone.localdate(), 2), -2)
    return services.audit_round_open(now=timezone.make_aware(datetime.combine(nxt, time(9))))[0]


def test_an_auditor_grades_through_the_page(client, audit_round, police_auditor):
    assignment = AuditAssignment.objects.filter(auditor=police_auditor).first()
    client.force_login(police_auditor)

    listed = client.get("/hub/audits/")
    assert f"/hub/audits/records/{assignment.pk}/" in listed.content.decode()
    page = client.get(f"/hub/audits/records/{assignment.pk}/")
    assert page.status_code == 200
    assert "Chronology" in text(page) and "Concern received" in text(page)
    no_inline_styles_or_scripts(page)

    body = {f"score_{c.pk}": "3" for c in audit_round.rubric.criteria.all()}
    assert client.post(f"/hub/audits/records/{assignment.pk}/", body).status_code == 400
    body["findings"] = "No analysis of the chronology."
    done = client.post(f"/hub/audits/records/{assignment.pk}/", body)
    assert done.status_code == 302
    assignment.refresh_from_db()
    assert assignment.state == AuditAssignment.State.SUBMITTED


def test_the_committee_collates_and_sends_the_learning(
    client, audit_round, committee_member, police_auditor, social_worker
):
    assignment = AuditAssignment.objects.filter(auditor=police_auditor).first()
    services.audit_assignment_submit(
        assignment=assignment,
        auditor=police_auditor,
        findings="Thin analysis.",
        learning_points="Analyse, don't list.",
        grades={c.pk: services.Score(2) for c in audit_round.rubric.criteria.all()},
    )
    client.force_login(committee_member)

    page = client.get(f"/hub/audits/{audit_round.pk}/")
    content = text(page)
    assert page.status_code == 200
    assert f"{audit_round.seed}: drawing again with it gives the same records" in content
    assert "Thin analysis." in content and "Analyse, don't list." in content
    no_inline_styles_or_scripts(page)
    grades = client.get(f"/hub/audits/{audit_round.pk}/grades.csv")
    assert grades.status_code == 200 and grades["Content-Type"].startswith("text/csv")
    assert len(grades.content.decode().strip().splitlines()) == 1 + 8

    assert client.post(f"/hub/audits/{audit_round.pk}/summary/", {"summary": ""}).status_code == 400
    sent = client.post(
        f"/hub/audits/{audit_round.pk}/summary/", {"summary": "Analyse chronologies."}
    )
    assert sent.status_code == 302
    assert AuditRound.objects.get().state == AuditRound.State.CLOSED

    client.force_login(social_worker)
    learning = client.get(f"/hub/audits/{audit_round.pk}/learning/")
    assert learning.status_code == 200 and "Analyse chronologies." in text(learning)


def test_the_committee_opens_a_round_from_the_page(client, hub_settings, committee_member):
    client.force_login(committee_member)
    assert "Open this period's round now" in text(client.get("/hub/audits/"))
    response = client.post("/hub/audits/open/")
    audit_round = AuditRound.objects.get()
    assert response["Location"] == f"/hub/audits/{audit_round.pk}/"
    again = client.post("/hub/audits/open/", follow=True)
    assert "is already open" in text(again)
    assert AuditRound.objects.count() == 1
    assert not AuditPanelMember.objects.exists()
    assert "Open this period's round now" not in text(client.get("/hub/audits/"))
