from django.urls import reverse

from referrals import access, extensions, selectors
from referrals.extensions import NavigationEntry


def navigation(request) -> dict:
    """What the header shows: unread notifications and the menu of this person's role. The
    core's own links are decided here; hub/ and ird/ add theirs through the extension registry,
    each by its own access rules."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = [NavigationEntry("Home", reverse("home"), 10)]
    if access.can_intake(user):
        entries.append(NavigationEntry("New referral", reverse("referral_new"), 20))
    if access.can_read_case_records(user):
        entries.append(NavigationEntry("Search", reverse("search"), 30))
    if access.is_social_work_staff(user) and user.role in access.MANAGER_ROLES:
        entries.append(NavigationEntry("Team work", reverse("team_work"), 45))
    if user.has_perm("referrals.review_break_glass"):
        entries.append(NavigationEntry("Break-glass", reverse("break_glass_report"), 86))
    if user.has_perm("referrals.view_access_report"):
        entries.append(NavigationEntry("Access reports", reverse("access_report_find"), 85))
    if user.has_perm("referrals.manage_subject_access"):
        entries.append(NavigationEntry("Subject access", reverse("subject_access_list"), 86))
    if user.has_perm("referrals.manage_retention") or user.has_perm("referrals.approve_disposal"):
        entries.append(NavigationEntry("Disposal", reverse("disposal_lists"), 87))
    entries.extend(extensions.navigation(user))
    path = request.path
    return {
        "unread_notification_count": selectors.unread_count(user),
        "navigation": [
            {
                "entry": entry,
                "current": path == entry.url,
                "within": path != entry.url and any(path.startswith(s) for s in entry.section),
            }
            for entry in sorted(entries, key=lambda entry: entry.order)
        ],
    }
