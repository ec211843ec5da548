from referrals.models.audit import AuditChainAnchor, AuditChainHead, AuditEntry, RateLimit
from referrals.models.chronology import (
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    Notification,
)
from referrals.models.deadlines import ClosureDay, Deadline, DeadlineAlert, Timescale
from referrals.models.emergency import EmergencyMeasure, EmergencyMeasureKind
from referrals.models.feedback import ReferralFeedback
from referrals.models.organisation import Agency, EscalationContact, Role, Staff, Team
from referrals.models.people import Person, Relationship
from referrals.models.referral import (
    ConcernCategory,
    ReferenceCounter,
    Referral,
    ReferralAdult,
    ReferralChild,
    ScreeningDecision,
)
from referrals.models.restriction import BreakGlass, Restriction
from referrals.models.retention import DisposalList, DisposalRecord, LegalHold, RetentionClass
from referrals.models.sharing import ShareRoute
from referrals.models.subject_access import DisclosureItem, SubjectAccessRequest

__all__ = [
    "Agency",
    "AuditChainAnchor",
    "AuditChainHead",
    "AuditEntry",
    "BreakGlass",
    "ChronologyEntry",
    "ClosureDay",
    "ConcernCategory",
    "CumulativeHarmFlag",
    "CumulativeHarmRule",
    "Deadline",
    "DeadlineAlert",
    "DisclosureItem",
    "EmergencyMeasure",
    "EmergencyMeasureKind",
    "EscalationContact",
    "DisposalList",
    "DisposalRecord",
    "LegalHold",
    "Notification",
    "Person",
    "ReferenceCounter",
    "RateLimit",
    "Referral",
    "ReferralAdult",
    "ReferralChild",
    "ReferralFeedback",
    "Relationship",
    "Restriction",
    "RetentionClass",
    "Role",
    "ScreeningDecision",
    "ShareRoute",
    "SubjectAccessRequest",
    "Staff",
    "Team",
    "Timescale",
]
