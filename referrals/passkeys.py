"""Passkeys (WebAuthn): a second choice of second factor, beside the authenticator app.

django-otp-webauthn runs the ceremonies and keeps each passkey as a django-otp device, so a
session a passkey verified is verified as one a code verified (`is_verified()`). The rules
added here: a passkey is added only on a session the second factor has already verified; it
carries a name its owner chooses; only its owner sees, renames or removes it; adding and
removing are audited. Everyone still enrols the authenticator app first (with its recovery
codes), so removing a passkey never leaves anyone without a second factor.
"""

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.middleware.csrf import get_token
from django.urls import reverse
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from referrals import audit

NAME_MAX_LENGTH = WebAuthnCredential._meta.get_field("name").max_length


class PasskeyHelper(WebAuthnHelper):
    """The package's helper (OTP_WEBAUTHN_HELPER_CLASS), giving a new passkey a name until its
    owner chooses one."""

    def create_credential(self, user, response, parsed_credential, original_data):
        passkey = super().create_credential(user, response, parsed_credential, original_data)
        passkey.name = f"Passkey {passkeys_of(user).count() + 1}"
        return passkey


def passkeys_of(user):
    return WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk")


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def passkey_of(user, passkey_id: int) -> WebAuthnCredential:
    """Someone else's passkey and a missing one look the same: both raise Http404."""
    passkey = passkeys_of(user).filter(pk=passkey_id).first()
    if passkey is None:
        raise Http404("No such passkey.")
    return passkey


def ceremony_settings(request) -> dict:
    """What a page offering passkeys needs: whether they work at the address the page was
    opened at (browsers refuse them on a bare IP address such as the demo's 127.0.0.1, and at
    any origin but the site's), where they do, and the configuration the package's scripts
    read (templates/includes/passkey_scripts.html)."""
    origins = settings.OTP_WEBAUTHN_ALLOWED_ORIGINS
    return {
        "available": f"{request.scheme}://{request.get_host()}" in origins,
        "origin": origins[0],
        "config": {
            "csrfToken": get_token(request),
            "beginAuthenticationUrl": reverse("mfa_passkey_begin"),
            "completeAuthenticationUrl": reverse("mfa_passkey_complete"),
            "beginRegistrationUrl": reverse("passkey_register_begin"),
            "completeRegistrationUrl": reverse("passkey_register_complete"),
            "nextFieldSelector": "input[name='next']",
            "autocompleteLoginFieldSelector": None,  # no passwordless sign-in
        },
    }


def passkey_added(*, user, passkey: WebAuthnCredential) -> None:
    """The package has saved the passkey; this records who added which, in its transaction."""
    audit.record(
        actor=user,
        action=audit.Action.CHANGE,
        subject=user,
        detail={"mfa": "passkey added", "passkey": passkey.pk},
    )


@transaction.atomic
def passkey_rename(*, user, passkey: WebAuthnCredential, name: str) -> WebAuthnCredential:
    passkey = passkey_of(user, passkey.pk)
    passkey.name = name.strip()[:NAME_MAX_LENGTH]
    passkey.save(update_fields=["name"])
    return passkey


@transaction.atomic
def passkey_remove(*, user, passkey: WebAuthnCredential) -> None:
    passkey = passkey_of(user, passkey.pk)
    passkey_id = passkey.pk
    passkey.delete()
    audit.record(
        actor=user,
        action=audit.Action.CHANGE,
        subject=user,
        detail={"mfa": "passkey removed", "passkey": passkey_id},
    )


def remove_all(user) -> int:
    """Every passkey of `user` (a reset of their second factor, which audits it)."""
    _, removed = WebAuthnCredential.objects.filter(user=user).delete()
    return removed.get(WebAuthnCredential._meta.label, 0)
