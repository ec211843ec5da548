"""Passkeys, a second choice of second factor (issue 9): added, named and removed only on a
verified session and only by their owner, audited; offered at the second step to those who have
one, refusals counting toward the lockout; removed by an administrator's reset. The browser
journey (tests/browser/test_passkey_journey.py) registers a real one and signs in with it."""

import json
import re
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory, override_settings
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers import bytes_to_base64url

from config.settings import passkey_relying_party
from referrals import passkeys, second_factor
from referrals.models import AuditEntry
from referrals.views.passkeys import PasskeyRegistrationBegin
from tests.conftest import TEST_TOTP_KEY
from tests.factories import PasskeyFactory
from tests.referrals.test_second_factor import password_only

pytestmark = pytest.mark.django_db

REGISTER_BEGIN = "/security/passkeys/register/begin/"
REGISTER_COMPLETE = "/security/passkeys/register/complete/"
HERE = override_settings(OTP_WEBAUTHN_ALLOWED_ORIGINS=["http://testserver"])


@pytest.fixture
def enrolled(social_worker):
    second_factor.enrol_with_key(social_worker, TEST_TOTP_KEY)
    return social_worker


def passkey_rows(user) -> list[dict]:
    return list(
        AuditEntry.objects.filter(object_id=str(user.pk), detail__has_key="passkey")
        .order_by("id")
        .values("actor_id", "detail")
    )


# --- Adding one -------------------------------------------------------------------------------


def test_a_password_only_session_cannot_add_a_passkey(enrolled, password):
    client = password_only(enrolled, password)

    response = client.post(REGISTER_BEGIN)

    assert response.status_code == 302
    assert response["Location"].startswith("/mfa/verify/")
    assert "otp_webauthn_register_state" not in client.session


def test_the_registration_views_refuse_an_unverified_session_themselves(social_worker):
    """Whatever the middleware does: a person with a password and no factor yet (the package
    lets them register, as a first factor) is refused too."""
    request = RequestFactory().post(REGISTER_BEGIN)
    request.user = social_worker
    social_worker.is_verified = lambda: False
    request.session = SessionStore()

    response = PasskeyRegistrationBegin.as_view()(request)

    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "user_not_verified"
    assert "otp_webauthn_register_state" not in request.session


def test_a_verified_session_gets_the_options_for_its_site(client, social_worker):
    client.force_login(social_worker)
    existing = PasskeyFactory(user=social_worker)

    response = client.post(REGISTER_BEGIN)

    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": "Child welfare referrals"}
    assert options["user"]["name"] == social_worker.username
    # The browser is told which passkeys this person has, so it does not add one twice.
    assert len(options["excludeCredentials"]) == 1
    assert existing.pk  # and it stays
    assert "otp_webauthn_register_state" in client.session


def test_a_completed_registration_is_audited_and_sent_to_be_named(client, social_worker):
    """The ceremony itself needs an authenticator (the browser journey has one); here the
    package's verification is stood in for, to see what the project adds around it."""
    client.force_login(social_worker)
    client.post(REGISTER_BEGIN)
    new = PasskeyFactory.build(user=social_worker, name="Passkey 1")

    def register_complete(helper, user, state, data):
        new.save()
        return new

    with mock.patch.object(passkeys.PasskeyHelper, "register_complete", new=register_complete):
        response = client.post(REGISTER_COMPLETE, {}, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"id": new.pk, "name_url": f"/security/passkeys/{new.pk}/"}
    assert passkey_rows(social_worker) == [
        {"actor_id": social_worker.pk, "detail": {"mfa": "passkey added", "passkey": new.pk}}
    ]


def test_a_new_passkey_is_named_until_its_owner_names_it(social_worker):
    PasskeyFactory(user=social_worker)
    helper = passkeys.PasskeyHelper(request=None)
    response = mock.Mock(aaguid="", credential_id=b"x", credential_public_key=b"k", sign_count=0)
    parsed = mock.Mock()
    parsed.response.transports = []

    passkey = helper.create_credential(social_worker, response, parsed, {})

    assert passkey.name == "Passkey 2"


# --- Seeing, naming, removing -----------------------------------------------------------------


