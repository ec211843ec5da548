"""Every write the practice hub makes: reviews entering the queue, claims, scoring and feedback,
rubric versions, and the practice audit from its sample to its learning summary.

Guard, change, audit, then queue: each function takes the rows it changes under a lock, checks
their state so that a double submit or a retried task does no harm, writes its audit row in the
same transaction and leaves e-mail to tasks queued after commit (through referrals'
notifications). Deadlines run on the core's timescales engine (referrals.deadlines)."""

from hub.services.audits import (  # noqa: F401
    _audit_panel,
    _local_midnight,
    audit_assignment_submit,
    audit_population,
    audit_round_open,
    audit_sample_draw,
    audit_sample_reproduces,
    audit_summary_send,
)
from hub.services.common import (  # noqa: F401
    FREE_TEXT_MAX,
    REVIEW_TIMESCALES,
    AuditRefused,
    ClaimConflict,
    ReviewRefused,
    _deadline_open,
    reference_data_ensure,
    rubric_in_use,
)
from hub.services.reviews import (  # noqa: F401
    AUDIT_ASSIGNMENT_SUBJECT,
    AUDIT_ROUND_SUBJECT,
    REVIEW_SUBJECT,
    Score,
    _active_claim,
    _check_scores,
    _feedback_comments,
    _give_feedback,
    _in_decision_sample,
    _lock_review,
    _tell_decision_makers,
    claims_expire,
    review_claim,
    review_enqueue,
    review_release,
    review_subject,
    review_submit,
)
from hub.services.rubrics import (  # noqa: F401
    rubric_new_version,
    rubric_publish,
)
