"""POST /api/v1/concerns/: every rule of API.md's "Submit a concern", through the whole stack."""

import copy
import datetime
import json

import pytest
from django.utils import timezone

from referrals.api.models import IdempotencyKey, SubmittedConcern
from referrals.models import AuditEntry, Person, Referral, ReferralChild
from tests.api.conftest import CONCERNS, child, concern_body
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def errors_of(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    return body.get("errors", {})


# --- Success ----------------------------------------------------------------------------------


def test_creates_the_concern_as_a_referral_from_the_partner(police_api, police_client, duty_team):
    body = concern_body()

    response = police_api.submit(body)

    assert response.status_code == 201
    concern = response.json()
    referral = Referral.objects.get()
    assert concern["id"] == str(referral.pk)
    assert response["Location"] == f"http://testserver{CONCERNS}{referral.pk}/"
    assert concern["reference"] == referral.reference
    assert concern["external_reference"] == body["external_reference"]
    assert concern["status"] == "received"
    for name in ("received_at", "created_at", "updated_at"):
        assert concern[name].endswith("Z") or "+" in concern[name]
    assert concern["children"][0]["id"] == str(referral.child_links.get().pk)
    assert concern["children"][0]["chi_number"] == "1503181014"
    assert concern["decision"] is None and concern["ird"] is None
    assert concern["feedback_count"] == 0
    assert referral.channel == Referral.Channel.PARTNER_SYSTEM
    assert referral.team == duty_team
    assert referral.source_agency == police_client.agency
    assert referral.received_by is None
    assert sorted(c.code for c in referral.categories.all()) == ["domestic_abuse", "neglect"]
    assert SubmittedConcern.objects.get().client == police_client


def test_every_write_is_audited_with_the_client_as_actor(police_api, police_client):
    before = AuditEntry.objects.count()

    response = police_api.submit()

    assert response.status_code == 201
    rows = list(AuditEntry.objects.order_by("id")[before:])
    assert rows, "no audit row"
    assert {row.actor_label for row in rows} == {police_client.name}
    assert {row.actor_agency for row in rows} == {"police"}
    assert {row.actor_role for row in rows} == {"api_client"}
    assert all(row.actor_id is None for row in rows)
    created = {(row.action, row.object_type) for row in rows}
    assert ("create", "referral") in created and ("create", "person") in created
    assert all(row.request_id for row in rows)


def test_children_keep_their_order_and_ids(police_api):
    body = concern_body(
        children=[
            child(first_name="Ada", date_of_birth="2017-01-01"),
            child(first_name="Ben", date_of_birth="2018-02-02"),
            {
                "first_name": "Baby",
                "last_name": "Reid",
                "unborn": True,
                "expected_date_of_delivery": (
                    timezone.localdate() + datetime.timedelta(days=60)
                ).isoformat(),
            },
            child(first_name="Cal", date_of_birth="2019-03-03"),
        ]
    )

    response = police_api.submit(body)

    assert response.status_code == 201
    children = response.json()["children"]
    assert [c["first_name"] for c in children] == ["Ada", "Ben", "Baby", "Cal"]
    for item in children:
        # Each child's id is its place in this concern, never the council's person record.
        link = ReferralChild.objects.get(pk=item["id"])
        assert link.person.first_name == item["first_name"]
        assert not Person.objects.filter(pk=item["id"]).exists()
    assert children[2]["unborn"] is True and children[2]["date_of_birth"] is None


def test_a_child_with_a_known_chi_number_links_to_that_record(police_api):
    known = PersonFactory(
        first_name="Ava",
        last_name="Smith",
        chi_number="1503181014",
        date_of_birth=datetime.date(2018, 3, 15),
    )

    response = police_api.submit()

    assert response.status_code == 201
    link = ReferralChild.objects.get()
    assert link.person == known and link.match == ReferralChild.Match.MATCHED
    assert response.json()["children"][0]["id"] == str(link.pk)  # not the person's id


def test_a_known_chi_number_with_another_name_is_a_match_to_confirm_not_a_link(police_api):
    known = PersonFactory(
        first_name="Ava",
        last_name="Smith",
        chi_number="1503181014",
        date_of_birth=datetime.date(2018, 3, 15),
    )
    body = concern_body(
        children=[
            child(
                first_name="Probe",
                last_name="Name",
                date_of_birth="2018-03-15",
                chi_number="1503181014",
            )
        ]
    )

    response = police_api.submit(body)

    assert response.status_code == 201
    link = ReferralChild.objects.get()
    assert link.person != known, "a CHI number with another name never links by itself"
    assert link.match == ReferralChild.Match.TO_CONFIRM and link.proposed_match == known
    assert str(known.pk) not in response.content.decode()
    assert not known.chronology.exists()  # nothing landed in her chronology
    # The new record waits without the CHI number until a social worker decides: one record
    # per CHI number; the partner still reads back what it sent.
    assert link.person.chi_number == ""
    assert response.json()["children"][0]["chi_number"] == "1503181014"


def test_a_strong_uncertain_match_is_left_to_confirm_with_a_new_record(police_api):
    likely = PersonFactory(
        first_name="Noah",
        last_name="Reid",
        date_of_birth=datetime.date(2019, 7, 2),
        postcode="IV30 1AB",
    )
    body = concern_body(children=[child(address={"postcode": "IV30 1AB"})])

    response = police_api.submit(body)

    assert response.status_code == 201
    link = ReferralChild.objects.get()
    assert link.person != likely, "uncertain matches are never linked automatically"
    assert link.match == ReferralChild.Match.TO_CONFIRM
    assert link.proposed_match == likely and link.match_score >= 75
    assert response.json()["children"][0]["id"] == str(link.pk)
    assert str(likely.pk) not in response.content.decode()


def test_a_partner_reads_back_what_it_sent_not_the_councils_record(police_api):
    PersonFactory(
        first_name="Ava",
        last_name="Smith",
        chi_number="1503181014",
        date_of_birth=datetime.date(2018, 3, 15),
        school="Secret School",
        address_line1="Refuge address",
    )
    body = concern_body()
    body["children"][0].update(school="", address={"line1": "", "town": "Elgin"})

    concern = police_api.submit(body).json()

    assert concern["children"][0]["school"] == ""
    assert concern["children"][0]["address"]["line1"] == ""


def test_unknown_fields_are_ignored(police_api):
    body = concern_body(colour="blue", status="closed", team="anything")
    body["children"][0]["favourite_food"] = "chips"

    response = police_api.submit(body)

    assert response.status_code == 201
    assert response.json()["status"] == "received"
    assert "colour" not in response.json()


def test_json_content_type_with_charset_is_accepted(police_api):
    response = police_api.submit(content_type="application/json; charset=utf-8")
    assert response.status_code == 201


# --- Validation: 400 naming every invalid field -------------------------------------------------


def _without(body: dict, *path):
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return body


def _with(body: dict, value, *path):
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


BASE = concern_body(external_reference="EXT-1")
FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (_without(BASE, "external_reference"), "external_reference"),
        (_with(BASE, "", "external_reference"), "external_reference"),
        (_with(BASE, "x" * 65, "external_reference"), "external_reference"),
        (_with(BASE, 42, "external_reference"), "external_reference"),
        (_without(BASE, "referrer"), "referrer"),
        (_without(BASE, "referrer", "name"), "referrer.name"),
        (_with(BASE, "not-an-email", "referrer", "email"), "referrer.email"),
        (_without(BASE, "categories"), "categories"),
        (_with(BASE, [], "categories"), "categories"),
        (_with(BASE, "neglect", "categories"), "categories"),
        (_with(BASE, ["neglect", "hunger"], "categories"), "categories"),
        (_without(BASE, "summary"), "summary"),
        (_with(BASE, "   ", "summary"), "summary"),
        (_with(BASE, "x" * 20001, "summary"), "summary"),
        (_without(BASE, "immediate_risk"), "immediate_risk"),
        (_with(BASE, "true", "immediate_risk"), "immediate_risk"),
        (_with(BASE, 1, "immediate_risk"), "immediate_risk"),
        (_with(BASE, None, "immediate_risk"), "immediate_risk"),
        (_without(BASE, "children"), "children"),
        (_with(BASE, [], "children"), "children"),
        (_with(BASE, [child()] * 21, "children"), "children"),
        (_with(BASE, [BASE["adults"][0]] * 21, "adults"), "adults"),
        (_with(BASE, "2026-01-10T21:30:00", "occurred_at"), "occurred_at"),
        (_with(BASE, "2026-01-10 21:30", "occurred_at"), "occurred_at"),
        (_with(BASE, "yesterday", "occurred_at"), "occurred_at"),
        (_with(BASE, "2999-01-01T00:00:00Z", "occurred_at"), "occurred_at"),
        (_with(BASE, "0001-01-01T00:00:00+01:00", "occurred_at"), "occurred_at"),
        (_with(BASE, "2026-02-30T10:00:00Z", "occurred_at"), "occurred_at"),
        (_with(BASE, "2026-01-10T21:30:00+25:00", "occurred_at"), "occurred_at"),
        (_without(BASE, "children", 0, "first_name"), "children[0].first_name"),
        (_without(BASE, "children", 0, "date_of_birth"), "children[0].date_of_birth"),
        (_with(BASE, FUTURE, "children", 0, "date_of_birth"), "children[0].date_of_birth"),
        (_with(BASE, "15/03/2018", "children", 0, "date_of_birth"), "children[0].date_of_birth"),
        (_with(BASE, "2018-02-30", "children", 0, "date_of_birth"), "children[0].date_of_birth"),
        (_with(BASE, "1503181015", "children", 0, "chi_number"), "children[0].chi_number"),
        (_with(BASE, "0101011237", "children", 0, "chi_number"), "children[0].chi_number"),
        (_with(BASE, "12345", "children", 0, "chi_number"), "children[0].chi_number"),
        (_with(BASE, 1503181014, "children", 0, "chi_number"), "children[0].chi_number"),
        (_with(BASE, "robot", "children", 0, "sex"), "children[0].sex"),
        (
            _with(BASE, "x" * 11, "children", 0, "address", "postcode"),
            "children[0].address.postcode",
        ),
        (_with(BASE, "a\x00b", "children", 0, "first_name"), "children[0].first_name"),
        (_with(BASE, "auntie", "adults", 0, "relationship"), "adults[0].relationship"),
        (_with(BASE, "maybe", "consent", "sought"), "consent.sought"),
        (_with(BASE, {"sought": True, "given": None}, "consent"), "consent.given"),
        (_with(BASE, {"sought": False}, "consent"), "consent.reason_not_sought"),
        (_with(BASE, "gossip", "sharing_basis"), "sharing_basis"),
        (_with(BASE, "a list?", "children"), "children"),
        (_with(BASE, ["a string"], "children"), "children[0]"),
    ],
)
def test_invalid_fields_are_named_by_path(police_api, body, path):
    response = police_api.submit(body)

    errors = errors_of(response)
    assert path in errors, errors
    assert all(isinstance(message, str) and message for message in errors[path])
    assert not Referral.objects.exists()


