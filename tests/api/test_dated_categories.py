"""Issue 11: a retired concern category cannot be sent by a partner, nor is it listed."""

import datetime

import pytest
from django.utils import timezone

from referrals.models import ConcernCategory
from tests.api.conftest import concern_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def retired():
    category = ConcernCategory.objects.get(code="child_trafficking")
    category.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    category.save()
    return category


def test_partners_cannot_send_a_retired_category_nor_see_it_listed(police_api, retired):
    body = concern_body()
    body["categories"] = [retired.code]

    refused = police_api.submit(body)
    listed = police_api.get("/api/v1/categories/", {"page_size": 100}).json()["results"]

    assert refused.status_code == 400 and "categories" in str(refused.json())
    assert retired.code not in {category["code"] for category in listed}