@HERE
def test_the_sign_in_methods_page_lists_ones_own_passkeys(client, social_worker, team_manager):
    PasskeyFactory(user=social_worker, name="Work laptop")
    PasskeyFactory(user=team_manager, name="Someone else's key")
    client.force_login(social_worker)

    page = client.get("/security/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "Work laptop" in body and "Someone else" not in body
    assert 'id="passkey-register-button"' in body
    assert "/static/django_otp_webauthn/otp_webauthn_register.js" in body
    # Every script is the site's own (a random token may well contain "cdn").
    assert not re.search(r'<script[^>]+src="(https?:)?//', body)


def test_at_another_address_the_page_says_where_passkeys_work(client, social_worker):
    """The demo runs at http://127.0.0.1:8000; browsers refuse passkeys on an IP address."""
    client.force_login(social_worker)

    body = client.get("/security/").content.decode()

    assert "Passkeys work only at" in body and "http://localhost:8000" in body
    assert "otp_webauthn_register.js" not in body


def test_the_owner_renames_a_passkey(client, social_worker):
    passkey = PasskeyFactory(user=social_worker)
    client.force_login(social_worker)

    response = client.post(f"/security/passkeys/{passkey.pk}/", {"name": "  Work laptop "})

    assert response.status_code == 302 and response["Location"] == "/security/"
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


def test_a_passkey_needs_a_name(client, social_worker):
    passkey = PasskeyFactory(user=social_worker, name="Passkey 1")
    client.force_login(social_worker)

    response = client.post(f"/security/passkeys/{passkey.pk}/", {"name": ""})

    assert response.status_code == 400
    assert "Enter a name for the passkey." in response.content.decode()


def test_the_owner_removes_a_passkey_and_it_is_audited(client, social_worker):
    passkey = PasskeyFactory(user=social_worker)
    client.force_login(social_worker)

    response = client.post(f"/security/passkeys/{passkey.pk}/remove/")

    assert response.status_code == 302
    assert not WebAuthnCredential.objects.exists()
    assert passkey_rows(social_worker) == [
        {"actor_id": social_worker.pk, "detail": {"mfa": "passkey removed", "passkey": passkey.pk}}
    ]


def test_someone_elses_passkey_can_be_neither_removed_nor_renamed(
    client, social_worker, team_manager
):
    theirs = PasskeyFactory(user=team_manager, name="Their key")
    client.force_login(social_worker)

    assert client.post(f"/security/passkeys/{theirs.pk}/remove/").status_code == 404
    assert client.post(f"/security/passkeys/{theirs.pk}/", {"name": "Mine"}).status_code == 404
    assert client.get(f"/security/passkeys/{theirs.pk}/").status_code == 404

    theirs.refresh_from_db()
    assert theirs.name == "Their key"
    assert passkey_rows(team_manager) == []


def test_a_password_only_session_can_neither_remove_nor_rename(enrolled, password):
    passkey = PasskeyFactory(user=enrolled)
    client = password_only(enrolled, password)

    for response in (
        client.post(f"/security/passkeys/{passkey.pk}/remove/"),
        client.post(f"/security/passkeys/{passkey.pk}/", {"name": "Changed"}),
        client.get("/security/"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/mfa/verify/")
    passkey.refresh_from_db()
    assert passkey.name != "Changed"
    assert passkey_rows(enrolled) == []


# --- Using one at the second step -------------------------------------------------------------


@HERE
def test_the_code_page_offers_a_passkey_only_to_someone_who_has_one(enrolled, password):
    without = password_only(enrolled, password).get("/mfa/verify/").content.decode()
    PasskeyFactory(user=enrolled)
    with_one = password_only(enrolled, password).get("/mfa/verify/").content.decode()

    assert "passkey" not in without.lower()
    assert 'id="passkey-verification-button"' in with_one
    assert 'id="otp_webauthn_config"' in with_one
    assert "/static/django_otp_webauthn/otp_webauthn_auth.js" in with_one
    assert "/mfa/passkey/messages.js" in with_one


def test_a_passkey_is_never_a_way_in_without_the_password(enrolled):
    PasskeyFactory(user=enrolled)
    client = Client()

    assert client.post("/mfa/passkey/begin/").status_code == 403
    assert client.post("/mfa/passkey/complete/").status_code == 403
    assert "otp_webauthn_authentication_state" not in client.session


def test_the_second_step_asks_for_ones_own_passkeys(enrolled, password, team_manager):
    mine = PasskeyFactory(user=enrolled)
    PasskeyFactory(user=team_manager)
    client = password_only(enrolled, password)

    response = client.post("/mfa/passkey/begin/")

    assert response.status_code == 200
    allowed = response.json()["allowCredentials"]
    assert [credential["id"] for credential in allowed] == [
        bytes_to_base64url(bytes(mine.credential_id))
    ]


def test_refused_passkeys_count_toward_the_password_lockout(enrolled, password):
    PasskeyFactory(user=enrolled)
    client = password_only(enrolled, password)
    for _attempt in range(4):
        client.post("/mfa/passkey/begin/")
        refused = client.post("/mfa/passkey/complete/", {}, content_type="application/json")
        assert refused.status_code in {400, 422}, refused.content

    client.post("/mfa/passkey/begin/")
    locked = client.post("/mfa/passkey/complete/", {}, content_type="application/json")

    assert locked.status_code == 429  # django-axes' lockout page, as after wrong codes
    assert "_auth_user_id" not in client.session
    again = Client().post("/login/", {"username": enrolled.username, "password": password})
    assert again.status_code == 429


# --- Reset ------------------------------------------------------------------------------------


def test_a_reset_removes_the_passkeys_too(enrolled, administrator):
    PasskeyFactory.create_batch(2, user=enrolled)
    PasskeyFactory(user=administrator)

    second_factor.reset(user=enrolled, by=administrator)

    assert not WebAuthnCredential.objects.filter(user=enrolled).exists()
    assert WebAuthnCredential.objects.filter(user=administrator).count() == 1
    row = AuditEntry.objects.get(object_id=str(enrolled.pk), detail__mfa="reset")
    assert row.actor == administrator
    assert row.detail["passkeys_removed"] == 2


def test_the_admin_reset_removes_the_passkeys(client, enrolled, administrator):
    PasskeyFactory(user=enrolled)
    client.force_login(administrator)

    response = client.post(
        "/admin/referrals/staff/",
        {"action": "reset_second_factor", "_selected_action": [str(enrolled.pk)]},
    )

    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(user=enrolled).exists()
    assert AuditEntry.objects.filter(
        object_id=str(enrolled.pk), detail__passkeys_removed=1, actor=administrator
    ).exists()


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("http://127.0.0.1:8000", ("localhost", ["http://localhost:8000"])),
        ("http://localhost:8123/", ("localhost", ["http://localhost:8123"])),
        (
            "https://referrals.example.gov.uk",
            ("referrals.example.gov.uk", ["https://referrals.example.gov.uk"]),
        ),
        (
            "https://referrals.example.gov.uk:8443/cw/",
            ("referrals.example.gov.uk", ["https://referrals.example.gov.uk:8443"]),
        ),
    ],
)
def test_the_relying_party_comes_from_the_site_url(site_url, expected):
    assert passkey_relying_party(site_url) == expected
