"""Creating clients and tokens: the management command of API.md, and the Django admin (a raw
token appears once, in the message after the action that made it)."""

import io

import pytest
from django.core.management import CommandError, call_command

from referrals.api.models import ApiClient, ApiToken, IdempotencyKey, WebhookEvent
from referrals.models import AuditEntry
from tests.api.conftest import CONCERNS, PartnerClient, concern_body

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def test_creates_a_client_and_prints_the_token_alone_on_the_last_line(police, duty_team):
    lines = run("--agency", "police", "--name", "Police Scotland iVPD")

    token = lines[-1]
    client = ApiClient.objects.get(name="Police Scotland iVPD")
    assert client.agency == police
    assert token.startswith("cwr_") and " " not in token
    stored = ApiToken.objects.get(client=client)
    assert token not in stored.key_hash
    assert PartnerClient(token).get(CONCERNS).status_code == 200


def test_running_again_adds_a_second_token_for_rotation_then_refuses(police, duty_team):
    first = run("--agency", "police", "--name", "Police Scotland iVPD")[-1]
    second = run("--agency", "police", "--name", "Police Scotland iVPD")[-1]

    assert first != second
    assert ApiClient.objects.count() == 1
    assert PartnerClient(first).get(CONCERNS).status_code == 200
    assert PartnerClient(second).get(CONCERNS).status_code == 200
    with pytest.raises(CommandError, match="active tokens"):
        run("--agency", "police", "--name", "Police Scotland iVPD")


def test_revoke_revokes_every_token_of_the_client(police, duty_team):
    token = run("--agency", "police", "--name", "Police Scotland iVPD")[-1]
    run("--agency", "police", "--name", "Police Scotland iVPD")

    lines = run("--revoke", "--name", "Police Scotland iVPD")

    assert "Revoked 2" in lines[-1]
    assert PartnerClient(token).get(CONCERNS).status_code == 401


def test_a_webhook_secret_is_printed_once_with_the_first_token(police):
    lines = run(
        "--agency",
        "police",
        "--name",
        "Police webhooks",
        "--webhook-url",
        "https://partner.example.org/hooks",
    )
    client = ApiClient.objects.get()
    assert any(client.webhook_secret in line for line in lines[:-1])
    assert client.webhook_url == "https://partner.example.org/hooks"
    assert lines[-1].startswith("cwr_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "fire", "--name", "X"], "No agency"),
        (["--name", "X"], "--agency"),
        (["--revoke", "--name", "Nobody"], "No API client"),
        (["--agency", "health", "--name", "Police Scotland iVPD"], "belongs to agency"),
    ],
)
def test_mistakes_are_explained(police, health, args, message):
    run("--agency", "police", "--name", "Police Scotland iVPD")
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_admin_shows_a_new_token_once(client, administrator, police):
    api_client = ApiClient.objects.create(name="Health system", agency=police)
    client.force_login(administrator)

    response = client.post(
        "/admin/partner_api/apiclient/",
        {"action": "issue_token", "_selected_action": [str(api_client.pk)]},
        follow=True,
    )

    token = ApiToken.objects.get(client=api_client)
    page = response.content.decode()
    [shown] = [word for word in page.split() if word.startswith("cwr_")]
    assert shown.startswith(f"cwr_{token.prefix}")
    again = client.get(f"/admin/partner_api/apiclient/{api_client.pk}/change/").content.decode()
    assert shown not in again and token.key_hash not in again


def test_admin_lists_keys_events_and_deliveries_read_only(
    client, administrator, police_api, police_client
):
    police_api.submit(concern_body())
    client.force_login(administrator)
    for model in (
        "idempotencykey",
        "webhookevent",
        "webhookdelivery",
        "apitoken",
        "submittedconcern",
        "apiclient",
    ):
        assert client.get(f"/admin/partner_api/{model}/").status_code == 200, model
    key = IdempotencyKey.objects.get()
    detail = client.get(f"/admin/partner_api/idempotencykey/{key.pk}/change/")
    assert detail.status_code == 200
    assert b"Ava" not in detail.content, "stored answers hold children's names: not shown"
    assert client.get("/admin/partner_api/idempotencykey/add/").status_code == 403
    assert not WebhookEvent.objects.exists()


def test_disabling_a_client_in_the_admin_revokes_its_tokens_for_good(
    client, administrator, police, duty_team
):
    token = run("--agency", "police", "--name", "Police Scotland iVPD")[-1]
    api_client = ApiClient.objects.get(name="Police Scotland iVPD")
    client.force_login(administrator)
    change = f"/admin/partner_api/apiclient/{api_client.pk}/change/"
    form = {"name": api_client.name, "agency": str(police.pk), "webhook_url": ""}
    inline = {"tokens-TOTAL_FORMS": "1", "tokens-INITIAL_FORMS": "1", "tokens-MIN_NUM_FORMS": "0"}
    inline["tokens-MAX_NUM_FORMS"] = "1000"
    inline["tokens-0-id"] = str(api_client.tokens.get().pk)
    inline["tokens-0-client"] = str(api_client.pk)

    disabled = client.post(change, {**form, **inline})  # is_active unticked
    assert disabled.status_code == 302, disabled.context["adminform"].form.errors
    enabled = client.post(change, {**form, **inline, "is_active": "on"})
    assert enabled.status_code == 302

    api_client.refresh_from_db()
    assert api_client.is_active
    assert PartnerClient(token).get(CONCERNS).status_code == 401, "re-enabling needs a new token"
    revoked = AuditEntry.objects.get(object_type="apitoken", detail__revoked=True)
    assert revoked.actor == administrator
