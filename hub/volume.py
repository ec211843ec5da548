"""The practice hub's share of generated volume data (referrals.volume): a quality review of
one referral in ten and of one approved decision in ten, with a score for each criterion of the
rubric in use; those that entered the queue in the last fortnight still wait for a reviewer."""

from datetime import timedelta

from django.db import transaction

from hub.models import Review, ReviewScore
from hub.services import rubric_in_use
from referrals import volume

SAMPLED = 0.1
STILL_QUEUED = timedelta(days=14)


def reviews(generated: volume.Generated, bars) -> None:
    rng, now = generated.rng, generated.now
    rubrics = {kind: rubric_in_use(kind) for kind in Review.Kind.values}
    criteria = {
        kind: list(rubric.criteria.values_list("pk", flat=True)) for kind, rubric in rubrics.items()
    }
    reviewer = generated.org.managers[0]
    subjects = [
        (Review.Kind.REFERRAL, referral_id, None, at)
        for referral_id, at, _team, _children in generated.referrals
        if rng.random() < SAMPLED
    ] + [
        (Review.Kind.DECISION, referral_id, decision_id, at)
        for decision_id, referral_id, _outcome, at in generated.decisions
        if rng.random() < SAMPLED
    ]
    bar = bars("Hub reviews", len(subjects)) if bars else None
    for start in range(0, len(subjects), volume.BATCH):
        made, scores = [], []
        for kind, referral_id, decision_id, entered in subjects[start : start + volume.BATCH]:
            review = Review(
                id=volume.new_uuid(rng),
                kind=kind,
                referral_id=referral_id,
                decision_id=decision_id,
                entered_at=entered,
            )
            if now - entered > STILL_QUEUED:
                review.state = Review.State.SUBMITTED
                review.overall = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6])
                review.submitted_by = reviewer
                review.submitted_at = entered + timedelta(days=rng.uniform(1, STILL_QUEUED.days))
                review.rubric = rubrics[kind]
                scores += [
                    ReviewScore(review=review, criterion_id=criterion, score=rng.randint(1, 6))
                    for criterion in criteria[kind]
                ]
            made.append(review)
        with transaction.atomic():
            volume.in_batches(made, Review)
            volume.in_batches(scores, ReviewScore)
        if bar:
            bar.advance(len(made))
    if bar:
        bar.finish()
