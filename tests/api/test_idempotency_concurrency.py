"""Concurrent retries against a real server: gunicorn, 3 worker processes of 8 threads each,
on 127.0.0.1 against the test database (RELIABILITY.md G16), and a 100-thread client. Exactly
one concern, whatever the timing.

PostgreSQL only. SQLite serialises every write with one database lock, so the race this guards
against cannot happen there, and the burst would only measure lock timeouts."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from referrals.api import services
from referrals.api.models import IdempotencyKey, SubmittedConcern
from referrals.models import Referral, Role
from tests.api.conftest import concern_body
from tests.factories import StaffFactory, TeamFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]
THREADS = 100
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL): SQLite serialises all writes, so "
            "there is no concurrent insert to test"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def server(postgres_only, _audit_log_flushable_api):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "CONN_MAX_AGE": "0",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments, loopback
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "8",
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def partner(server, police, social_work):
    team = TeamFactory(agency=social_work, receives_partner_concerns=True)
    StaffFactory(role=Role.TEAM_MANAGER, team=team)
    client = services.client_create(name="Police concurrency", agency=police)
    return server, services.token_issue(client=client)[1]


def post(url: str, token: str, key: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(  # noqa: S310 - our own server on loopback
        f"{url}/api/v1/concerns/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def burst(url, token, requests: list[tuple[str, dict]]) -> list[tuple[int, dict, dict]]:
    results: list = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index, key, body):
        start.wait()
        results[index] = post(url, token, key, body)

    threads = [
        threading.Thread(target=send, args=(i, key, body)) for i, (key, body) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(result is not None for result in results), "a request never finished"
    return results


def test_a_hundred_concurrent_retries_with_one_key_create_one_concern(partner):
    url, token = partner
    body, key = concern_body(), str(uuid.uuid4())

    results = burst(url, token, [(key, body)] * THREADS)

    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    created = [(headers, answer) for status, headers, answer in results if status == 201]
    first = created[0][1]
    assert all(answer == first for _, answer in created), "every 201 is the same answer"
    for status, headers, answer in results:
        if status == 409:
            assert "still being processed" in answer["detail"]
            assert headers.get("Retry-After")
    assert Referral.objects.count() == 1
    assert SubmittedConcern.objects.count() == 1
    assert IdempotencyKey.objects.get().state == "completed"

    # The clients that were told 409 retry: each now gets the stored 201.
    status, headers, answer = post(url, token, key, body)
    assert status == 201 and answer == first and headers["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1


def test_a_hundred_new_keys_for_one_external_reference_create_one_concern(partner):
    url, token = partner
    body = concern_body()

    results = burst(url, token, [(str(uuid.uuid4()), body) for _ in range(THREADS)])

    statuses = sorted(status for status, _, _ in results)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) == {201, 409}
    concern_id = next(answer["id"] for status, _, answer in results if status == 201)
    assert all(answer["id"] == concern_id for status, _, answer in results if status == 409)
    assert Referral.objects.count() == 1