def test_every_invalid_field_is_named_at_once(police_api):
    body = concern_body(
        immediate_risk="yes",
        categories=["nope"],
        summary="",
        children=[child(), child(chi_number="0207191019")],
    )

    errors = errors_of(police_api.submit(body))

    assert {"immediate_risk", "categories", "summary", "children[1].chi_number"} <= set(errors)
    assert "check digit" in errors["children[1].chi_number"][0]


def test_chi_number_must_agree_with_the_date_of_birth(police_api):
    body = concern_body(children=[child(date_of_birth="2019-07-03", chi_number="0207191018")])
    errors = errors_of(police_api.submit(body))
    assert "does not match the date of birth" in errors["children[0].chi_number"][0]
    assert "0207191018" not in json.dumps(errors), "CHI numbers are not echoed back"


def test_the_same_chi_number_twice_is_refused(police_api):
    body = concern_body(
        children=[child(chi_number="0207191018"), child(first_name="Twin", chi_number="0207191018")]
    )
    errors = errors_of(police_api.submit(body))
    assert list(errors) == ["children[1].chi_number"]


@pytest.mark.parametrize(
    "unborn_child",
    [
        {"first_name": "Baby", "last_name": "Reid", "unborn": True},
        {
            "first_name": "Baby",
            "last_name": "Reid",
            "unborn": True,
            "expected_date_of_delivery": "2001-01-01",
        },
        {
            "first_name": "Baby",
            "last_name": "Reid",
            "unborn": True,
            "chi_number": "0207191018",
            "expected_date_of_delivery": FUTURE,
        },
        {
            "first_name": "Baby",
            "last_name": "Reid",
            "unborn": "yes",
            "expected_date_of_delivery": FUTURE,
        },
    ],
)
def test_unborn_children_need_a_due_date_and_no_chi(police_api, unborn_child):
    errors = errors_of(police_api.submit(concern_body(children=[unborn_child])))
    assert any(key.startswith("children[0].") for key in errors)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"a": NaN}',
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
        b"{}",
    ],
)
def test_a_body_that_is_not_a_concern_object_is_400(police_api, raw):
    response = police_api.post(CONCERNS, raw=raw)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_naive_time_is_a_400_not_a_guess(police_api):
    errors = errors_of(police_api.submit(concern_body(occurred_at="2026-01-10T21:30:00")))
    assert "offset" in errors["occurred_at"][0]


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-10T21:30:00Z",
        "2026-01-10T21:30:00+01:00",
        "2026-01-10T21:30:00.123456-05:00",
        "2026-01-10T21:30Z",
    ],
)
def test_times_with_an_offset_are_accepted(police_api, value):
    response = police_api.submit(concern_body(occurred_at=value))
    assert response.status_code == 201
    expected = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert Referral.objects.get().occurred_at == expected


