"""The audit log: append-only in the database itself, with request context and no personal
details."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from referrals import audit
from referrals.models import AuditEntry, Person, Referral, Relationship
from referrals.request_context import RequestContext, current
from referrals.services import intake
from tests.factories import category, make_referral

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE triggers exist on PostgreSQL only"
)


@pytest.fixture
def entry(social_worker):
    return audit.record(
        actor=social_worker,
        action=audit.Action.VIEW,
        object_type="referral",
        object_id="abc",
        detail={"tab": "chronology"},
    )


def _rows() -> list[tuple]:
    return list(
        AuditEntry.objects.order_by("id").values_list(
            "id", "at", "actor_label", "action", "object_type", "object_id", "detail"
        )
    )


def _refused(sql: str, params=()) -> str:
    """Run `sql` in a savepoint, so that the refusal does not poison the test's transaction."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(refused.value)


# --- the database refuses changes -------------------------------------------------------------


def test_raw_update_is_refused(entry):
    before = _rows()

    message = _refused(
        f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s",  # noqa: S608
        ["someone else", entry.pk],
    )

    assert "append-only" in message
    assert _rows() == before


def test_raw_update_of_every_row_is_refused(entry, social_worker):
    audit.record(actor=social_worker, action=audit.Action.EXPORT, object_type="report")
    before = _rows()

    _refused(f"UPDATE {TABLE} SET action = 'view'")  # noqa: S608

    assert _rows() == before


def test_raw_delete_is_refused(entry):
    before = _rows()

    message = _refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])  # noqa: S608

    assert "append-only" in message
    assert _rows() == before


def test_raw_delete_of_every_row_is_refused(entry):
    before = _rows()

    _refused(f"DELETE FROM {TABLE}")  # noqa: S608

    assert _rows() == before


@on_postgresql
def test_truncate_is_refused_on_postgresql(entry):
    before = _rows()

    message = _refused(f"TRUNCATE {TABLE}")

    assert "append-only" in message
    assert _rows() == before


def test_orm_save_delete_and_bulk_changes_are_refused(entry):
    before = _rows()

    entry.actor_label = "someone else"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(object_id="other")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.get(pk=entry.pk).delete()

    assert _rows() == before


def test_the_log_still_grows(entry, social_worker):
    audit.record(actor=social_worker, action=audit.Action.SEARCH, object_type="person")

    assert AuditEntry.objects.count() == 2


# --- what a row holds -------------------------------------------------------------------------


def test_row_names_the_actor_role_and_agency(social_worker):
    referral = make_referral(team=social_worker.team, received_by=social_worker)

    row = audit.record(actor=social_worker, action=audit.Action.VIEW, subject=referral)

    row.refresh_from_db()
    assert row.actor == social_worker
    assert row.actor_label == social_worker.username
    assert row.actor_role == "social_worker"
    assert row.actor_agency == "social-work"
    assert (row.object_type, row.object_id) == ("referral", str(referral.pk))
    assert row.at is not None


def test_system_actions_are_labelled_system():
    row = audit.record(
        actor=None, action=audit.Action.CHANGE, object_type="deadline", object_id="7"
    )

    assert row.actor is None
    assert row.actor_label == "system"
    assert row.actor_role == ""
    assert row.actor_agency == ""


def test_request_id_ip_and_route_come_from_the_request_context(social_worker):
    token = current.set(RequestContext("4f2c0d9e8b7a", "203.0.113.7", "/referrals/new/"))
    try:
        row = audit.record(actor=social_worker, action=audit.Action.VIEW, object_type="referral")
    finally:
        current.reset(token)

    row.refresh_from_db()
    assert row.request_id == "4f2c0d9e8b7a"
    assert row.ip_address == "203.0.113.7"
    assert row.route == "/referrals/new/"


def test_ipv6_address_is_kept(social_worker):
    token = current.set(RequestContext("r1", "2001:db8::1", "/"))
    try:
        row = audit.record(actor=social_worker, action=audit.Action.VIEW, object_type="person")
    finally:
        current.reset(token)

    row.refresh_from_db()
    assert row.ip_address == "2001:db8::1"


