"""The hub's deadlines are found by (type, id), as every app's are; their words are a label."""

import importlib

import pytest
from django.apps import apps

from referrals.models import Deadline
from tests.hub.conftest import referral_review

pytestmark = pytest.mark.django_db

migration = importlib.import_module("hub.migrations.0004_deadline_subjects")


def test_a_deadline_stored_under_its_words_moves_to_type_and_id(referral):
    review = referral_review(referral)
    words = f"referral {referral.reference}"
    Deadline.objects.filter(pk=review.deadline_id).update(subject_type=words, subject_label="")

    migration.forward(apps, None)

    deadline = Deadline.objects.get(pk=review.deadline_id)
    assert (deadline.subject_type, deadline.subject_id) == ("hub_review", str(review.pk))
    assert deadline.subject_label == words


def test_the_move_can_be_undone(referral):
    review = referral_review(referral)

    migration.backward(apps, None)

    deadline = Deadline.objects.get(pk=review.deadline_id)
    assert (deadline.subject_type, deadline.subject_label) == (f"referral {referral.reference}", "")
