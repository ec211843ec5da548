"""Scoring on the rubric and the feedback it sends: to the member of staff who received the
referral and their team manager (in the application and by e-mail), and to the partner system
that sent it (API and webhook). The decision review and rubric versions."""

import pytest
from django.core import mail
from django.utils import timezone

from hub import services
from hub.models import Review, ReviewClaim, ReviewScore, Rubric
from hub.services import ReviewRefused
from referrals.api.models import WebhookEvent
from referrals.models import AuditEntry, Deadline, Notification, Referral, ReferralFeedback
from tests.api.conftest import concern_body
from tests.factories import make_referral
from tests.hub.conftest import (
    all_scores,
    approved_decision,
    barrier,
    decision_review,
    referral_review,
    review_and_submit,
)

pytestmark = pytest.mark.django_db


def claimed(referral, reviewer) -> Review:
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=reviewer)
    review.refresh_from_db()
    return review


def test_the_default_rubric_has_the_referral_quality_criteria(hub_settings):
    rubric = services.rubric_in_use(Rubric.Kind.REFERRAL)
    assert [c.label for c in rubric.criteria.all()] == [
        "Clarity of the concern",
        "The child's voice",
        "Analysis of risk",
        "Chronology and history",
        "Information from other agencies",
        "Consent and information-sharing basis",
        "Full identifiers",
        "Expected response",
    ]
    assert rubric.factors.filter(kind="support").exists()
    assert rubric.factors.filter(kind="barrier").exists()


def test_scores_are_kept_with_the_rubric_they_were_given_on(referral, hub_reviewer):
    review = claimed(referral, hub_reviewer)
    criteria = list(review.rubric.criteria.all())
    scores = {c.pk: services.Score(n % 6 + 1, f"Comment {n}") for n, c in enumerate(criteria)}
    helped, hindered = (
        barrier("Advice taken from a child protection adviser"),
        barrier("Child not seen or spoken to"),
    )

    services.review_submit(
        review=review,
        reviewer=hub_reviewer,
        scores=scores,
        overall=3,
        overall_comment="Clear, but the child's voice is missing.",
        factor_ids=[helped.pk, hindered.pk],
        supported_other="Called the duty worker first",
        barriers_other="Interpreter not available",
    )

    review.refresh_from_db()
    assert review.state == Review.State.SUBMITTED
    assert (review.submitted_by, review.overall) == (hub_reviewer, 3)
    assert {(s.criterion_id, s.score, s.comment) for s in ReviewScore.objects.all()} == {
        (pk, score.score, score.comment) for pk, score in scores.items()
    }
    assert set(review.factors.all()) == {helped, hindered}
    assert ReviewClaim.objects.get().state == ReviewClaim.State.SUBMITTED
    assert review.deadline.state == Deadline.State.MET
    row = AuditEntry.objects.filter(object_type="review", detail__state="submitted").get()
    assert (row.actor_id, row.detail["overall"]) == (hub_reviewer.pk, 3)

    # A new version of the rubric changes nothing about this review.
    draft = services.rubric_new_version(rubric=review.rubric, by=None)
    draft.criteria.filter(code="childs_voice").update(label="The child's voice and views")
    services.rubric_publish(rubric=draft, by=None)
    review.refresh_from_db()
    assert review.rubric.version == 1 and review.rubric.state == Rubric.State.RETIRED
    assert "The child's voice" in [s.criterion.label for s in review.scores.all()]
    assert services.rubric_in_use(Rubric.Kind.REFERRAL).version == 2


def test_a_claimed_review_keeps_its_rubric_when_a_new_one_is_published(referral, hub_reviewer):
    review = claimed(referral, hub_reviewer)
    draft = services.rubric_new_version(rubric=review.rubric, by=None)
    draft.criteria.first().delete()
    services.rubric_publish(rubric=draft, by=None)

    services.review_submit(
        review=review, reviewer=hub_reviewer, scores=all_scores(review), overall=4
    )

    assert ReviewScore.objects.count() == 8  # all eight of version 1


@pytest.mark.parametrize("problem", ["missing", "too_high", "zero", "text", "foreign"])
def test_every_criterion_needs_a_score_from_one_to_six(referral, hub_reviewer, problem):
    review = claimed(referral, hub_reviewer)
    scores = all_scores(review)
    first = next(iter(scores))
    if problem == "missing":
        del scores[first]
    elif problem == "foreign":
        other = services.rubric_in_use(Rubric.Kind.DECISION).criteria.first()
        scores[other.pk] = services.Score(4)
    else:
        scores[first] = services.Score({"too_high": 7, "zero": 0, "text": "4"}[problem])

    with pytest.raises(ReviewRefused):
        services.review_submit(review=review, reviewer=hub_reviewer, scores=scores, overall=4)

    assert Review.objects.get().state == Review.State.QUEUED
    assert not ReviewScore.objects.exists() and not ReferralFeedback.objects.exists()


def test_factors_come_from_the_reviews_rubric(referral, hub_reviewer):
    review = claimed(referral, hub_reviewer)
    other = services.rubric_in_use(Rubric.Kind.DECISION).factors.first()
    with pytest.raises(ReviewRefused):
        services.review_submit(
            review=review,
            reviewer=hub_reviewer,
            scores=all_scores(review),
            overall=4,
            factor_ids=[other.pk],
        )


