"""What the hub's services share: their refusals (each a DomainError with its status), the
hub's reference data and timescales, and the rubric in use for each kind of review."""

from django.utils import timezone

from hub.models import (
    Criterion,
    Factor,
    Review,
    Rubric,
)
from hub.reference_data import ensure_hub_timescales, ensure_rubrics
from referrals import deadlines
from referrals.errors import DomainError
from referrals.models import (
    Deadline,
    Timescale,
)
from referrals.services.feedback import MAX_ITEM_LENGTH

REVIEW_TIMESCALES = {
    Review.Kind.REFERRAL: "hub_review",
    Review.Kind.DECISION: "hub_decision_review",
}
FREE_TEXT_MAX = MAX_ITEM_LENGTH  # free-text factors travel to partner systems as list items


class ReviewRefused(DomainError):
    pass


class ClaimConflict(DomainError):
    """Someone else holds the review, or the person acting does not."""

    status_code = 409


class AuditRefused(DomainError):
    pass


def reference_data_ensure() -> None:
    """The hub's timescales and first rubrics, where missing (a test's clean-up empties every
    table; the data migration seeds them otherwise)."""
    ensure_hub_timescales(Timescale)
    ensure_rubrics(Rubric, Criterion, Factor, published_at=timezone.now())


def _deadline_open(kind: str, **kwargs) -> Deadline:
    # The hub's steps always have a timescale: put back a default that has gone missing.
    return deadlines.deadline_open(
        kind=kind, restore=lambda: ensure_hub_timescales(Timescale), **kwargs
    )


def rubric_in_use(kind: str) -> Rubric:
    rubric = Rubric.objects.filter(kind=kind, state=Rubric.State.PUBLISHED).first()
    if rubric is None and not Rubric.objects.filter(kind=kind).exists():
        ensure_rubrics(Rubric, Criterion, Factor, published_at=timezone.now())
        rubric = Rubric.objects.filter(kind=kind, state=Rubric.State.PUBLISHED).first()
    if rubric is None:
        raise ReviewRefused(
            f"No {Rubric.Kind(kind).label.lower()} rubric is in use: an administrator must "
            "publish one."
        )
    return rubric
