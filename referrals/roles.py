"""Which Django permissions each role holds, in one table.

Views check `user.has_perm("referrals.<codename>")`, never role strings; the role a person has
grants the permissions below, and an administrator may grant more through groups in the admin.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from referrals.models import Role, Staff

GOVERNANCE = frozenset(
    {
        "referrals.view_access_report",
        "referrals.review_break_glass",
        "referrals.manage_retention",
        "referrals.manage_subject_access",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.INFORMATION_GOVERNANCE: GOVERNANCE,
    # A manager approves what information governance lists for disposal (four eyes).
    Role.SERVICE_MANAGER: frozenset({"referrals.approve_disposal"}),
}


class RolePermissionBackend(ModelBackend):
    """Django's model backend, plus the permissions of the person's role."""

    def get_user(self, user_id):
        # The signed-in person's agency and team are asked for on nearly every page (scope,
        # navigation): read with the person, not in a statement each.
        try:
            user = Staff._default_manager.select_related("agency", "team").get(pk=user_id)
        except (Staff.DoesNotExist, ValueError, ValidationError):
            return None
        return user if self.user_can_authenticate(user) else None

    def get_group_permissions(self, user_obj, obj=None):
        granted = super().get_group_permissions(user_obj, obj)
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return granted
        return granted | ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), frozenset())
