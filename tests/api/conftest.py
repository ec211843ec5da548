"""Partner API fixtures: one API client per partner agency, each with a token, and a small
client that speaks raw HTTP to the application (content types and headers exactly as sent)."""

import json
import uuid

import pytest
from django.db import connection
from django.test import Client

from referrals.api import services
from referrals.models import Role
from tests.factories import StaffFactory

CONCERNS = "/api/v1/concerns/"


def concern_body(**overrides) -> dict:
    """A valid concern; override any top-level field."""
    body = {
        "external_reference": f"EXT-{uuid.uuid4().hex[:12]}",
        "referrer": {
            "name": "PC Anne Watt",
            "role": "Police constable",
            "phone": "01343 000000",
            "email": "anne.watt@example.org",
        },
        "occurred_at": "2026-01-10T21:30:00Z",
        "categories": ["neglect", "domestic_abuse"],
        "summary": "Two children alone at home overnight, no food in the house.",
        "immediate_risk": True,
        "children": [
            {
                "first_name": "Ava",
                "last_name": "Smith",
                "date_of_birth": "2018-03-15",
                "chi_number": "1503181014",
                "sex": "female",
                "address": {
                    "line1": "1 High Street",
                    "line2": "",
                    "town": "Elgin",
                    "postcode": "IV30 1AB",
                },
                "school": "Elgin Academy",
            }
        ],
        "adults": [{"first_name": "Jo", "last_name": "Smith", "relationship": "parent"}],
        "consent": {"sought": False, "given": None, "reason_not_sought": "Child at risk"},
    }
    body.update(overrides)
    return body


def child(**overrides) -> dict:
    base = {"first_name": "Noah", "last_name": "Reid", "date_of_birth": "2019-07-02"}
    base.update(overrides)
    return base


class PartnerClient:
    """Requests as a partner system sends them, through the whole Django stack."""

    def __init__(self, token: str | None = None, address: str = "127.0.0.1"):
        # Each client its own address: failed-token counters are per address and live in the
        # database cache, which a transactional test's flush does not empty.
        self.http = Client(REMOTE_ADDR=address)
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def get(self, path: str, data=None, headers=None):
        return self.http.get(path, data=data, headers=self.headers(headers))

    def post(
        self,
        path: str,
        body=None,
        *,
        key: str | None = "auto",
        headers=None,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ):
        extra = dict(headers or {})
        if key == "auto":
            key = str(uuid.uuid4())
        if key is not None:
            extra["Idempotency-Key"] = key
        if raw is None:
            raw = b"" if body is None else json.dumps(body).encode()
        return self.http.generic(
            "POST", path, raw, content_type=content_type, headers=self.headers(extra)
        )

    def submit(self, body=None, **kwargs):
        return self.post(CONCERNS, concern_body() if body is None else body, **kwargs)


@pytest.fixture
def police_client(police):
    return services.client_create(name="Police Scotland iVPD", agency=police)


@pytest.fixture
def health_client(health):
    return services.client_create(name="NHS Grampian child health", agency=health)


@pytest.fixture
def education_client(education):
    return services.client_create(name="Moray schools", agency=education)


def _token(client) -> str:
    return services.token_issue(client=client)[1]


@pytest.fixture
def police_api(police_client, duty_team):
    return PartnerClient(_token(police_client))


@pytest.fixture
def health_api(health_client, duty_team):
    return PartnerClient(_token(health_client))


@pytest.fixture
def education_api(education_client, duty_team):
    return PartnerClient(_token(education_client))


@pytest.fixture
def anonymous_api(duty_team):
    return PartnerClient()


@pytest.fixture
def second_police_client(police):
    return services.client_create(name="Police Scotland custody system", agency=police)


@pytest.fixture
def duty_manager(duty_team):
    return StaffFactory(role=Role.TEAM_MANAGER, team=duty_team)


@pytest.fixture
def duty_worker(duty_team):
    return StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team)


def flushable_audit_log():
    """For transactional tests on PostgreSQL/SQLite: lift the audit log's append-only
    triggers for the end-of-test flush only (as tests/browser/conftest.py does)."""
    ops = connection.ops
    if "execute_sql_flush" in vars(ops):
        return None  # someone (the browser tests' fixture) already did
    original = type(ops).execute_sql_flush.__get__(ops)

    def execute_sql_flush(sql_list):
        if connection.vendor == "postgresql":
            sql_list = [
                "ALTER TABLE referrals_auditentry DISABLE TRIGGER USER",
                *sql_list,
                "ALTER TABLE referrals_auditentry ENABLE TRIGGER USER",
            ]
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'referrals_auditentry'"
                )
                triggers = cursor.fetchall()
            sql_list = [
                *(f'DROP TRIGGER "{name}"' for name, _ in triggers),
                *sql_list,
                *(sql for _, sql in triggers),
            ]
        return original(sql_list)

    ops.execute_sql_flush = execute_sql_flush
    return ops


@pytest.fixture(scope="session")
def _audit_log_flushable_api(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ops = flushable_audit_log()
    yield
    if ops is not None and "execute_sql_flush" in vars(ops):
        del ops.execute_sql_flush
