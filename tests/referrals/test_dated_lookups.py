"""Issue 11: lookup tables that change over time carry valid-from and valid-to dates: a retired
code stays readable on old records and cannot be chosen for new ones; a code not yet in use
cannot be chosen either."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from referrals.models import ConcernCategory
from tests.factories import make_referral

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 4)


@pytest.fixture
def retired():
    category = ConcernCategory.objects.get(code="child_trafficking")
    category.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    category.save()
    return category


def test_in_use_follows_the_dates():
    category = ConcernCategory(code="x", label="X")
    assert category.in_use_on(TODAY)
    category.valid_from = TODAY + datetime.timedelta(days=1)
    assert not category.in_use_on(TODAY)
    category.valid_from, category.valid_to = None, TODAY
    assert category.in_use_on(TODAY) and not category.in_use_on(TODAY + datetime.timedelta(days=1))
    assert set(ConcernCategory.objects.in_use(TODAY)) == set(ConcernCategory.objects.all())


def test_a_last_day_before_the_first_is_refused():
    category = ConcernCategory(
        code="x", label="X", valid_from=TODAY, valid_to=TODAY - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as refused:
        category.full_clean()
    assert "valid_to" in refused.value.message_dict


def test_a_retired_category_is_not_offered_at_intake(client, social_worker, retired):
    client.force_login(social_worker)

    page = client.get(reverse("referral_new")).content.decode()

    assert retired.label not in page
    assert ConcernCategory.objects.get(code="neglect").label in page


def test_a_retired_category_stays_on_the_referrals_that_used_it(client, social_worker, retired):
    referral = make_referral(team=social_worker.team, categories=("child_trafficking",))
    client.force_login(social_worker)

    page = client.get(reverse("referral_detail", args=[referral.pk])).content.decode()

    assert retired.label in page
