"""The partner API's limits, shared by every web process.

Requests per client are counted exactly by GCRA in the database (referrals/ratelimit.py).
Failed token attempts per address use fixed one-window counters in the shared cache: cheap,
`Retry-After` is the rest of the window, and not exact under concurrency, which is fine for a
limit whose job is to stop a token-guessing loop (a valid token is never refused by it)."""

import math
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from referrals import ratelimit
from referrals.request_context import current_request

parse_rate = ratelimit.parse_rate


def rate_for(scope: str) -> tuple[int, int]:
    return parse_rate(api_settings.DEFAULT_THROTTLE_RATES[scope])


class WindowCounter:
    """Counts events per key in fixed windows of `period` seconds."""

    def __init__(self, scope: str):
        self.scope = scope

    def _key(self, ident: str, period: int) -> tuple[str, float]:
        now = time.time()
        window = int(now // period)
        return f"partner-api:{self.scope}:{ident}:{window}", (window + 1) * period - now

    def count(self, ident: str) -> tuple[int, float]:
        limit, period = rate_for(self.scope)
        key, remaining = self._key(ident, period)
        return cache.get(key, 0), remaining

    def add(self, ident: str) -> int:
        limit, period = rate_for(self.scope)
        key, _ = self._key(ident, period)
        cache.add(key, 0, timeout=period + 5)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 5)
            return 1

    def limit(self) -> int:
        return rate_for(self.scope)[0]


auth_failures = WindowCounter("partner_auth_failures")


def client_address(request) -> str:
    """The address the request came from, as far as the trusted proxies say (middleware)."""
    context = current_request()
    if context is not None and context.ip_address:
        return context.ip_address
    return request.META.get("REMOTE_ADDR") or "unknown"


def auth_failures_exceeded(request) -> float | None:
    """Seconds to wait if this address has used up its failed token attempts, else None."""
    count, remaining = auth_failures.count(client_address(request))
    if count >= auth_failures.limit():
        return max(1, math.ceil(remaining))
    return None


def auth_failure_record(request) -> None:
    auth_failures.add(client_address(request))


class PartnerClientThrottle(BaseThrottle):
    """Requests per API client (default 600 a minute), counted exactly across every process
    (GCRA in the database, referrals/ratelimit.py): no window edge lets twice the rate in."""

    def allow_request(self, request, view) -> bool:
        client = request.user
        if not getattr(client, "is_api_client", False):
            return True  # staff reading the schema: their sessions have their own limits
        decision = ratelimit.take(
            f"client:{client.pk}", api_settings.DEFAULT_THROTTLE_RATES["partner_client"]
        )
        self._retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float:
        return max(1, getattr(self, "_retry_after", 1))
