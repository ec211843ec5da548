import time

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from referrals import audit_guard, queueing, second_factor
from referrals.models import Agency, ConcernCategory, CumulativeHarmRule, Role, Timescale
from referrals.reference_data import (
    ensure_community_sources,
    ensure_reference_data,
    ensure_timescales,
)
from tests.factories import DEFAULT_PASSWORD, AgencyFactory, StaffFactory, TeamFactory

pytest_plugins = ["tests.log_privacy"]


@pytest.fixture(autouse=True)
def _broker_not_known_down():
    """A test that made the broker fail leaves no memory of it for the next one."""
    queueing.broker_recovered()


@pytest.fixture(autouse=True)
def _database_baseline(request):
    """Every database test starts with the reference data and the audit guard in place.

    Categories, rules and timescales come from data migrations, and a transactional test's
    clean-up empties every table, so whatever is missing is put back. That clean-up must also
    empty the audit log, which the database guards: the guard is lifted for it alone."""
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or any(
        marker.kwargs.get("transaction") for marker in request.node.iter_markers("django_db")
    )
    uses_db = (
        transactional
        or request.node.get_closest_marker("django_db")
        or ("db" in request.fixturenames)
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    audit_guard.restore(connection)
    ensure_reference_data(ConcernCategory, CumulativeHarmRule)
    ensure_timescales(Timescale)
    ensure_community_sources(Agency)
    yield
    if transactional:
        audit_guard.suspend(connection)


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


@pytest.fixture
def social_work(db):
    return AgencyFactory(code="social-work", name="Moray Council Social Work")


@pytest.fixture
def police(db):
    return AgencyFactory(code="police", name="Police Scotland")


@pytest.fixture
def health(db):
    return AgencyFactory(code="health", name="NHS Grampian")


@pytest.fixture
def education(db):
    return AgencyFactory(code="education", name="Moray Council Education")


@pytest.fixture
def duty_team(social_work):
    return TeamFactory(
        agency=social_work, name="Duty and intake team", receives_partner_concerns=True
    )


@pytest.fixture
def other_team(social_work):
    return TeamFactory(agency=social_work, name="Children and families (Forres)")


@pytest.fixture
def social_worker(duty_team):
    return StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team)


@pytest.fixture
def team_manager(duty_team):
    return StaffFactory(role=Role.TEAM_MANAGER, team=duty_team)


@pytest.fixture
def other_team_manager(other_team):
    return StaffFactory(role=Role.TEAM_MANAGER, team=other_team)


@pytest.fixture
def service_manager(social_work):
    return StaffFactory(role=Role.SERVICE_MANAGER, team=None, agency=social_work)


@pytest.fixture
def hub_reviewer(social_work):
    return StaffFactory(role=Role.HUB_REVIEWER, team=None, agency=social_work)


@pytest.fixture
def committee_member(social_work):
    return StaffFactory(role=Role.COMMITTEE, team=None, agency=social_work)


@pytest.fixture
def police_participant(police):
    return StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))


@pytest.fixture
def health_participant(health):
    return StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))


@pytest.fixture
def administrator(social_work):
    return StaffFactory(
        role=Role.ADMINISTRATOR, team=None, agency=social_work, is_staff=True, is_superuser=True
    )


# --- Signing in: password and second factor -------------------------------------------------

TEST_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key


def verify_session(client, user) -> None:
    """Finish a sign-in as the second step would: a confirmed authenticator, and the session
    marked verified by it (django-otp)."""
    device = second_factor.enrol_with_key(user, TEST_TOTP_KEY)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # As the second step's own request left them (referrals.middleware.SessionLifetimeMiddleware).
    session["signed_in_at"] = session["active_at"] = int(time.time())
    session.save()


class SignedInClient(Client):
    """The test client, whose force_login is a whole sign-in (both factors). A test of what an
    unverified session meets uses Client itself."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        verify_session(self, user)


@pytest.fixture
def client():
    return SignedInClient()
