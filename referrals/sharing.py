"""The lawful basis recorded with each share: what the route's ShareRoute row (admin) says at
the moment data leaves. Call sites put `basis(route)` into the audit row's detail, and ird/'s
circulation log keeps it on each row."""

import logging

from referrals.models.sharing import ShareRoute

logger = logging.getLogger(__name__)

Route = ShareRoute.Route
NOT_RECORDED = "not_recorded"


def basis(route: str) -> dict[str, str]:
    """{"share_route", "lawful_basis", "condition"} for an audit row's detail (codes only)."""
    row = (
        ShareRoute.objects.filter(route=route)
        .values("lawful_basis", "special_category_condition")
        .first()
    )
    if row is None:
        # Rows are installed by migration and cannot be deleted in the admin: this is a broken
        # installation, told loudly, but the share (often urgent child protection work) goes on.
        logger.error("share route %s has no lawful basis configured", route)
        row = {"lawful_basis": NOT_RECORDED, "special_category_condition": NOT_RECORDED}
    return {
        "share_route": str(route),
        "lawful_basis": row["lawful_basis"],
        "condition": row["special_category_condition"],
    }
