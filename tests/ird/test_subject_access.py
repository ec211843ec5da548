"""A subject access request gathers the records of the IRDs that covered the person
(ird/hooks.py subject_records, through referrals.extensions)."""

import datetime

import pytest
from django.utils import timezone

from referrals.models import Role
from referrals.services import subject_access
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_signed_ird_record_of_the_child_is_gathered(signed_ird):
    child = signed_ird.children.get().person
    officer = StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None)

    sar = subject_access.open_request(
        person=child,
        by=officer,
        requester_name="A parent",
        capacity="self",
        received_on=timezone.localdate() - datetime.timedelta(days=1),
        identity_evidence="Passport",
    )

    [item] = sar.items.filter(source_type="ird")
    assert item.source_id == str(signed_ird.pk)
    assert signed_ird.reference in item.heading
    assert "Analysis of risk and need: Unexplained bruising" in item.text
    assert "Decision: " in item.text
