"""Passkeys in a real browser (issue 9): a signed-in member of staff adds a passkey on the
sign-in methods page and names it, signs out, and signs in again with the password and the
passkey instead of a code. Chromium's virtual authenticator (DevTools Protocol) stands in for the
phone or security key. The package's scripts run as served here, under the site's CSP.

WebAuthn wants a secure context and a domain name: pytest-django's live server is at
http://localhost:<port>, which is both (127.0.0.1 is no domain, and browsers refuse passkeys
there). The settings make that origin the passkeys' own for the test."""

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from referrals.models import AuditEntry
from tests.browser.conftest import with_authenticator
from tests.browser.test_referral_journey import checked, sign_in, sign_out
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def test_add_a_passkey_and_sign_in_with_it(
    page, browser_problems, live_server, settings, social_worker
):
    assert live_server.url.startswith("http://localhost:")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
    )["authenticatorId"]
    scanned: set[str] = set()

    # Signed in with the app's code, the person adds a passkey and names it.
    sign_in(page, social_worker)
    page.get_by_role("link", name="Sign-in methods").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in methods")
    expect(page.get_by_text("You have no passkeys.")).to_be_visible()
    checked(page, browser_problems, scanned, "sign-in methods")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page).to_have_url(re.compile(r"/security/passkeys/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Name your passkey")
    checked(page, browser_problems, scanned, "name the passkey")
    page.get_by_label("Name").fill("Work laptop")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("cell", name="Work laptop", exact=True)).to_be_visible()
    checked(page, browser_problems, scanned, "sign-in methods with a passkey")

    passkey = WebAuthnCredential.objects.get(user=social_worker)
    assert passkey.name == "Work laptop" and passkey.last_used_at is None
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert AuditEntry.objects.filter(
        actor=social_worker, detail__mfa="passkey added", detail__passkey=passkey.pk
    ).exists()
    sign_out(page)

    # Next time: the password, then the passkey in place of a code.
    with_authenticator(social_worker)
    page.goto("/search/")
    page.get_by_label("Username").fill(social_worker.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(page.get_by_role("heading", name="Or use a passkey")).to_be_visible()
    checked(page, browser_problems, scanned, "code or passkey")
    page.get_by_role("button", name="Use a passkey").click()

    expect(page).to_have_url(re.compile(r"/search/$"))  # where the person was going
    expect(page.locator(".app-header__user-name")).to_have_text(social_worker.get_full_name())
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert passkey.sign_count >= 1
