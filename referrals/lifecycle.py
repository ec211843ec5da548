"""The referral lifecycle: which status may follow which. ird/ moves referrals through the IRD
states with the same function, so every change of status passes this one gate."""

from referrals.errors import IllegalTransition
from referrals.models import Referral

Status = Referral.Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.SCREENING}),
    Status.SCREENING: frozenset({Status.DECIDED}),
    Status.DECIDED: frozenset({Status.IRD_SCHEDULED, Status.CLOSED}),
    Status.IRD_SCHEDULED: frozenset({Status.IRD_HELD, Status.DECIDED}),  # back if cancelled
    Status.IRD_HELD: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def referral_move(referral: Referral, target: str) -> Referral:
    """Set the new status on the instance (the caller saves, inside its transaction)."""
    if not can_move(referral.status, target):
        labels = dict(Status.choices)
        current_label = labels.get(referral.status, referral.status).lower()
        target_label = labels.get(target, target).lower()
        raise IllegalTransition(
            f"Referral {referral.reference} is {current_label}: "
            f"it cannot be moved to {target_label}."
        )
    referral.status = target
    return referral
