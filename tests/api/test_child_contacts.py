"""Issue 12: partners send a child's named person and GP, and read them back."""

import pytest

from referrals.models import Person
from tests.api.conftest import concern_body

pytestmark = pytest.mark.django_db
NAMED = "Mrs Rae, health visitor, 01343 123456"
GP = "Elgin Health Centre"


def test_a_partner_sends_them_and_reads_them_back(police_api):
    body = concern_body()
    body["children"][0].update(named_person=NAMED, gp_practice=GP)

    response = police_api.submit(body)

    assert response.status_code == 201, response.content
    child = response.json()["children"][0]
    assert (child["named_person"], child["gp_practice"]) == (NAMED, GP)
    assert Person.objects.filter(named_person=NAMED, gp_practice=GP).exists()


def test_a_partner_s_overlong_named_person_is_a_400_naming_the_field(police_api):
    body = concern_body()
    body["children"][0]["named_person"] = "x" * 201

    response = police_api.submit(body)

    assert response.status_code == 400
    assert "named_person" in str(response.json())