def test_a_double_submit_is_harmless(referral, hub_reviewer):
    review = review_and_submit(referral_review(referral), hub_reviewer)
    again = services.review_submit(
        review=review, reviewer=hub_reviewer, scores=all_scores(review), overall=2
    )
    assert again.overall == 4
    assert ReferralFeedback.objects.count() == 1


def test_feedback_reaches_the_referrer_and_their_manager_at_once(
    hub_settings,
    social_worker,
    team_manager,
    other_team_manager,
    hub_reviewer,
    django_capture_on_commit_callbacks,
):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    review = claimed(referral, hub_reviewer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(
            review=review,
            reviewer=hub_reviewer,
            scores=all_scores(review, 5, "Well done."),
            overall=5,
            overall_comment="A model referral.",
            factor_ids=[barrier("Recording system problems").pk],
            barriers_other="Form timed out",
        )

    feedback = ReferralFeedback.objects.get()
    review.refresh_from_db()
    assert review.feedback == feedback
    assert feedback.given_by == hub_reviewer
    assert feedback.scores[0] == {
        "criterion": "concern_clarity",
        "label": "Clarity of the concern",
        "score": 5,
    }
    assert feedback.scores[-1] == {"criterion": "overall", "label": "Overall judgement", "score": 5}
    assert len(feedback.scores) == 9
    assert feedback.barriers == ["Recording system problems", "Form timed out"]
    assert feedback.comments.startswith("Overall judgement: 5 Very good.\n\nA model referral.")
    assert "Clarity of the concern (5 Very good): Well done." in feedback.comments

    told = Notification.objects.filter(
        referral=referral, title=f"Practice hub feedback: {referral.reference}"
    )
    assert {n.recipient for n in told} == {social_worker, team_manager}
    assert all(n.email_wanted and n.emailed_at for n in told)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([social_worker.email, team_manager.email])
    assert all(f"/referrals/{referral.pk}/" in m.body for m in mail.outbox)
    assert all(referral.reference in m.subject for m in mail.outbox)


def test_a_partner_system_gets_the_feedback_through_the_api(hub_settings, police_api, hub_reviewer):
    response = police_api.submit(concern_body())
    assert response.status_code == 201
    concern_id = response.json()["id"]
    referral = Referral.objects.get(pk=concern_id)

    review_and_submit(referral_review(referral), hub_reviewer, score=3)

    event = WebhookEvent.objects.get(event_type="concern.feedback_given")
    assert event.payload["data"]["concern"]["id"] == concern_id
    listed = police_api.get(f"/api/v1/concerns/{concern_id}/feedback/").json()["results"]
    assert [item["scores"][-1]["score"] for item in listed] == [3]


def test_an_approved_decision_enters_the_decision_queue(
    referral, social_worker, team_manager, hub_reviewer, django_capture_on_commit_callbacks
):
    decision = approved_decision(referral, social_worker, team_manager, "welfare_assessment")
    review = decision_review(referral)
    assert review.decision == decision
    assert review.deadline.timescale.kind == "hub_decision_review"
    assert (review.deadline.subject_type, review.deadline.subject_id) == (
        "hub_review",
        str(review.pk),
    )
    assert review.deadline.subject == f"decision on {referral.reference}"
    services.review_claim(review=review, reviewer=hub_reviewer)
    review.refresh_from_db()
    assert review.rubric.kind == Rubric.Kind.DECISION
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(
            review=review, reviewer=hub_reviewer, scores=all_scores(review, 2), overall=2
        )

    told = Notification.objects.filter(title=f"Practice hub decision review: {referral.reference}")
    assert {n.recipient for n in told} == {social_worker, team_manager}
    assert {n.url for n in told} == {f"/hub/reviews/{review.pk}/"}
    assert len(mail.outbox) == 2
    # Decision reviews are for the social work team: no referrer feedback, no partner event.
    assert ReferralFeedback.objects.count() == 0


def test_the_share_of_decisions_reviewed_is_configurable(
    referral, hub_settings, social_worker, team_manager
):
    hub_settings.decision_review_percent = 0
    hub_settings.save()
    approved_decision(referral, social_worker, team_manager)
    assert not Review.objects.filter(kind=Review.Kind.DECISION).exists()


def test_publishing_needs_a_draft_with_criteria(hub_settings):
    rubric = services.rubric_in_use(Rubric.Kind.REFERRAL)
    with pytest.raises(ReviewRefused):
        services.rubric_publish(rubric=rubric, by=None)
    draft = services.rubric_new_version(rubric=rubric, by=None)
    draft.criteria.all().delete()
    with pytest.raises(ReviewRefused):
        services.rubric_publish(rubric=draft, by=None)
    assert services.rubric_in_use(Rubric.Kind.REFERRAL) == rubric


def test_submitted_reviews_leave_the_deadline_met_on_time(referral, hub_reviewer):
    review = review_and_submit(referral_review(referral), hub_reviewer)
    deadline = review.deadline
    assert deadline.state == Deadline.State.MET
    assert deadline.completed_at <= deadline.due_at
    assert deadline.completed_at <= timezone.now()


def test_a_submitted_review_goes_on_each_child_s_chronology(referral, hub_reviewer):
    """Issue 12: hub reviews appear in the chronology, with their overall grade."""
    from referrals.models import ChronologyEntry

    review_and_submit(referral_review(referral), hub_reviewer)

    [entry] = ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.REVIEW, referral=referral)
    assert entry.summary == "Practice hub referral quality review: 4 Good."
    assert entry.person_id == referral.child_links.get().person_id
