"""Rate limits counted exactly across every process: GCRA (the generic cell rate algorithm) in
the database.

Each key keeps one number, its theoretical arrival time `tat`. A request at `now` is allowed
when `tat - tolerance <= now`, and then moves `tat` to `max(tat, now) + interval`, where
`interval = period / limit` and `tolerance = period - interval` (a full `limit` may come at once,
then one every `interval`). The test and the move are one `INSERT ... ON CONFLICT DO UPDATE ...
WHERE ... RETURNING` statement, so concurrent requests in any process are counted exactly: no
fixed window lets twice the rate through at its edge.
"""

import math
import time
from dataclasses import dataclass
from functools import wraps

from django.db import connection
from django.shortcuts import render

# Fixed statements, written out in full: PostgreSQL's GREATEST is SQLite's two-argument MAX.
TAKE_SQL = {
    "postgresql": (
        "INSERT INTO referrals_ratelimit (key, tat) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET tat = GREATEST(referrals_ratelimit.tat, %s) + %s "
        "WHERE referrals_ratelimit.tat - %s <= %s RETURNING tat"
    ),
    "sqlite": (
        "INSERT INTO referrals_ratelimit (key, tat) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET tat = MAX(referrals_ratelimit.tat, %s) + %s "
        "WHERE referrals_ratelimit.tat - %s <= %s RETURNING tat"
    ),
}
TAT_SQL = "SELECT tat FROM referrals_ratelimit WHERE key = %s"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0].lower()]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


def take(key: str, rate: str, now: float | None = None) -> Decision:
    """Count one request for `key` against `rate`; refused requests are not counted."""
    limit, period = parse_rate(rate)
    interval = period / limit
    tolerance = period - interval
    now = time.time() if now is None else now
    statement = TAKE_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    with connection.cursor() as cursor:
        cursor.execute(statement, [key, now + interval, now, interval, tolerance, now])
        if cursor.fetchone() is not None:
            return Decision(allowed=True)
        cursor.execute(TAT_SQL, [key])
        row = cursor.fetchone()
    wait = (row[0] - tolerance - now) if row else 1
    return Decision(allowed=False, retry_after=max(1, math.ceil(wait)))


def per_user(scope: str, rate_setting: str, methods=("GET", "POST")):
    """A view decorator: each signed-in person may use this page at the rate in settings
    (`RATE_LIMITS[rate_setting]`); beyond it, 429 with Retry-After and a page that says when
    to try again, never a server error."""
    from django.conf import settings  # noqa: PLC0415

    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.user.is_authenticated and request.method in methods:
                decision = take(
                    f"user:{request.user.pk}:{scope}", settings.RATE_LIMITS[rate_setting]
                )
                if not decision.allowed:
                    response = render(
                        request,
                        "429.html",
                        {"retry_after": decision.retry_after},
                        status=429,
                    )
                    response["Retry-After"] = str(decision.retry_after)
                    return response
            return view(request, *args, **kwargs)

        return limited

    return decorate
