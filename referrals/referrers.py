"""Who a concern comes from, and what must be known of them.

A referrer from an agency (police, health, education, social work, other) is named: the hub's
feedback and any question go back to them. A member of the public, the family or the child may
refer without giving a name or contact details. An anonymous concern names nobody, so that it
cannot be traced back to whoever gave it.
"""

from referrals.models import Agency

CONTACT_FIELDS = ("referrer_name", "referrer_phone", "referrer_email", "referrer_manager_email")


def referrer_problems(
    source: Agency, *, name: str = "", phone: str = "", email: str = "", manager_email: str = ""
) -> dict[str, str]:
    """What is wrong with the referrer's details for this source, by field (empty: nothing)."""
    given = {
        "referrer_name": (name or "").strip(),
        "referrer_phone": (phone or "").strip(),
        "referrer_email": (email or "").strip(),
        "referrer_manager_email": (manager_email or "").strip(),
    }
    if source.anonymous:
        return {
            field: f"An anonymous concern names nobody: leave the {LABELS[field]} empty."
            for field in CONTACT_FIELDS
            if given[field]
        }
    if source.kind != Agency.Kind.COMMUNITY and not given["referrer_name"]:
        return {"referrer_name": "Enter the referrer's name."}
    return {}


LABELS = {
    "referrer_name": "referrer's name",
    "referrer_phone": "referrer's phone",
    "referrer_email": "referrer's e-mail",
    "referrer_manager_email": "manager's e-mail",
}
