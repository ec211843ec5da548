"""A referral sampled for a practice audit is disposed of with its audit record: deleted, or
its findings emptied when the class anonymises (hub/disposal.py)."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from hub import services
from hub.models import AuditAssignment, AuditRecord
from referrals.models import DisposalRecord, Referral, RetentionClass, Role
from referrals.services import disposal
from tests.factories import StaffFactory
from tests.hub.test_audits import audit_round, grades, panel, referred  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def dispose(referral: Referral, method: str) -> str:
    RetentionClass.objects.update(
        period_years=1, trigger=RetentionClass.Trigger.CLOSURE, disposal=method
    )
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.CLOSED,
        closed_at=timezone.make_aware(datetime.datetime(2019, 1, 10, 12)),
    )
    listing = disposal.prepare_list(
        by=StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None),
        today=datetime.date(2026, 12, 4),
    )
    with mock.patch("referrals.tasks.carry_out_disposal.delay"):
        disposal.approve_list(
            disposal_list=listing, by=StaffFactory(role=Role.SERVICE_MANAGER, team=None)
        )
    (state,) = disposal.carry_out(listing.pk)
    return state


def graded_sample(audit_round, police_auditor) -> AuditRecord:  # noqa: F811
    assignment = AuditAssignment.objects.filter(auditor=police_auditor).first()
    services.audit_assignment_submit(
        assignment=assignment,
        auditor=police_auditor,
        grades=grades(audit_round, 5),
        findings="Chronology up to date.",
        learning_points="Record the child's words.",
    )
    return assignment.record


def test_a_sampled_referral_is_deleted_with_its_audit_record(audit_round, police_auditor):  # noqa: F811
    sample = graded_sample(audit_round, police_auditor)

    assert dispose(sample.referral, "delete") == DisposalRecord.State.DELETED

    assert not AuditRecord.objects.filter(pk=sample.pk).exists()
    assert not Referral.objects.filter(pk=sample.referral_id).exists()


def test_anonymising_a_sampled_referral_empties_the_audit_findings(audit_round, police_auditor):  # noqa: F811
    sample = graded_sample(audit_round, police_auditor)

    assert dispose(sample.referral, "anonymise") == DisposalRecord.State.ANONYMISED

    assignment = AuditAssignment.objects.get(record=sample, auditor=police_auditor)
    assert (assignment.findings, assignment.learning_points) == ("", "")
    assert set(assignment.grades.values_list("comment", flat=True)) <= {""}
