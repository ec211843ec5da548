"""Create a partner API client and print its token (shown once), or revoke a client's tokens.

    manage.py create_api_client --agency police --name "Police Scotland iVPD"
    manage.py create_api_client --agency police --name "Police Scotland iVPD"   # rotation
    manage.py create_api_client --revoke --name "Police Scotland iVPD"

The token is printed alone on the last line, once: only its hash is stored. Run again for an
existing client to issue a second token while the partner rotates (at most two active).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from referrals.api import services
from referrals.api.errors import TokenRefused
from referrals.api.models import ApiClient
from referrals.models import Agency


class Command(BaseCommand):
    help = "Create a partner API client (or a second token for rotation), or revoke its tokens."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The partner system's name.")
        parser.add_argument("--agency", help="The agency's code, e.g. police or health.")
        parser.add_argument(
            "--revoke", action="store_true", help="Revoke every token the client holds."
        )
        parser.add_argument(
            "--webhook-url",
            default="",
            help="HTTPS address for event notifications (a signing secret is "
            "generated and printed once).",
        )
        parser.add_argument("--days", type=int, default=90, help="Token lifetime in days.")

    def handle(self, *args, name, agency, revoke, webhook_url, days, **options):
        if revoke:
            return self._revoke(name)
        if not agency:
            raise CommandError("Give --agency <code> (e.g. police) to create a client.")
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        try:
            agency_obj = Agency.objects.get(code=agency)
        except Agency.DoesNotExist:
            codes = ", ".join(Agency.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No agency with code {agency!r} (known: {codes}).") from None

        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            client = services.client_create(name=name, agency=agency_obj, webhook_url=webhook_url)
            self.stdout.write(f"Created API client {client.name!r} for {agency_obj.name}.")
        elif client.agency_id != agency_obj.pk:
            raise CommandError(
                f"{name!r} belongs to agency {client.agency.code!r}, not {agency!r}."
            )
        else:
            self.stdout.write(
                f"API client {client.name!r} exists: issuing another token for "
                "rotation. Revoke the old one once the partner has switched."
            )
        if webhook_url and not client.webhook_secret:
            if client.webhook_url != webhook_url:
                client.webhook_url = webhook_url
                client.save(update_fields=["webhook_url"])
            secret = services.webhook_secret_generate(client=client)
            self.stdout.write(f"Webhook signing secret (shown once): {secret}")
        try:
            token, raw = services.token_issue(client=client, lifetime=timedelta(days=days))
        except TokenRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"Token expires {token.expires_at:%Y-%m-%d %H:%M %Z}. It is shown once "
            "and cannot be recovered: store it now. The token:"
        )
        self.stdout.write(raw)

    def _revoke(self, name: str) -> None:
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No API client named {name!r}.")
        count = services.tokens_revoke(client=client)
        self.stdout.write(f"Revoked {count} token(s) of {client.name!r}.")