def test_without_a_request_the_context_fields_are_empty(social_worker):
    row = audit.record(actor=social_worker, action=audit.Action.VIEW, object_type="referral")

    row.refresh_from_db()
    assert row.request_id == ""
    assert row.ip_address is None
    assert row.route == ""


def test_intake_rows_carry_the_request_context(social_worker):
    token = current.set(RequestContext("req-42", "198.51.100.2", "/referrals/new/"))
    try:
        make_referral(team=social_worker.team, received_by=social_worker)
    finally:
        current.reset(token)

    rows = AuditEntry.objects.all()
    assert rows.count() == 2  # the referral and the new child
    assert {(r.request_id, r.ip_address, r.route) for r in rows} == {
        ("req-42", "198.51.100.2", "/referrals/new/")
    }


def test_intake_rows_hold_ids_only_never_names_or_chi(social_worker):
    existing = Person.objects.create(first_name="Morven", last_name="Auchterlonie")
    concern = intake.Concern(
        channel=Referral.Channel.PHONE,
        source_agency=social_worker.agency,
        referrer_name="Anne Watt",
        summary="Bruising seen at nursery.",
        immediate_risk=False,
        categories=[category("physical_abuse")],
        sharing_basis=Referral.SharingBasis.SAFEGUARDING,
        children=[
            # A matched child gains a postcode and school: a change row naming fields only.
            intake.ChildIntake(
                existing=existing,
                details=intake.PersonFields(
                    first_name="Morven",
                    last_name="Auchterlonie",
                    postcode="IV30 1AB",
                    school="Seafield Primary",
                ),
            ),
            intake.ChildIntake(
                details=intake.PersonFields(
                    first_name="Eilidh",
                    last_name="Strachan",
                    chi_number="0101101234",
                    postcode="IV30 1AB",
                )
            ),
        ],
        adults=[
            intake.AdultIntake(
                details=intake.PersonFields(first_name="Gemma", last_name="Strachan"),
                relationship=Relationship.Kind.PARENT,
            )
        ],
    )

    referral = intake.referral_receive(
        concern=concern, team=social_worker.team, received_by=social_worker
    )

    rows = list(AuditEntry.objects.all())
    assert {row.action for row in rows} == {AuditEntry.Action.CREATE, AuditEntry.Action.CHANGE}
    personal = [
        "Morven",
        "Auchterlonie",
        "Eilidh",
        "Strachan",
        "Gemma",
        "0101101234",
        "IV30",
        "Seafield",
        "Bruising",
        "Anne Watt",
    ]
    ids = {str(referral.pk), *(str(pk) for pk in Person.objects.values_list("pk", flat=True))}
    person_fields = {field.name for field in Person._meta.get_fields()}
    for row in rows:
        text = json.dumps(
            [row.detail, row.object_type, row.object_id, row.actor_label, row.route, row.request_id]
        )
        for value in personal:
            assert value not in text, (row.action, row.object_type)
        assert row.object_id in ids
        for key, value in row.detail.items():
            assert key == "fields"
            assert set(value) <= person_fields
    change = next(row for row in rows if row.action == AuditEntry.Action.CHANGE)
    assert change.detail == {"fields": ["postcode", "school"]}


def test_rows_gathered_in_a_change_are_written_together_when_it_ends(social_worker):
    """Issue 14: an intake's audit rows (the referral, each new person, the IRD it opens) take
    one place in the hash chain and one INSERT, in the order they were recorded."""
    from django.test.utils import CaptureQueriesContext

    from referrals import audit_chain

    with transaction.atomic(), audit.gathered():
        with CaptureQueriesContext(connection) as inside:
            for object_id in ("first", "second", "third"):
                audit.record(
                    actor=social_worker,
                    action=audit.Action.CREATE,
                    object_type="referral",
                    object_id=object_id,
                )
        assert len(inside) == 0
        assert not AuditEntry.objects.exists()

    written = AuditEntry.objects.order_by("seq")
    assert list(written.values_list("object_id", flat=True)) == ["first", "second", "third"]
    assert audit_chain.verify().intact


def test_rows_gathered_in_a_change_that_fails_are_not_written(social_worker):
    with pytest.raises(ValueError), transaction.atomic(), audit.gathered():
        audit.record(actor=social_worker, action=audit.Action.CREATE, object_type="referral")
        raise ValueError("the change failed")

    assert not AuditEntry.objects.exists()
