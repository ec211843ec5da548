"""The second factor every staff session needs before it opens any record (django-otp).

Staff enrol an authenticator app (TOTP, RFC 6238) on their first sign-in, from a QR code drawn
here (no outside service sees the secret), and receive ten one-time recovery codes, shown once.
A TOTP code is accepted once (django-otp keeps the last time step used, so a code read over a
shoulder cannot be replayed) and wrong codes count toward the same lockout as wrong passwords
(referrals.views.sign_in). Once signed in, they may add passkeys as a second choice
(referrals/passkeys.py). Partner systems use API tokens and are not concerned.

Demo installations enrol the demo users with keys derived from their usernames, so that
`manage.py demo_code USERNAME` can print the current code; production refuses both.
"""

import hashlib
import secrets
import time
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals import audit, passkeys
from referrals.errors import DomainError

RECOVERY_CODES = 10
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class DemoOnly(DomainError):
    pass


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(user) -> TOTPDevice:
    """The device being enrolled: a new secret until the person confirms it with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG, drawn here: the secret never leaves the page."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR code to scan with your authenticator app"
    )


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for an app that cannot scan."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def enrol_confirm(*, user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with its first code. Returns the new recovery codes (to show once), or
    None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(_digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    audit.record(actor=user, action=audit.Action.CHANGE, subject=user, detail={"mfa": "enrolled"})
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def verify(*, user, code: str):
    """The device that accepts this code (an app code, or a recovery code, which is then used
    up), or None."""
    code = (code or "").strip().replace(" ", "").lower()
    if not code or len(code) > 16:
        return None
    return match_token(user, code)


def _digits(code: str) -> str:
    return (code or "").strip().replace(" ", "")


@transaction.atomic
def reset(*, user, by) -> None:
    """Remove someone's second factor (a lost phone): the app, the recovery codes and every
    passkey; they enrol again at their next sign-in. Their sessions end with it."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    removed_passkeys = passkeys.remove_all(user)
    from referrals.sessions import end_sessions  # noqa: PLC0415 - avoids an import cycle

    end_sessions(user)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=user,
        detail={"mfa": "reset", "passkeys_removed": removed_passkeys},
    )


# --- Demo and tests ---------------------------------------------------------------------------


def require_demo() -> None:
    if not settings.DEMO_FEATURES:
        raise DemoOnly("Demo sign-in codes exist in demo installations only.")


def demo_key(username: str) -> str:
    """A known 20-byte key per demo user (hex), so the demo's codes can be printed. Derivable
    on purpose: SHA-1 here only spreads the name over 20 bytes, it protects nothing."""
    seed = f"child-welfare-demo:{username}".encode()
    return hashlib.sha1(seed, usedforsecurity=False).hexdigest()


def enrol_with_key(user, key: str) -> TOTPDevice:
    """Enrol `user` with a known key: the demo users, and the test suite's sign-in."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name=APP_NAME, defaults={"key": key, "confirmed": True}
    )
    return device


def enrol_demo(user) -> TOTPDevice:
    require_demo()
    return enrol_with_key(user, demo_key(user.username))


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def enrolment_or_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def demo_code(user) -> str:
    require_demo()
    device = enrolment_or_app(user)
    if device is None:
        raise DemoOnly(f"{user.username} has no authenticator enrolled.")
    return current_code(device)
