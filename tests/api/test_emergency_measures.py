"""Issue 11: a partner system (police, for a s.56 removal above all) records an emergency measure
for a child of a concern its agency sent, idempotently as a concern is submitted; lists and
reads the concern's measures; records that the Reporter was told. Bad input, a retired kind or
times outside the statutory clock are a 400 naming the field, with nothing saved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    Deadline,
    EmergencyMeasure,
    EmergencyMeasureKind,
)
from tests.api.conftest import concern_body

pytestmark = pytest.mark.django_db


def measures_url(concern_id) -> str:
    return f"/api/v1/concerns/{concern_id}/emergency-measures/"


@pytest.fixture
def concern(police_api):
    return police_api.submit(concern_body()).json()


def removal(concern, **overrides) -> dict:
    """A s.56 removal an hour ago, lasting until 12 hours from now."""
    now = timezone.now().replace(microsecond=0)
    body = {
        "child": concern["children"][0]["id"],
        "kind": "police_removal",
        "granted_at": (now - timedelta(hours=1)).isoformat(),
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=12)).isoformat(),
        "reason": "Two children alone at home overnight; parents not traced.",
    }
    body.update(overrides)
    return body


def test_police_record_a_removal_and_read_it_back(
    police_api, police_client, concern, duty_team, client, duty_worker
):
    response = police_api.post(measures_url(concern["id"]), removal(concern))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith(f"{measures_url(concern['id'])}{body['id']}/")
    assert body["kind"] == "police_removal" and body["child"] == concern["children"][0]["id"]
    assert body["recorded_by"] == {"name": police_client.name, "agency": "police"}
    assert body["reporter_to_be_told"] is True and body["reporter_told_at"] is None
    measure = EmergencyMeasure.objects.get()
    assert measure.recorded_by is None and measure.recorded_by_agency == police_client.agency
    chased = Deadline.objects.filter(subject_type="emergencymeasure", subject_id=measure.pk)
    assert {d.timescale.kind for d in chased} == {"emergency_measure_ends", "reporter_told"}
    assert {(d.owner_id, d.team_id) for d in chased} == {(None, duty_team.pk)}
    assert ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.EMERGENCY_MEASURE).exists()
    assert AuditEntry.objects.filter(
        action="create", object_type="emergencymeasure", object_id=str(measure.pk)
    ).get().actor_label == str(police_client)

    listed = police_api.get(measures_url(concern["id"])).json()
    read = police_api.get(response["Location"])

    assert listed["results"] == [body] and listed["next"] is None
    assert read.status_code == 200 and read.json() == body
    assert AuditEntry.objects.filter(
        action="view", object_type="emergencymeasure", object_id=str(measure.pk)
    ).exists()
    # The council's team sees who recorded it, and for which agency.
    client.force_login(duty_worker)
    page = client.get(reverse("referral_detail", args=[concern["id"]])).content.decode()
    assert f"{police_client.name} ({police_client.agency.name})" in page


def test_a_retried_measure_is_recorded_once(police_api, concern):
    body = removal(concern)

    first = police_api.post(measures_url(concern["id"]), body, key="removal-1")
    again = police_api.post(measures_url(concern["id"]), body, key="removal-1")
    other = police_api.post(
        measures_url(concern["id"]), {**body, "reason": "Another."}, key="removal-1"
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert other.status_code == 422
    assert EmergencyMeasure.objects.count() == 1


def test_a_refused_measure_stores_nothing_and_the_key_can_be_used_again(police_api, concern):
    refused = police_api.post(
        measures_url(concern["id"]), removal(concern, reason=" "), key="removal-2"
    )
    corrected = police_api.post(measures_url(concern["id"]), removal(concern), key="removal-2")

    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"reason"}
    assert corrected.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "granted_at": "2026-01-01T10:00:00Z",
                "starts_at": "2026-01-01T10:00:00Z",
                "ends_at": "2026-01-01T09:00:00Z",  # an end before the start
            },
            "ends_at",
        ),
        ({"kind": "curfew"}, "kind"),
        ({"starts_at": "1800-01-01T10:00:00Z"}, "starts_at"),
        ({"starts_at": "2026-01-01T10:00"}, "starts_at"),  # no offset
        ({"ends_at": None}, "ends_at"),  # a removal's end is required
        ({"child": "6c1e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"}, "child"),
        ({"reason": ""}, "reason"),
        ({"granted_at": "2099-01-01T10:00:00Z"}, "granted_at"),  # in the future
    ],
)
def test_bad_input_is_a_400_naming_the_field(police_api, concern, overrides, field):
    response = police_api.post(measures_url(concern["id"]), removal(concern, **overrides))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not EmergencyMeasure.objects.exists()


def test_a_removal_beyond_24_hours_is_refused(police_api, concern):
    granted = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    response = police_api.post(
        measures_url(concern["id"]),
        removal(concern, ends_at=(granted + timedelta(hours=25)).isoformat()),
    )

    assert response.status_code == 400
    assert "at most 24 hours" in response.json()["errors"]["ends_at"][0]
    assert not Deadline.objects.filter(subject_type="emergencymeasure").exists()


def test_a_retired_kind_is_refused(police_api, concern):
    kind = EmergencyMeasureKind.objects.get(code="police_removal")
    kind.valid_to = timezone.localdate() - timedelta(days=1)
    kind.save()

    response = police_api.post(measures_url(concern["id"]), removal(concern))

    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind"}
    assert not EmergencyMeasure.objects.exists()


def test_another_agency_neither_records_nor_reads_them(police_api, health_api, concern):
    recorded = police_api.post(measures_url(concern["id"]), removal(concern)).json()
    detail = f"{measures_url(concern['id'])}{recorded['id']}/"

    assert health_api.post(measures_url(concern["id"]), removal(concern)).status_code == 404
    assert health_api.get(measures_url(concern["id"])).status_code == 404
    assert health_api.get(detail).status_code == 404
    assert health_api.post(f"{detail}reporter-told/", key=None, content_type="").status_code == 404
    assert EmergencyMeasure.objects.count() == 1
    assert EmergencyMeasure.objects.get().reporter_told_at is None
    assert AuditEntry.objects.filter(action="denied", object_id=concern["id"]).count() == 4


def test_telling_the_reporter_is_recorded_once(police_api, police_client, concern):
    recorded = police_api.post(measures_url(concern["id"]), removal(concern)).json()
    told_url = f"{measures_url(concern['id'])}{recorded['id']}/reporter-told/"

    told = police_api.post(told_url, key=None, content_type="")
    again = police_api.post(told_url, key=None, content_type="")

    assert told.status_code == again.status_code == 200
    assert told.json()["reporter_told_by"] == police_client.name
    assert again.json()["reporter_told_at"] == told.json()["reporter_told_at"]
    deadline = Deadline.objects.get(
        subject_type="emergencymeasure", subject_id=recorded["id"], timescale__kind="reporter_told"
    )
    assert deadline.state == Deadline.State.MET


def test_a_voluntary_accommodation_is_not_notified(police_api, concern):
    recorded = police_api.post(
        measures_url(concern["id"]), removal(concern, kind="s25_accommodation", ends_at=None)
    ).json()

    response = police_api.post(
        f"{measures_url(concern['id'])}{recorded['id']}/reporter-told/", key=None, content_type=""
    )

    assert response.status_code == 400 and set(response.json()["errors"]) == {"kind"}
