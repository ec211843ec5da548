"""Issue 11, emergency measures: recorded against a referral's child with their statutory clocks
(DOMAIN.md §2), the end and telling the Reporter chased as deadlines, on the chronology, audited;
bad times refused naming the field, nothing saved; only the allocated team records them."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals import deadlines
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    Deadline,
    EmergencyMeasure,
    EmergencyMeasureKind,
    Notification,
)
from referrals.services import emergency
from referrals.working_days import LONDON
from tests.factories import make_referral

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 8, 21, 0, tzinfo=LONDON)
Kind = EmergencyMeasure.Kind


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def referral(duty_team, social_worker):
    return make_referral(team=duty_team, received_by=social_worker)


def form(referral, **overrides):
    data = {
        "child": str(referral.child_links.get().person_id),
        "kind": Kind.POLICE_REMOVAL,
        "granted_at": "2026-12-08T20:00",
        "starts_at": "2026-12-08T20:00",
        "ends_at": "2026-12-09T18:00",
        "reason": "Found alone at home at night; parents could not be traced.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("kind", "granted", "starts", "ends", "field"),
    [
        (Kind.POLICE_REMOVAL, 0, 0, 25, "ends_at"),  # s.56: 24 hours at most
        (Kind.POLICE_REMOVAL, 0, 0, None, "ends_at"),
        (Kind.CHILD_ASSESSMENT_ORDER, 0, 25, 30, "starts_at"),  # s.35: starts within 24 h
        (Kind.CHILD_ASSESSMENT_ORDER, 0, 1, 1 + 73, "ends_at"),  # lasts up to 3 days
        (Kind.JUSTICE_OF_THE_PEACE_ORDER, 0, 13, 14, "starts_at"),  # s.55: acted on in 12 h
        (Kind.JUSTICE_OF_THE_PEACE_ORDER, 0, 2, 25, "ends_at"),  # max 24 h from the grant
        (Kind.EXCLUSION_ORDER, 0, 0, -1, "ends_at"),  # an end before its start
        (Kind.CHILD_PROTECTION_ORDER, 0, -1, None, "starts_at"),  # in effect before granted
    ],
)
def test_each_statutory_clock_is_kept(kind, granted, starts, ends, field):
    base = NOW - timedelta(days=1)
    problems = emergency.measure_problems(
        kind=kind,
        granted_at=base + timedelta(hours=granted),
        starts_at=base + timedelta(hours=starts),
        ends_at=None if ends is None else base + timedelta(hours=ends),
    )
    assert set(problems) == {field}


def test_measures_within_their_clocks_are_accepted():
    base = NOW - timedelta(days=1)
    for kind, starts, ends in [
        (Kind.POLICE_REMOVAL, 0, 24),
        (Kind.CHILD_ASSESSMENT_ORDER, 24, 24 + 72),
        (Kind.JUSTICE_OF_THE_PEACE_ORDER, 12, 24),
        (Kind.CHILD_PROTECTION_ORDER, 1, None),
        (Kind.ACCOMMODATION, 0, None),
    ]:
        assert (
            emergency.measure_problems(
                kind=kind,
                granted_at=base,
                starts_at=base + timedelta(hours=starts),
                ends_at=None if ends is None else base + timedelta(hours=ends),
            )
            == {}
        ), kind


def test_a_police_removal_is_recorded_with_its_clocks_chased(client, referral, social_worker):
    client.force_login(social_worker)

    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("emergency_measure_new", args=[referral.pk]), form(referral))

    assert response.status_code == 302
    # Issue 14: both clocks open at once, in one INSERT.
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "referrals_deadline"')]
    assert len(inserts) == 1
    measure = EmergencyMeasure.objects.get()
    chased = {
        d.timescale.kind: d
        for d in Deadline.objects.filter(subject_type="emergencymeasure", subject_id=measure.pk)
    }
    assert set(chased) == {"emergency_measure_ends", "reporter_told"}
    assert chased["emergency_measure_ends"].due_at == measure.ends_at
    assert ChronologyEntry.objects.filter(
        kind=ChronologyEntry.Kind.EMERGENCY_MEASURE, referral=referral
    ).exists()
    assert AuditEntry.objects.filter(object_type="emergencymeasure", action="create").exists()
    page = client.get(reverse("referral_detail", args=[referral.pk])).content.decode()
    assert "Police removal to a place of safety (s.56)" in page and "Not yet told" in page

    # Nobody recorded telling the Reporter: the owner is told, once.
    deadlines.sweep(now=NOW + timedelta(hours=25))
    overdue = Notification.objects.filter(
        alert__deadline=chased["reporter_told"], alert__level=Deadline.Level.DUE
    )
    assert overdue.count() == 1
    assert "Tell the Children's Reporter of the emergency measure" in overdue.get().title

    client.post(reverse("emergency_measure_reporter_told", args=[referral.pk, measure.pk]))
    measure.refresh_from_db()
    assert measure.reporter_told_by == social_worker
    assert Deadline.objects.get(pk=chased["reporter_told"].pk).state == Deadline.State.MET


def test_bad_times_are_refused_naming_the_field_and_nothing_is_saved(
    client, referral, social_worker
):
    client.force_login(social_worker)

    response = client.post(
        reverse("emergency_measure_new", args=[referral.pk]),
        form(referral, ends_at="2026-12-09T21:00"),  # 25 hours
    )

    assert response.status_code == 400
    assert "lasts at most 24 hours" in response.content.decode()
    assert not EmergencyMeasure.objects.exists()
    assert not Deadline.objects.filter(subject_type="emergencymeasure").exists()


def test_another_team_and_partners_cannot_record_one(
    client, referral, other_team, police_participant
):
    from tests.factories import StaffFactory  # noqa: PLC0415

    other = StaffFactory(role="social_worker", team=other_team)
    client.force_login(other)
    refused = client.post(reverse("emergency_measure_new", args=[referral.pk]), form(referral))
    assert refused.status_code == 403
    assert "allocated to" in refused.content.decode()
    client.force_login(police_participant)
    assert client.get(reverse("emergency_measure_new", args=[referral.pk])).status_code == 404
    assert not EmergencyMeasure.objects.exists()


def test_a_child_from_another_referral_is_refused(client, referral, social_worker, duty_team):
    stranger = make_referral(team=duty_team).child_links.get().person
    client.force_login(social_worker)

    response = client.post(
        reverse("emergency_measure_new", args=[referral.pk]),
        form(referral, child=str(stranger.pk)),
    )

    assert response.status_code == 400
    assert not EmergencyMeasure.objects.exists()


# --- Kinds as a dated lookup (issue 11: retired codes stay readable, cannot be chosen) -------


@pytest.fixture
def removal_retired():
    kind = EmergencyMeasureKind.objects.get(code=Kind.POLICE_REMOVAL)
    kind.valid_to = NOW.date() - timedelta(days=1)
    kind.save()
    return kind


def test_each_kind_is_seeded_with_its_label():
    seeded = dict(EmergencyMeasureKind.objects.values_list("code", "label"))

    assert seeded == dict(Kind.choices)
    assert emergency.kinds_offered() == list(Kind.choices)


def test_a_retired_kind_is_neither_offered_nor_accepted(
    client, referral, social_worker, removal_retired
):
    client.force_login(social_worker)
    url = reverse("emergency_measure_new", args=[referral.pk])

    offered = client.get(url).content.decode()
    refused = client.post(url, form(referral))

    assert removal_retired.label not in offered
    assert Kind.CHILD_PROTECTION_ORDER.label in offered
    assert refused.status_code == 400
    assert "Choose a kind of emergency measure in use now." in refused.content.decode()
    assert not EmergencyMeasure.objects.exists()
    with pytest.raises(ValidationError) as raised:
        emergency.measure_record(
            referral=referral,
            child=referral.child_links.get().person,
            by=social_worker,
            kind=Kind.POLICE_REMOVAL,
            granted_at=NOW - timedelta(hours=1),
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=1),
            reason="Found alone.",
        )
    assert set(raised.value.message_dict) == {"kind"}


def test_a_kind_retired_later_stays_on_the_measures_that_used_it(client, referral, social_worker):
    client.force_login(social_worker)
    client.post(reverse("emergency_measure_new", args=[referral.pk]), form(referral))
    kind = EmergencyMeasureKind.objects.get(code=Kind.POLICE_REMOVAL)
    kind.valid_to = NOW.date() - timedelta(days=1)
    kind.save()

    page = client.get(reverse("referral_detail", args=[referral.pk])).content.decode()

    assert Kind.POLICE_REMOVAL.label in page
    assert f"{social_worker.get_full_name()} ({social_worker.agency.name})" in page


def test_the_admin_keeps_a_kinds_dates_in_order_and_its_rows(client, service_manager):
    service_manager.is_staff = service_manager.is_superuser = True
    service_manager.save()
    client.force_login(service_manager)
    kind = EmergencyMeasureKind.objects.get(code=Kind.EXCLUSION_ORDER)
    url = reverse("admin:referrals_emergencymeasurekind_change", args=[kind.pk])

    refused = client.post(
        url,
        {
            "label": kind.label,
            "valid_from": "2026-12-10",
            "valid_to": "2026-12-01",
            "display_order": 50,
        },
    )

    assert refused.status_code == 200 and "The last day comes after the first." in (
        refused.content.decode()
    )
    kind.refresh_from_db()
    assert kind.valid_to is None
    delete = reverse("admin:referrals_emergencymeasurekind_delete", args=[kind.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert EmergencyMeasureKind.objects.filter(pk=kind.pk).exists()
