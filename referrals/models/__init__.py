from referrals.models.audit import AuditEntry
from referrals.models.chronology import (
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
)
from referrals.models.organisation import Agency, Role, Staff, Team
from referrals.models.people import Person, Relationship
from referrals.models.referral import (
    ConcernCategory,
    ReferenceCounter,
    Referral,
    ReferralAdult,
    ReferralChild,
    ScreeningDecision,
)

__all__ = [
    "Agency",
    "AuditEntry",
    "ChronologyEntry",
    "ConcernCategory",
    "CumulativeHarmFlag",
    "CumulativeHarmRule",
    "Notification",
    "Person",
    "ReferenceCounter",
    "Referral",
    "ReferralAdult",
    "ReferralChild",
    "Relationship",
    "Role",
    "ScreeningDecision",
    "Staff",
    "Team",
]