# --- Media type and size ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "application/jsonx", ""],
)
def test_a_body_that_is_not_json_is_415(police_api, content_type):
    response = police_api.post(
        CONCERNS, raw=json.dumps(concern_body()).encode(), content_type=content_type
    )
    assert response.status_code == 415
    assert response.json()["detail"]
    assert not Referral.objects.exists()


def test_no_body_and_no_content_type_is_415(police_api):
    response = police_api.post(CONCERNS, raw=b"", content_type="")
    assert response.status_code == 415


def test_a_body_over_one_mebibyte_is_413(police_api):
    body = concern_body(summary="x" * (1024 * 1024))
    response = police_api.submit(body)
    assert response.status_code == 413
    assert response.json()["detail"]
    assert not IdempotencyKey.objects.exists()


def test_a_body_just_under_the_limit_is_read(police_api):
    body = concern_body(padding="x" * (1024 * 1024 - 2000))
    response = police_api.submit(body)
    assert response.status_code == 201


# --- Idempotency --------------------------------------------------------------------------------


def test_without_an_idempotency_key_is_400(police_api):
    response = police_api.submit(key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Referral.objects.exists()


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there", "é"])
def test_a_malformed_idempotency_key_is_400(police_api, key):
    response = police_api.submit(headers={"Idempotency-Key": key}, key=None)
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_a_255_character_visible_ascii_key_is_fine(police_api):
    assert police_api.submit(key="!~" + "k" * 253).status_code == 201


def test_a_retry_replays_the_original_answer_and_creates_nothing(police_api, police_client):
    body = concern_body()
    first = police_api.submit(body, key="retry-me")
    audit_before = AuditEntry.objects.count()

    again = police_api.submit(body, key="retry-me")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Referral.objects.count() == 1
    replay_rows = AuditEntry.objects.order_by("id")[audit_before:]
    assert [(r.action, r.actor_label) for r in replay_rows] == [("view", police_client.name)]


def test_an_equivalent_body_in_another_order_is_the_same_request(police_api):
    body = concern_body()
    first = police_api.submit(body, key="same")
    reordered = json.loads(json.dumps(dict(reversed(list(body.items())))))
    raw = json.dumps(reordered, indent=4, ensure_ascii=True).encode()

    again = police_api.post(CONCERNS, raw=raw, key="same")

    assert again.status_code == 201 and again.json() == first.json()


def test_the_same_key_with_another_body_is_422(police_api):
    police_api.submit(concern_body(), key="once")

    response = police_api.submit(concern_body(summary="Something else"), key="once")

    assert response.status_code == 422
    assert response.json()["detail"]
    assert Referral.objects.count() == 1


def test_a_key_whose_first_request_is_still_running_is_409(police_api, police_client):
    body = concern_body()
    from referrals.api import idempotency

    IdempotencyKey.objects.create(
        client=police_client,
        key="busy",
        locked_at=timezone.now(),
        fingerprint=idempotency.fingerprint("POST", CONCERNS, json.loads(json.dumps(body))),
    )

    response = police_api.submit(body, key="busy")

    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    assert not Referral.objects.exists()


def test_a_key_abandoned_by_a_dead_process_is_taken_over(police_api, police_client):
    body = concern_body()
    from referrals.api import idempotency

    IdempotencyKey.objects.create(
        client=police_client,
        key="orphan",
        locked_at=timezone.now() - datetime.timedelta(minutes=10),
        fingerprint=idempotency.fingerprint("POST", CONCERNS, json.loads(json.dumps(body))),
    )

    response = police_api.submit(body, key="orphan")

    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="orphan").state == "completed"


