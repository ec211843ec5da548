"""Merging a child's duplicate record (the core's person_merge) carries the child's IRDs, CPPMs
and registration with it: before, they stayed on the duplicate and the kept record no longer
showed "on the register"."""

import pytest
from django.utils import timezone

from ird.models import IrdChild, Registration
from referrals import extensions
from referrals.errors import MergeRefused
from referrals.services.people import person_merge
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_register_irds_and_cppms_follow_the_child_into_the_kept_record(
    registered, team_manager
):
    duplicate = registered.children.get()
    keep = PersonFactory(first_name=duplicate.first_name, last_name=duplicate.last_name)

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert keep.pk in extensions.register_status([keep.pk])
    assert Registration.objects.get(ended_on__isnull=True).person == keep
    assert not IrdChild.objects.filter(person=duplicate).exists()
    assert IrdChild.objects.filter(person=keep, ird__referral=registered.referral).exists()
    assert list(registered.children.all()) == [keep]


def test_an_ird_about_both_records_names_the_child_once(registered, team_manager):
    duplicate = registered.children.get()
    keep = PersonFactory()
    ird_child = IrdChild.objects.filter(person=duplicate).first()
    IrdChild.objects.create(ird=ird_child.ird, person=keep, source=IrdChild.Source.HOUSEHOLD)
    registered.children.add(keep)

    person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    assert IrdChild.objects.filter(ird=ird_child.ird, person=keep).count() == 1
    assert list(registered.children.all()) == [keep]


def test_two_records_each_on_the_register_are_not_merged(registered, team_manager):
    duplicate = registered.children.get()
    keep = PersonFactory()
    Registration.objects.create(
        person=keep, registered_on=timezone.localdate(), recorded_by=team_manager
    )

    with pytest.raises(MergeRefused, match="Both records are on the child protection register"):
        person_merge(keep=keep, duplicate=duplicate, merged_by=team_manager)

    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert Registration.objects.filter(person=duplicate, ended_on__isnull=True).exists()
