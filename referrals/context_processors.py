from referrals import access, selectors
from referrals.models import Role


def navigation(request) -> dict:
    """What the header shows: unread notifications and the links this person's role uses."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notification_count": selectors.unread_count(user),
        "nav_can_intake": access.can_intake(user),
        "nav_can_search": access.can_read_case_records(user),
        "nav_is_manager": access.is_social_work_staff(user) and user.role in access.MANAGER_ROLES,
        # The practice hub (hub/): reviewers work its queue; the committee (QA) runs its
        # audits and, with service managers, reads its reports; managers see team feedback.
        "nav_hub_queue": user.role == Role.HUB_REVIEWER,
        "nav_hub_audits": user.role in access.QUALITY_ROLES,
        "nav_hub_reports": user.role == Role.COMMITTEE
        or (access.is_social_work_staff(user) and user.role == Role.SERVICE_MANAGER),
        "nav_team_feedback": access.is_social_work_staff(user)
        and user.role in access.MANAGER_ROLES,
        # IRDs (ird/): those who take part in them, schedule them or review their quality.
        "nav_irds": access.is_social_work_staff(user)
        or user.role in {"ird_participant", "committee"},
    }
