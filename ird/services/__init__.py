"""IRD services: every write a person or partner system can cause, one function per verb.

Guard, change, audit, then queue: each function locks what it changes, checks who may do it
(ird.access) and the IRD's state, writes, records the audit row in the same transaction, and
queues e-mail only after commit. The referral's status moves only through
referrals.services.progress.referral_progress; deadlines only through referrals.deadlines."""

from ird.services.actions import (  # noqa: F401
    _actor_label,
    action_add,
    action_due_at,
    action_update,
)
from ird.services.after_sign_off import (  # noqa: F401
    addendum_add,
    follow_up_done,
    quality_review_record,
    record_circulate,
)
from ird.services.common import (  # noqa: F401
    ACTION_DUE_TIME,
    ACTION_DUE_WITHIN,
    CONFIRM_SIGN_OFF,
    FOLLOW_UP_ALWAYS,
    MUST_TAKE_PART,
    REQUIRED_SECTIONS,
    RESEND_AFTER,
    REVIEW_DUE_TIME,
    Status,
    _chronicle,
    _included_children,
    _invited_staff,
    _lock,
    _record_changed,
    _referral_step,
    _referral_step_done,
    _save,
    ird_url,
    local_text,
    notify_people,
    open_deadline,
)
from ird.services.procedures import (  # noqa: F401
    _committee,
    _committee_only,
    _open_review_reminders,
    add_months,
    procedure_review,
    procedure_start,
)
from ird.services.record import (  # noqa: F401
    _record_open,
    _recording,
    _writing,
    absence_reason_record,
    attendance_add,
    attendance_left,
    decision_add,
    decision_remove,
    ird_start,
    lead_professional_name,
    record_details_save,
    section_save,
)
from ird.services.requests import (  # noqa: F401
    initial_discussion_record,
    ird_convene,
    ird_follow_on,
    ird_request_open,
    on_referral_received,
    on_screening_approved,
)
from ird.services.scheduling import (  # noqa: F401
    Schedule,
    _calendar_subject,
    _check_schedule,
    _queue_calendar,
    calendar_message_send,
    calendar_resend_unsent,
    child_decide,
    ird_cancel,
    ird_schedule,
    queue_calendar_send,
)
from ird.services.sign_off import (  # noqa: F401
    _ensure_follow_up,
    ird_conclude,
    ird_sign_off,
    sign_off_problems,
)
