"""Issue 10: every kind of record has a retention class (referrals, IRD records, hub reviews,
the audit log, API idempotency keys), with a period in days, months or years; the audit log is
cut at the start of its hash chain only, and verification carries on from the cut."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from referrals import audit, audit_chain, audit_guard
from referrals.models import AuditChainAnchor, AuditEntry, RetentionClass, Role
from referrals.services import audit_retention, retention
from tests.factories import PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime.datetime(2026, 12, 4, 9))


def period(amount: int, unit: str) -> RetentionClass:
    return RetentionClass(period=amount, unit=unit)


@pytest.mark.parametrize(
    ("day", "amount", "unit", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, "months", datetime.date(2026, 2, 28)),
        (datetime.date(2024, 1, 31), 1, "months", datetime.date(2024, 2, 29)),
        (datetime.date(2026, 11, 15), 3, "months", datetime.date(2027, 2, 15)),
        (datetime.date(2024, 2, 29), 1, "years", datetime.date(2025, 3, 1)),
        (datetime.date(2026, 12, 30), 2, "days", datetime.date(2027, 1, 1)),
    ],
)
def test_a_period_runs_in_its_own_unit(day, amount, unit, expected):
    assert retention.shift(day, period(amount, unit)) == expected


def test_a_period_runs_back_for_the_latest_start_it_has_ended_for():
    assert retention.shift(datetime.date(2026, 3, 31), period(1, "months"), -1) == (
        datetime.date(2026, 2, 28)
    )
    assert retention.shift(datetime.date(2026, 12, 4), period(3, "years"), -1) == (
        datetime.date(2023, 12, 4)
    )


def test_every_kind_of_record_has_a_starting_class():
    assert set(RetentionClass.objects.values_list("record_type", flat=True)) == set(
        RetentionClass.RecordType.values
    )


@pytest.mark.parametrize(
    ("record_type", "changes", "field"),
    [
        ("audit_log", {"trigger": "closure"}, "trigger"),
        ("api_idempotency", {"period": 0}, "period"),
        ("api_idempotency", {"disposal": "anonymise"}, "disposal"),
        ("hub_review", {"disposal": "anonymise"}, "disposal"),
        ("hub_review", {"trigger": "birthday_25"}, "trigger"),
        ("referral_nfa", {"trigger": "creation"}, "trigger"),
    ],
)
def test_a_class_that_cannot_work_is_refused(record_type, changes, field):
    retention_class = RetentionClass.objects.get(record_type=record_type)
    for name, value in changes.items():
        setattr(retention_class, name, value)

    with pytest.raises(ValidationError) as refused:
        retention_class.full_clean()

    assert field in refused.value.message_dict


def test_the_admin_refuses_keys_kept_for_no_time(client):
    administrator = StaffFactory(role=Role.ADMINISTRATOR, is_superuser=True, is_staff=True)
    keys = RetentionClass.objects.get(record_type="api_idempotency")
    client.force_login(administrator)

    response = client.post(
        f"/admin/referrals/retentionclass/{keys.pk}/change/",
        {
            "record_type": "api_idempotency",
            "period": "0",
            "unit": "days",
            "trigger": "creation",
            "disposal": "delete",
            "source": "API.md",
        },
    )

    assert response.status_code == 200 and "At least one day." in response.content.decode()
    keys.refresh_from_db()
    assert keys.period == 2


# --- The audit log ---------------------------------------------------------------------------


def entries(*ages_in_days: int, object_id: str = "p") -> list[AuditEntry]:
    """Audit entries written `age` days before NOW, in that order (oldest first)."""
    written = []
    for age in ages_in_days:
        entry = audit.record(
            actor=None, action=audit.Action.VIEW, object_type="person", object_id=object_id
        )
        written.append(entry)
        at = NOW - datetime.timedelta(days=age)
        # Back-date it, re-hashing the chain from there as if written then.
        audit_guard.suspend(connection)
        try:
            AuditEntry.objects.filter(pk=entry.pk).update(at=at)
        finally:
            audit_guard.restore(connection)
    _rechain()
    return written


def _rechain() -> None:
    previous = audit_chain.GENESIS
    audit_guard.suspend(connection)
    try:
        for row in AuditEntry.objects.order_by("seq").values("id", *audit_chain.FIELDS):
            previous = audit_chain.row_hash(previous, row)
            AuditEntry.objects.filter(pk=row["id"]).update(row_hash=previous)
    finally:
        audit_guard.restore(connection)
    audit_chain.close_place(AuditEntry.objects.order_by("-seq").first().seq, previous)


def keep_audit_for(days: int) -> None:
    RetentionClass.objects.filter(record_type="audit_log").update(period=days, unit="days")


def test_entries_past_retention_are_cut_from_the_start_and_the_chain_still_verifies():
    entries(40, 35, 31, 10, 1)
    keep_audit_for(30)
    assert audit_chain.verify().intact

    plan = audit_retention.prune(NOW)

    assert (plan.through_seq, plan.entries) == (3, 3)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5, 6]
    anchor = AuditChainAnchor.objects.get()
    assert (anchor.seq, anchor.entries_removed) == (3, 3)
    pruned = AuditEntry.objects.get(seq=6)  # the cut is itself audited, with the new start
    assert (pruned.action, pruned.detail["event"], pruned.detail["through_seq"]) == (
        "dispose",
        "audit_log_pruned",
        3,
    )
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.rows == 3 and verdict.head_seq == 6
    assert audit_retention.prune(NOW).entries == 0  # nothing more is due


def test_the_chain_is_cut_only_at_its_start():
    """An old entry written after a recent one (clocks differ) does not let the cut skip it."""
    entries(40, 5, 40)
    keep_audit_for(30)

    assert audit_retention.prune(NOW).through_seq == 1
    assert audit_chain.verify().intact


def test_a_legal_hold_keeps_the_entries_about_the_person_and_all_after(db):
    child = PersonFactory()
    entries(50, 45, object_id="someone-else")
    entries(44, object_id=str(child.pk))
    entries(43, object_id="someone-else")
    keep_audit_for(30)
    retention.place_hold(
        person=child, reason="Inquiry", by=StaffFactory(role=Role.INFORMATION_GOVERNANCE)
    )
    _rechain()

    plan = audit_retention.prune(NOW)

    assert (plan.through_seq, plan.held_from_seq) == (2, 3)
    assert AuditEntry.objects.filter(object_id=str(child.pk)).exists()
    assert audit_chain.verify().intact


def test_a_dry_run_changes_nothing(capsys):
    entries(40, 1)
    keep_audit_for(30)

    call_command("prune_audit_log", "--dry-run")

    assert "1 entries written before" in capsys.readouterr().out
    assert AuditEntry.objects.count() == 2 and not AuditChainAnchor.objects.exists()


def test_a_start_moved_by_hand_past_edited_rows_is_named():
    rows = entries(40, 35, 1)
    AuditChainAnchor.objects.create(
        seq=2, row_hash=rows[1].row_hash, entries_removed=2, removed_before=NOW, removed_at=NOW
    )

    verdict = audit_chain.verify()

    assert not verdict.intact and "before the chain's start" in verdict.problem
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")


def test_a_head_exported_before_the_cut_is_explained_not_failed(capsys):
    rows = entries(40, 35, 1)
    keep_audit_for(30)
    old_head = f"{rows[0].seq}:{rows[0].row_hash}"
    cut_head = f"{rows[1].seq}:{AuditEntry.objects.get(seq=2).row_hash}"
    audit_retention.prune(NOW)

    call_command("verify_audit", "--head", old_head, "--head", cut_head)

    out = capsys.readouterr().out
    assert "lies before the chain's start (2)" in out and "The audit chain holds" in out
