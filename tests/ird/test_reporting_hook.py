"""The decisions taken at IRDs reach the committee's reports through the core's hook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals import extensions
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_signed_off_decisions_are_counted_for_the_period(signed_ird):
    day = timedelta(days=1)
    now = timezone.now()
    counts = extensions.ird_decisions(Referral.objects.all(), now - day, now + day)
    assert [(code, count) for code, _label, count in counts] == [
        ("child_protection_investigation", 1)
    ]
    assert extensions.ird_decisions(Referral.objects.all(), now + day, now + 2 * day) == []
    assert extensions.ird_decisions(Referral.objects.none(), now - day, now + day) == []
