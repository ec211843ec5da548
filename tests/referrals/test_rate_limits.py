"""Rate limits (issue 9): counted exactly across processes (GCRA in the database, so no window
edge lets twice the rate through), per person on search, export and print pages, per client on
the partner API; 429 with Retry-After, never 5xx."""

import threading

import pytest
from django.db import connection, connections

from referrals import ratelimit


def test_a_full_burst_then_one_per_interval(db):
    now = 1_000_000.0
    allowed = [ratelimit.take("k", "10/min", now=now).allowed for _ in range(12)]

    assert allowed == [True] * 10 + [False] * 2
    refused = ratelimit.take("k", "10/min", now=now)
    assert refused.retry_after == 6  # one more every 6 seconds
    assert ratelimit.take("k", "10/min", now=now + 6).allowed
    assert not ratelimit.take("k", "10/min", now=now + 6).allowed


def test_no_window_edge_lets_twice_the_rate_through(db):
    # A fixed window allows 10 at 59.9 s and 10 more at 60.1 s; GCRA allows 10 in any minute.
    start = 1_000_000.0
    first = sum(ratelimit.take("edge", "10/min", now=start + 59.9).allowed for _ in range(10))
    second = sum(ratelimit.take("edge", "10/min", now=start + 60.1).allowed for _ in range(10))

    assert first == 10 and second == 0


def test_keys_are_counted_apart(db):
    for _ in range(3):
        ratelimit.take("a", "3/min", now=1.0)
    assert ratelimit.take("b", "3/min", now=1.0).allowed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes")
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_counted_exactly():
    start = threading.Barrier(8)
    allowed = []

    def client() -> None:
        try:
            start.wait()
            for _ in range(10):
                allowed.append(ratelimit.take("shared", "20/min").allowed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(allowed) == 20


def test_searching_too_often_is_429_with_retry_after(client, social_worker, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "2/min"}
    client.force_login(social_worker)

    answers = [client.post("/search/", {"query": "Smith"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2]["Retry-After"]) <= 30
    assert "Try again in" in answers[2].content.decode()
    assert client.get("/search/").status_code == 200  # the empty form is not a search
