import pytest

from tests.factories import make_referral

pytestmark = pytest.mark.django_db


def test_referral_detail_renders_for_its_social_worker(client, social_worker):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    client.force_login(social_worker)
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    assert referral.reference in response.content.decode()
