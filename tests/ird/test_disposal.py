"""A referral's IRDs, and the hub's reviews of it, go with it when it is disposed of under its
retention class (referrals/services/disposal.py, ird/disposal.py, hub/disposal.py)."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from hub.models import Review
from ird.models import CalendarMessage, Ird, RecordSection
from referrals.models import (
    DisposalRecord,
    Person,
    Referral,
    RetentionClass,
    Role,
)
from referrals.services import disposal, retention
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def disposed(referral: Referral, method: str) -> str:
    """Close the referral long ago, make its class (and its IRD records') due after a year, list,
    approve, dispose."""
    RetentionClass.objects.filter(record_type__in=["child_protection", "ird_record"]).update(
        period=1, trigger=RetentionClass.Trigger.CLOSURE, disposal=method
    )
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.CLOSED,
        closed_at=timezone.make_aware(datetime.datetime(2019, 1, 10, 12)),
    )
    officer = StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None)
    listing = disposal.prepare_list(by=officer, today=datetime.date(2026, 12, 4))
    with mock.patch("referrals.tasks.carry_out_disposal.apply_async"):
        disposal.approve_list(
            disposal_list=listing, by=StaffFactory(role=Role.SERVICE_MANAGER, team=None)
        )
    (state,) = disposal.carry_out(listing.pk)
    return state


def test_anonymising_a_child_protection_referral_empties_its_signed_ird(signed_ird):
    referral = signed_ird.referral
    assert RecordSection.objects.filter(ird=signed_ird).exclude(text="").exists()

    assert disposed(referral, "anonymise") == DisposalRecord.State.ANONYMISED

    ird = Ird.objects.get(pk=signed_ird.pk)
    assert (ird.reason, ird.dial_in, ird.pin) == ("", "", "")
    assert not RecordSection.objects.filter(ird=ird).exclude(text="").exists()
    assert "Bruising" not in str(list(ird.decisions.values_list("rationale", flat=True)))
    assert not CalendarMessage.objects.filter(ird=ird).exists()
    child = Person.objects.get(pk=ird.children.get().person_id)
    assert (child.first_name, child.date_of_birth) == ("Anonymised", None)


def test_deleting_a_referral_deletes_its_irds_and_hub_reviews(signed_ird):
    referral = signed_ird.referral
    assert Review.objects.filter(referral=referral).exists()

    assert disposed(referral, "delete") == DisposalRecord.State.DELETED

    assert not Ird.objects.filter(pk=signed_ird.pk).exists()
    assert not Review.objects.filter(referral_id=referral.pk).exists()
    assert not Referral.objects.filter(pk=referral.pk).exists()


def test_a_referral_waits_for_its_ird_records_class_and_is_anonymised_if_that_says_so(signed_ird):
    """Issue 10: IRD records have a retention class of their own; the referral they came from
    (which they cannot outlive) is due only when both classes have run out, and is anonymised
    rather than deleted when either class says so."""
    referral = signed_ird.referral
    RetentionClass.objects.filter(record_type="child_protection").update(
        period=1, trigger=RetentionClass.Trigger.CLOSURE, disposal="delete"
    )
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.CLOSED,
        closed_at=timezone.make_aware(datetime.datetime(2019, 1, 10, 12)),
    )
    today = datetime.date(2026, 12, 4)
    assert [r.referral_id for r in retention.due_for_disposal(today)] == []  # 25th birthday

    RetentionClass.objects.filter(record_type="ird_record").update(
        period=7, trigger=RetentionClass.Trigger.CLOSURE, disposal="anonymise"
    )
    (due,) = retention.due_for_disposal(today)
    assert (due.referral_id, due.record_type, due.due_on, due.method) == (
        str(referral.pk),
        "child_protection",
        datetime.date(2026, 1, 10),
        "anonymise",
    )
    assert retention.due_for_disposal(datetime.date(2026, 1, 9)) == []
