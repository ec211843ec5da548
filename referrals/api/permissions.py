"""Who may call what. Deny by default: partner operations need an active API client; the schema
and its documentation page also open to signed-in staff."""

from rest_framework.permissions import BasePermission

from referrals.api.models import ApiClient


class IsActivePartnerClient(BasePermission):
    """A valid token of an active client. A valid token of a client an administrator disabled
    is a 403: the caller is known, but may do nothing."""

    message = "This API client has been disabled: ask the council's administrator."

    def has_permission(self, request, view) -> bool:
        client = request.user
        return isinstance(client, ApiClient) and client.is_active


class IsPartnerClientOrStaff(BasePermission):
    message = "Only partner systems and the council's staff can read the API's schema."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if isinstance(user, ApiClient):
            return user.is_active
        return bool(
            user is not None and getattr(user, "is_authenticated", False) and user.is_active
        )
