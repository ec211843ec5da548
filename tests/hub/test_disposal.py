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
    RetentionClass.objects.update(period=1, trigger=RetentionClass.Trigger.CLOSURE, disposal=method)
    Referral.objects.filter(pk=referral.pk).update(
        status=Referral.Status.CLOSED,
        closed_at=timezone.make_aware(datetime.datetime(2019, 1, 10, 12)),
    )
    listing = disposal.prepare_list(
        by=StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None),
        today=datetime.date(2026, 12, 4),
    )
    with mock.patch("referrals.tasks.carry_out_disposal.apply_async"):
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


def _listed_and_carried_out(today=datetime.date(2026, 12, 4)):
    listing = disposal.prepare_list(
        by=StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None), today=today
    )
    with mock.patch("referrals.tasks.carry_out_disposal.apply_async"):
        disposal.approve_list(
            disposal_list=listing, by=StaffFactory(role=Role.SERVICE_MANAGER, team=None)
        )
    disposal.carry_out(listing.pk)
    return list(listing.records.values_list("record_type", "state", "due_on"))


def test_hub_records_go_on_their_own_clock_while_the_referral_stays(audit_round, police_auditor):  # noqa: F811
    """Issue 10: hub reviews and audit samples have their own retention class, counted from
    their completion, and go when it runs out even though the child's referral is kept."""
    sample = graded_sample(audit_round, police_auditor)
    AuditAssignment.objects.filter(record=sample).update(
        state=AuditAssignment.State.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(2022, 3, 1, 12)),
    )
    ungraded = AuditRecord.objects.exclude(pk=sample.pk).first()
    RetentionClass.objects.filter(record_type="hub_review").update(period=3, unit="years")

    assert _listed_and_carried_out() == [("hub_review", "deleted", datetime.date(2025, 3, 1))]

    assert not AuditRecord.objects.filter(pk=sample.pk).exists()
    assert Referral.objects.filter(pk=sample.referral_id).exists()
    if ungraded is not None:  # a sample still being graded is not counted, and stays
        assert AuditRecord.objects.filter(pk=ungraded.pk).exists()
    assert _listed_and_carried_out() == []  # nothing left to list


def test_a_legal_hold_keeps_the_hub_records_too(audit_round, police_auditor):  # noqa: F811
    from referrals.services import retention

    sample = graded_sample(audit_round, police_auditor)
    AuditAssignment.objects.filter(record=sample).update(
        state=AuditAssignment.State.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(2022, 3, 1, 12)),
    )
    officer = StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None)
    retention.place_hold(person=sample.person, reason="Inquiry", by=officer)

    assert _listed_and_carried_out() == [("hub_review", "kept_held", datetime.date(2025, 3, 1))]
    assert AuditRecord.objects.filter(pk=sample.pk).exists()
