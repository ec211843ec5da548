"""The hub listens to the core's domain events (referrals.events), so that referrals/ never
imports hub/. Receivers run inside the transaction of the change they hear about."""

from hub import services


def referral_received(sender, referral, **kwargs) -> None:
    """Every referral enters the quality review queue, its review deadline counting from
    receipt."""
    services.review_enqueue(referral=referral, entered_at=referral.received_at)


def screening_approved(sender, referral, decision, **kwargs) -> None:
    """An approved screening decision enters the decision review queue."""
    services.review_enqueue(referral=referral, decision=decision, entered_at=decision.reviewed_at)
