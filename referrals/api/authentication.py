"""`Authorization: Bearer <token>` for partner systems.

Tokens are looked up by their (non-secret) prefix and compared by SHA-256 hash in constant
time; expired and revoked tokens fail. Every failed attempt counts against the caller's address,
and a failed attempt from an address over its limit is answered 429 (pitfall 11: the login
lockout does not cover tokens); a valid token is always accepted."""

import re

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from referrals.api import services, throttling
from referrals.api.models import ApiToken

_TOKEN = re.compile(
    rf"^{services.TOKEN_MARK}[0-9a-f]{{{services.TOKEN_LENGTH - len(services.TOKEN_MARK)}}}$"
)
REALM = "partner-api"


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # NotAuthenticated: 401 with WWW-Authenticate
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            self._fail(request, "Send the token as: Authorization: Bearer <token>.")
        raw = raw.strip()
        if not _TOKEN.fullmatch(raw):
            self._fail(request, "The token is malformed.")
        token = (
            ApiToken.objects.select_related("client__agency")
            .filter(prefix=services.token_prefix(raw))
            .first()
        )
        if token is None or not services.token_matches(token, raw):
            self._fail(request, "The token is not valid.")
        if token.revoked_at is not None:
            self._fail(request, "The token has been revoked.")
        if not token.is_active:
            self._fail(request, "The token has expired: ask for a new one.")
        services.token_mark_used(token)
        return token.client, token

    def _fail(self, request, message: str):
        """A bad token counts against its address; over the limit the answer is 429. A good
        token is never refused for others' failures: behind a proxy, partners may share an
        address with whoever is guessing."""
        wait = throttling.auth_failures_exceeded(request)
        if wait is not None:
            raise exceptions.Throttled(
                wait=wait, detail="Too many failed token attempts from this address."
            )
        throttling.auth_failure_record(request)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="{REALM}"'
