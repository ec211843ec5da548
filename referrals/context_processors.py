from referrals import access, selectors


def navigation(request) -> dict:
    """What the header shows: unread notifications and the links this person's role uses."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notification_count": selectors.unread_count(user),
        "nav_can_intake": access.can_intake(user),
        "nav_can_search": access.can_read_case_records(user),
        "nav_is_manager": access.is_social_work_staff(user)
        and user.role in access.MANAGER_ROLES,
    }
