"""Tokens: hashed, expiring, revocable, rotated with overlap; 401 with WWW-Authenticate for every
kind of bad token, 403 for a disabled client, 429 for too many failures or too many requests."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.api import services
from referrals.api.errors import TokenRefused
from referrals.api.models import ApiToken
from referrals.models import AuditEntry
from tests.api.conftest import CONCERNS, PartnerClient, concern_body

pytestmark = pytest.mark.django_db


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_tokens_are_stored_hashed_and_never_raw(police_client):
    token, raw = services.token_issue(client=police_client)

    assert raw.startswith("cwr_") and len(raw) == 80
    assert raw not in token.key_hash and token.key_hash == services.token_hash(raw)
    assert raw[4:16] == token.prefix
    assert token.expires_at - token.created_at == pytest.approx(
        datetime.timedelta(days=90), abs=datetime.timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token cwr_" + "0" * 76,
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer cwr_" + "0" * 76,
        "Bearer cwr_" + "G" * 76,
        "Bearer cwr_" + "0" * 75,
    ],
)
def test_missing_malformed_or_unknown_tokens_are_401(police_api, header):
    headers = {} if header is None else {"Authorization": header}
    api = PartnerClient()
    assert_401(api.get(CONCERNS, headers=headers))
    assert_401(api.post(CONCERNS, concern_body(), headers=headers))


def test_a_token_with_a_known_prefix_but_wrong_secret_is_401(police_client, duty_team):
    token, raw = services.token_issue(client=police_client)
    forged = raw[:16] + ("0" if raw[16] != "0" else "1") + raw[17:]
    assert_401(PartnerClient(forged).get(CONCERNS))


def test_an_expired_token_is_401(police_client, duty_team):
    token, raw = services.token_issue(client=police_client)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    response = PartnerClient(raw).get(CONCERNS)

    assert_401(response)
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_fails_on_the_next_request(police_client, duty_team):
    token, raw = services.token_issue(client=police_client)
    api = PartnerClient(raw)
    assert api.get(CONCERNS).status_code == 200

    services.tokens_revoke(client=police_client)

    response = api.get(CONCERNS)
    assert_401(response)
    assert "revoked" in response.json()["detail"]


def test_two_tokens_overlap_while_a_client_rotates_and_a_third_is_refused(police_client, duty_team):
    old, old_raw = services.token_issue(client=police_client)
    new, new_raw = services.token_issue(client=police_client)

    assert PartnerClient(old_raw).get(CONCERNS).status_code == 200
    assert PartnerClient(new_raw).get(CONCERNS).status_code == 200
    with pytest.raises(TokenRefused):
        services.token_issue(client=police_client)

    services.tokens_revoke(client=police_client, tokens=[old])
    assert PartnerClient(old_raw).get(CONCERNS).status_code == 401
    assert PartnerClient(new_raw).get(CONCERNS).status_code == 200
    services.token_issue(client=police_client)  # room again for the next rotation


def test_expired_tokens_do_not_count_towards_the_two(police_client):
    first, _ = services.token_issue(client=police_client)
    services.token_issue(client=police_client)
    ApiToken.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    services.token_issue(client=police_client)


def test_a_disabled_client_is_403_with_a_valid_token(police_api, police_client):
    police_client.is_active = False
    police_client.save()

    response = police_api.get(CONCERNS)

    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]
    assert police_api.submit().status_code == 403


def test_use_is_recorded_at_most_once_a_minute(police_client, duty_team):
    token, raw = services.token_issue(client=police_client)
    api = PartnerClient(raw)
    api.get(CONCERNS)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    with CaptureQueriesContext(connection) as queries:
        api.get(CONCERNS)

    token.refresh_from_db()
    assert token.last_used_at == first_use
    # Issue 14: within the minute, the token row read says so: no statement is sent at all.
    assert not [q for q in queries if "UPDATE" in q["sql"] and "apitoken" in q["sql"]]

    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=first_use - datetime.timedelta(minutes=2)
    )
    api.get(CONCERNS)
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_failed_token_attempts_from_one_address_are_throttled_but_a_valid_token_never_is(
    settings, police_client, duty_team
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "partner_auth_failures": "3/min",
        },
    }
    token, raw = services.token_issue(client=police_client)
    guesser = PartnerClient("cwr_" + "0" * 76, address="203.0.113.9")
    for _ in range(3):
        assert guesser.get(CONCERNS).status_code == 401

    blocked = guesser.get(CONCERNS)
    # Behind a proxy every partner may share one address: a guesser there must not lock out
    # the partners whose tokens are good.
    valid_from_there = PartnerClient(raw, address="203.0.113.9").get(CONCERNS)

    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert blocked.json()["detail"]
    assert valid_from_there.status_code == 200
    assert PartnerClient(raw, address="198.51.100.1").get(CONCERNS).status_code == 200


def test_each_client_is_throttled_on_its_own(settings, police_api, health_api):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "partner_client": "3/min",
        },
    }
    for _ in range(3):
        assert police_api.get(CONCERNS).status_code == 200

    response = police_api.get(CONCERNS)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert police_api.submit().status_code == 429
    assert health_api.get(CONCERNS).status_code == 200


def test_the_per_client_limit_is_600_a_minute_and_failures_300_by_default():
    from referrals.api.throttling import rate_for

    assert rate_for("partner_client") == (600, 60)
    assert rate_for("partner_auth_failures") == (300, 60)


def test_no_audit_rows_name_an_unauthenticated_caller(anonymous_api):
    before = AuditEntry.objects.count()
    anonymous_api.get(CONCERNS)
    assert AuditEntry.objects.count() == before
