"""The audit log's hash chain (issue 10): every row has its place and a hash over the chain up
to it; verify_audit names the first row edited, removed or inserted behind the application's
back; concurrent writers never fork the chain or leave a gap."""

import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from referrals import audit, audit_chain, audit_guard
from referrals.models import AuditEntry, Role
from tests.factories import StaffFactory


def write(count: int, actor=None) -> list[AuditEntry]:
    return [
        audit.record(actor=actor, action=audit.Action.VIEW, object_type="person", object_id=str(n))
        for n in range(count)
    ]


def behind_the_apps_back(sql: str, params=()) -> None:
    """What a superuser could do with the triggers disabled."""
    audit_guard.suspend(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        audit_guard.restore(connection)


def test_rows_take_consecutive_places_each_hashing_the_one_before(db):
    rows = write(5)

    assert [row.seq for row in rows] == [1, 2, 3, 4, 5]
    previous = audit_chain.GENESIS
    for row in AuditEntry.objects.order_by("seq").values("row_hash", *audit_chain.FIELDS):
        assert row["row_hash"] == audit_chain.row_hash(previous, row)
        previous = row["row_hash"]


def test_a_clean_chain_verifies(db, capsys):
    write(20)

    verdict = audit_chain.verify()
    call_command("verify_audit")

    assert verdict.intact and verdict.rows == 20 and verdict.head_seq == 20
    assert "The audit chain holds: 20 rows" in capsys.readouterr().out


def test_an_edited_row_is_named(db):
    rows = write(10)

    behind_the_apps_back(
        f"UPDATE {audit_guard.TABLE} SET object_id = %s WHERE id = %s",  # noqa: S608
        ["someone-else", rows[6].pk],
    )

    verdict = audit_chain.verify()
    assert not verdict.intact and verdict.bad_id == rows[6].pk
    assert "row 7" in verdict.problem
    with pytest.raises(CommandError, match="row 7"):
        call_command("verify_audit")


def test_a_deleted_row_is_named(db):
    rows = write(10)

    behind_the_apps_back(f"DELETE FROM {audit_guard.TABLE} WHERE id = %s", [rows[3].pk])  # noqa: S608

    verdict = audit_chain.verify()
    assert verdict.problem == "row 4 of the chain is missing"
    assert verdict.bad_id == rows[4].pk


def test_a_row_inserted_past_the_application_is_named(db):
    rows = write(3)
    forged = AuditEntry.objects.values(*audit_chain.FIELDS[1:]).get(pk=rows[0].pk)

    AuditEntry.objects.bulk_create([AuditEntry(**forged)])  # no place in the chain

    verdict = audit_chain.verify()
    assert "has no place in the chain" in verdict.problem


def test_a_forged_row_at_the_end_does_not_chain(db):
    write(3)

    behind_the_apps_back(
        f"INSERT INTO {audit_guard.TABLE} (at, actor_label, actor_role, actor_agency, action, "  # noqa: S608
        "object_type, object_id, detail, request_id, route, seq, row_hash) "
        "SELECT at, actor_label, actor_role, actor_agency, action, object_type, object_id, "
        f"detail, request_id, route, 4, %s FROM {audit_guard.TABLE} WHERE seq = 3",
        ["f" * 64],
    )

    assert "row 4" in audit_chain.verify().problem


def test_a_rolled_back_write_gives_its_place_back(db):
    write(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        write(1)
        raise RuntimeError("the change it recorded failed")

    [after] = write(1)

    assert after.seq == 3
    assert audit_chain.verify().intact


def test_the_head_is_exported_to_a_file_and_the_governance_officers(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    StaffFactory(role=Role.INFORMATION_GOVERNANCE, email="ig@example.org")
    rows = write(4)

    head = audit_chain.export_head()

    assert head["seq"] == 4 and head["row_hash"] == rows[-1].row_hash
    [saved] = (tmp_path / "audit-heads").iterdir()
    assert rows[-1].row_hash in saved.read_text()
    [message] = [m for m in mail.outbox if "Audit log chain head" in m.subject]
    assert message.to == ["ig@example.org"] and rows[-1].row_hash in message.body
    call_command("verify_audit", "--head", f"4:{rows[-1].row_hash}")
    with pytest.raises(CommandError, match="rewritten"):
        call_command("verify_audit", "--head", f"4:{'0' * 64}")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes")
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_neither_fork_the_chain_nor_leave_a_gap():
    start = threading.Barrier(8)
    failures = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    audit.record(
                        actor=None,
                        action=audit.Action.VIEW,
                        object_type="person",
                        object_id=str(number),
                    )
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    verdict = audit_chain.verify()
    assert verdict.intact, verdict.problem
    assert verdict.rows == 200 and verdict.head_seq == 200
