import pytest

from referrals.models import Role
from referrals.roles import GOVERNANCE
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_information_governance_officer_holds_the_governance_permissions(social_work):
    officer = StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)
    assert all(officer.has_perm(permission) for permission in GOVERNANCE)


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.COMMITTEE])
def test_other_roles_hold_none_of_them(social_work, role):
    staff = StaffFactory(role=role, team=None, agency=social_work)
    assert not any(staff.has_perm(permission) for permission in GOVERNANCE)


def test_a_disabled_officer_holds_nothing(social_work):
    officer = StaffFactory(
        role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work, is_active=False
    )
    assert not officer.has_perm("referrals.view_access_report")
