"""The review queue: every referral enters it with a review deadline; immediate risk first, then
the longest waiting; one reviewer at a time holds a review, enforced by the database, also when
reviewers press "Claim" at the same moment (PostgreSQL, real threads)."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from hub import selectors, services, tasks
from hub.models import Review, ReviewClaim
from hub.services import ClaimConflict, ReviewRefused
from referrals.errors import NotPermitted
from referrals.models import AuditEntry, Deadline
from tests.factories import StaffFactory, make_referral
from tests.hub.conftest import all_scores, referral_review, review_and_submit

pytestmark = pytest.mark.django_db


def test_a_received_referral_enters_the_queue_with_its_review_deadline(
    hub_settings, hub_team, social_worker
):
    received = timezone.now() - timedelta(hours=3)
    referral = make_referral(
        team=social_worker.team, received_by=social_worker, received_at=received
    )

    review = referral_review(referral)

    assert review.state == Review.State.QUEUED
    assert review.entered_at == received
    deadline = review.deadline
    assert deadline.timescale.kind == "hub_review"
    assert (deadline.subject_type, deadline.subject_id) == ("hub_review", str(review.pk))
    assert deadline.subject == f"referral {referral.reference}"  # what its alerts name
    assert deadline.starts_at == received
    assert deadline.due_at - received >= timedelta(days=5)  # five working days
    assert deadline.owner is None and deadline.team == hub_team
    assert deadline.url == f"/hub/reviews/{review.pk}/"
    # The core's own steps are untouched: the hub's deadline is not one of the referral's.
    assert deadline.referral is None


def test_enqueueing_twice_changes_nothing(referral):
    review = referral_review(referral)
    assert services.review_enqueue(referral=referral) == review
    assert Review.objects.count() == 1
    assert Deadline.objects.filter(timescale__kind="hub_review").count() == 1


def test_the_queue_puts_immediate_risk_first_then_the_oldest(hub_settings, social_worker):
    now = timezone.now()
    team = social_worker.team
    newest = make_referral(team=team, received_at=now - timedelta(hours=1))
    oldest = make_referral(team=team, received_at=now - timedelta(days=3))
    risk_new = make_referral(team=team, received_at=now - timedelta(hours=2), immediate_risk=True)
    risk_old = make_referral(team=team, received_at=now - timedelta(days=1), immediate_risk=True)
    middle = make_referral(team=team, received_at=now - timedelta(days=2))

    order = [review.referral for review in selectors.review_queue(kind="referral", now=now)]

    assert order == [risk_old, risk_new, oldest, middle, newest]


def test_the_queue_leaves_out_submitted_reviews(referral, hub_reviewer):
    review_and_submit(referral_review(referral), hub_reviewer)
    assert not selectors.review_queue(kind="referral", now=timezone.now()).exists()


def test_claiming_takes_the_review_and_its_deadline(referral, hub_reviewer):
    review = referral_review(referral)

    claim = services.review_claim(review=review, reviewer=hub_reviewer)

    assert claim.state == ReviewClaim.State.ACTIVE
    assert claim.expires_at - claim.claimed_at == timedelta(minutes=240)
    review.refresh_from_db()
    assert review.rubric.kind == "referral" and review.rubric.state == "published"
    assert review.deadline.owner == hub_reviewer
    row = AuditEntry.objects.filter(object_type="review").get()
    assert (row.actor_id, row.detail["claim"]) == (hub_reviewer.pk, "claimed")
    [queued] = selectors.review_queue(kind="referral", now=timezone.now())
    assert queued.holder_id == hub_reviewer.pk


def test_a_second_reviewer_cannot_take_a_held_review(referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=hub_reviewer)

    with pytest.raises(ClaimConflict, match=hub_reviewer.get_full_name()):
        services.review_claim(review=review, reviewer=other_reviewer)

    assert ReviewClaim.objects.get().reviewer == hub_reviewer


def test_claiming_again_is_harmless(referral, hub_reviewer):
    review = referral_review(referral)
    first = services.review_claim(review=review, reviewer=hub_reviewer)
    assert services.review_claim(review=review, reviewer=hub_reviewer) == first
    assert ReviewClaim.objects.count() == 1


def test_an_expired_claim_is_free_to_others(referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    earlier = timezone.now() - timedelta(hours=5)
    first = services.review_claim(review=review, reviewer=hub_reviewer, now=earlier)

    second = services.review_claim(review=review, reviewer=other_reviewer)

    first.refresh_from_db()
    assert first.state == ReviewClaim.State.EXPIRED
    assert first.ended_at == first.expires_at
    assert second.reviewer == other_reviewer
    review.refresh_from_db()
    assert review.deadline.owner == other_reviewer
    # And the first reviewer can no longer submit.
    with pytest.raises(ClaimConflict):
        services.review_submit(
            review=review, reviewer=hub_reviewer, scores=all_scores(review), overall=4
        )


def test_a_lapsed_claim_nobody_took_can_still_be_submitted(referral, hub_reviewer):
    review = referral_review(referral)
    services.review_claim(
        review=review, reviewer=hub_reviewer, now=timezone.now() - timedelta(hours=5)
    )
    review.refresh_from_db()
    services.review_submit(
        review=review, reviewer=hub_reviewer, scores=all_scores(review), overall=4
    )
    assert Review.objects.get().state == Review.State.SUBMITTED


def test_claim_time_is_configurable(referral, hub_settings, hub_reviewer):
    hub_settings.claim_minutes = 30
    hub_settings.save()
    claim = services.review_claim(review=referral_review(referral), reviewer=hub_reviewer)
    assert claim.expires_at - claim.claimed_at == timedelta(minutes=30)


def test_releasing_puts_it_back(referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=hub_reviewer)

    with pytest.raises(ClaimConflict):
        services.review_release(review=review, reviewer=other_reviewer)
    services.review_release(review=review, reviewer=hub_reviewer)

    assert ReviewClaim.objects.get().state == ReviewClaim.State.RELEASED
    review.refresh_from_db()
    assert review.deadline.owner is None
    assert services.review_claim(review=review, reviewer=other_reviewer).reviewer == (
        other_reviewer
    )


def test_only_hub_reviewers_claim(referral, committee_member, social_worker):
    for person in (committee_member, social_worker):
        with pytest.raises(NotPermitted):
            services.review_claim(review=referral_review(referral), reviewer=person)
    assert not ReviewClaim.objects.exists()


def test_a_submitted_review_cannot_be_claimed(referral, hub_reviewer, other_reviewer):
    review = review_and_submit(referral_review(referral), hub_reviewer)
    with pytest.raises(ReviewRefused):
        services.review_claim(review=review, reviewer=other_reviewer)


def test_submitting_needs_the_claim(referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    services.review_claim(review=review, reviewer=hub_reviewer)
    review.refresh_from_db()
    with pytest.raises(ClaimConflict):
        services.review_submit(
            review=review, reviewer=other_reviewer, scores=all_scores(review), overall=4
        )
    assert Review.objects.get().state == Review.State.QUEUED


def test_the_database_allows_one_active_claim_per_review(referral, hub_reviewer, other_reviewer):
    review = referral_review(referral)
    now = timezone.now()
    ReviewClaim.objects.create(
        review=review, reviewer=hub_reviewer, claimed_at=now, expires_at=now + timedelta(hours=1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewClaim.objects.create(
            review=review,
            reviewer=other_reviewer,
            claimed_at=now,
            expires_at=now + timedelta(hours=1),
        )
    # Ended claims are history, as many as there were.
    ReviewClaim.objects.update(state=ReviewClaim.State.RELEASED)
    ReviewClaim.objects.create(
        review=review, reviewer=other_reviewer, claimed_at=now, expires_at=now + timedelta(hours=1)
    )


def test_the_sweep_expires_lapsed_claims_and_frees_their_deadlines(referral, hub_reviewer):
    review = referral_review(referral)
    services.review_claim(
        review=review, reviewer=hub_reviewer, now=timezone.now() - timedelta(hours=5)
    )

    assert tasks.expire_review_claims() == 1
    assert tasks.expire_review_claims() == 0

    assert ReviewClaim.objects.get().state == ReviewClaim.State.EXPIRED
    review.refresh_from_db()
    assert review.deadline.owner is None


# --- Concurrency, on PostgreSQL ---------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises every write, so there is no race to test",
)


def race(count: int, work) -> list:
    """Run `work(n)` in `count` threads released together; returns what each returned or
    raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(number: int) -> None:
        close_old_connections()
        try:
            barrier.wait()
            results[number] = work(number)
        except Exception as error:  # noqa: BLE001 (the test inspects whatever happened)
            results[number] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_reviewers_claiming_at_once_get_one_claim(hub_settings, social_worker):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    review = referral_review(referral)
    reviewers = [
        StaffFactory(role="hub_reviewer", team=None, agency=social_worker.agency) for _ in range(6)
    ]

    results = race(6, lambda n: services.review_claim(review=review, reviewer=reviewers[n]))

    won = [r for r in results if isinstance(r, ReviewClaim)]
    lost = [r for r in results if isinstance(r, ClaimConflict)]
    assert len(won) == 1 and len(lost) == 5, results
    assert ReviewClaim.objects.filter(state="active").count() == 1
    review.refresh_from_db()
    assert review.deadline.owner == won[0].reviewer


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_claim_and_a_submit_racing_never_both_win(hub_settings, social_worker):
    first, second = (
        StaffFactory(role="hub_reviewer", team=None, agency=social_worker.agency) for _ in range(2)
    )
    for _ in range(5):
        referral = make_referral(team=social_worker.team, received_by=social_worker)
        review = referral_review(referral)
        # The first reviewer's claim has lapsed: they may still submit unless someone takes it.
        services.review_claim(
            review=review, reviewer=first, now=timezone.now() - timedelta(hours=5)
        )
        review.refresh_from_db()
        scores = all_scores(review)

        def work(n, review=review, scores=scores):
            if n == 0:
                return services.review_submit(
                    review=review, reviewer=first, scores=scores, overall=4
                )
            return services.review_claim(review=review, reviewer=second)

        results = race(2, work)

        review.refresh_from_db()
        submitted, claimed = results
        if isinstance(submitted, Review):
            assert isinstance(claimed, ReviewRefused), results
            assert review.state == Review.State.SUBMITTED
            assert review.submitted_by == first
        else:
            assert isinstance(submitted, ClaimConflict), results
            assert isinstance(claimed, ReviewClaim), results
            assert review.state == Review.State.QUEUED
        assert ReviewClaim.objects.filter(review=review, state="active").count() <= 1
