import pytest

from referrals.models import ConcernCategory, CumulativeHarmRule, Role
from referrals.reference_data import ensure_reference_data
from tests.factories import DEFAULT_PASSWORD, AgencyFactory, StaffFactory, TeamFactory


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Categories and rules come from a data migration; a transactional test's flush removes
    them, so put back whatever is missing before each database test."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db", "transactional_db", "live_server"
    } & set(request.fixturenames)
    if uses_db:
        ensure_reference_data(ConcernCategory, CumulativeHarmRule)


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
    return TeamFactory(agency=social_work, name="Duty and intake team",
                       receives_partner_concerns=True)


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
    return StaffFactory(role=Role.ADMINISTRATOR, team=None, agency=social_work, is_staff=True,
                        is_superuser=True)