def test_a_400_stores_nothing_so_the_key_can_be_reused(police_api):
    bad = police_api.submit(concern_body(immediate_risk="true"), key="fix-and-retry")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()

    good = police_api.submit(concern_body(), key="fix-and-retry")

    assert good.status_code == 201


def test_keys_belong_to_one_client(police_api, health_api):
    body = concern_body()
    police = police_api.submit(body, key="shared-key")
    health = health_api.submit(body, key="shared-key")

    assert police.status_code == health.status_code == 201
    assert police.json()["id"] != health.json()["id"]
    assert "Idempotent-Replayed" not in health


def test_a_known_external_reference_with_a_new_key_is_409_naming_the_concern(police_api):
    first = police_api.submit(concern_body(external_reference="IVPD-42"))

    again = police_api.submit(concern_body(external_reference="IVPD-42", summary="Resent"))

    assert again.status_code == 409
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["id"] in again.json()["detail"]
    assert Referral.objects.count() == 1


def test_external_references_are_unique_per_client_not_globally(police_api, health_api):
    assert police_api.submit(concern_body(external_reference="X-1")).status_code == 201
    assert health_api.submit(concern_body(external_reference="X-1")).status_code == 201


def test_a_duplicate_answer_is_replayed_for_its_key(police_api):
    police_api.submit(concern_body(external_reference="IVPD-7"))
    body = concern_body(external_reference="IVPD-7")
    first = police_api.submit(body, key="dup")

    again = police_api.submit(body, key="dup")

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_old_keys_are_purged_after_the_retention_period(police_api):
    from referrals.api import idempotency

    police_api.submit(key="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=49))
    police_api.submit(key="recent")

    assert idempotency.keys_purge() == 1  # the starting class: two days from creation
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


def test_keys_follow_their_retention_class_but_never_under_a_day(police_api):
    """Issue 10: idempotency keys have a retention class; partners are promised 24 hours."""
    from referrals.api import idempotency
    from referrals.models import RetentionClass

    now = timezone.now()
    for key, age in [("a", 23), ("b", 25), ("c", 24 * 6), ("d", 24 * 8)]:
        police_api.submit(key=key)
        IdempotencyKey.objects.filter(key=key).update(
            created_at=now - datetime.timedelta(hours=age)
        )
    keys = RetentionClass.objects.filter(record_type="api_idempotency")
    keys.update(period=7, unit="days")
    assert idempotency.keys_purge() == 1
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["a", "b", "c"]

    keys.update(period=0)  # refused in the admin; the promise holds all the same
    assert idempotency.keys_purge() == 2
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["a"]


def test_contradictory_details_are_refused_naming_the_fields(police_api):
    """Issue 12 defect 7: an unborn baby due yesterday, and consent not sought yet given."""
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    unborn = {
        "first_name": "Baby",
        "last_name": "Reid",
        "unborn": True,
        "expected_date_of_delivery": yesterday,
    }
    errors = errors_of(
        police_api.submit(
            concern_body(
                children=[unborn],
                consent={"sought": False, "given": True, "reason_not_sought": "Risk."},
            )
        )
    )
    assert set(errors) == {"children[0].expected_date_of_delivery", "consent.given"}


def test_an_intake_stays_within_its_query_budget(police_api):
    """Issue 14: an intake through the partner API ran 101 statements with an IRD opened at
    once (each reference took three, each audit row a savepoint, each deadline two lookups).
    Now 52 (as the test database counts them, savepoints included): reference data looked up
    once per intake (the timescales in one query), the audit rows in one INSERT, relationships
    in one, no savepoint for the hub's and the IRD's steps, the idempotency key looked up once,
    the cumulative harm rules counted in one query, the IRD's household in one, the hub's
    review inserted once with its deadline, the child links' order taken from the intake rather
    than read back, the three deadlines (screening, the hub's review, the IRD's) in one INSERT
    at the change's end. A guard against the number creeping back up; the goal (~20) needs more
    work (README, Performance)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    police_api.submit()
    body = concern_body(external_reference="IVPD-budget")
    body["immediate_risk"] = True
    with CaptureQueriesContext(connection) as queries:
        assert police_api.submit(body).status_code == 201

    assert len(queries) <= 52, len(queries)
