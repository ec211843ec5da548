"""Issue 11: the IRD page shows the referral's emergency measures to everyone at the IRD, and
the referral's team records one (or that the Reporter was told) from there, coming back to it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import AuditEntry, EmergencyMeasure
from referrals.services import emergency

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def measure_form(ird, **overrides):
    now = timezone.now().replace(second=0, microsecond=0)
    return {
        "child": str(ird.referral.child_links.first().person_id),
        "kind": EmergencyMeasure.Kind.POLICE_REMOVAL,
        "granted_at": local(now - timedelta(hours=1)),
        "starts_at": local(now - timedelta(hours=1)),
        "ends_at": local(now + timedelta(hours=12)),
        "reason": "Found alone at home at night.",
        **overrides,
    }


def test_the_team_records_a_measure_from_the_ird_and_comes_back(
    client, scheduled_ird, social_worker
):
    client.force_login(social_worker)
    ird_url = reverse("ird:detail", args=[scheduled_ird.pk])
    page = client.get(ird_url).content.decode()
    record_url = reverse("emergency_measure_new", args=[scheduled_ird.referral_id])
    assert f"{record_url}?next=/ird/{scheduled_ird.pk}/" in page

    response = client.post(
        f"{record_url}?next={ird_url}", {**measure_form(scheduled_ird), "next": ird_url}
    )

    assert response.status_code == 302 and response["Location"] == ird_url
    assert EmergencyMeasure.objects.filter(referral=scheduled_ird.referral).exists()
    assert "Police removal to a place of safety (s.56)" in client.get(ird_url).content.decode()


def test_an_invited_police_officer_records_a_removal_from_the_ird(
    client, scheduled_ird, chair, police
):
    """The chair is a police officer invited to the IRD: the referral's page stays closed to
    them, but they record a s.56 removal (and telling the Reporter) from the IRD."""
    client.force_login(chair)
    ird_url = reverse("ird:detail", args=[scheduled_ird.pk])
    record_url = reverse("emergency_measure_new", args=[scheduled_ird.referral_id])
    assert f"{record_url}?next=/ird/{scheduled_ird.pk}/" in client.get(ird_url).content.decode()
    assert client.get(f"{record_url}?next={ird_url}").status_code == 200
    assert AuditEntry.objects.filter(
        actor=chair, action="view", object_id=str(scheduled_ird.referral_id)
    ).exists()

    response = client.post(record_url, {**measure_form(scheduled_ird), "next": ird_url})

    assert response.status_code == 302 and response["Location"] == ird_url
    measure = EmergencyMeasure.objects.get(referral=scheduled_ird.referral)
    assert measure.recorded_by == chair and measure.recorded_by_agency == police
    assert AuditEntry.objects.filter(
        object_type="emergencymeasure", object_id=str(measure.pk), actor=chair, action="create"
    ).exists()
    page = client.get(ird_url).content.decode()
    assert f"{chair.get_full_name()} ({police.name})" in page
    told = client.post(
        reverse("emergency_measure_reporter_told", args=[scheduled_ird.referral_id, measure.pk]),
        {"next": ird_url},
    )
    assert told.status_code == 302
    measure.refresh_from_db()
    assert measure.reporter_told_by == chair
    assert client.get(reverse("referral_detail", args=[measure.referral_id])).status_code == 404


def test_those_not_invited_or_after_sign_off_record_none(
    client, scheduled_ird, police_participant, committee_member, social_worker
):
    emergency.measure_record(
        referral=scheduled_ird.referral,
        child=scheduled_ird.referral.child_links.first().person,
        by=social_worker,
        kind=EmergencyMeasure.Kind.CHILD_PROTECTION_ORDER,
        granted_at=timezone.now() - timedelta(hours=2),
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=None,
        reason="Sheriff granted a CPO.",
    )
    measure = EmergencyMeasure.objects.get()
    record_url = reverse("emergency_measure_new", args=[scheduled_ird.referral_id])
    told_url = reverse(
        "emergency_measure_reporter_told", args=[scheduled_ird.referral_id, measure.pk]
    )
    # Police not invited to this IRD: the referral is out of their scope.
    client.force_login(police_participant)
    assert client.get(record_url).status_code == 404
    assert client.post(record_url, measure_form(scheduled_ird)).status_code == 404
    assert client.post(told_url).status_code == 404
    # The committee reads only what its quality work puts before it: out of scope.
    client.force_login(committee_member)
    assert client.post(record_url, measure_form(scheduled_ird)).status_code == 404
    assert EmergencyMeasure.objects.count() == 1
    assert EmergencyMeasure.objects.get().reporter_told_at is None


def test_invited_participants_record_none_once_the_ird_is_signed_off(client, signed_ird, chair):
    client.force_login(chair)

    page = client.get(reverse("ird:detail", args=[signed_ird.pk])).content.decode()
    refused = client.post(
        reverse("emergency_measure_new", args=[signed_ird.referral_id]),
        measure_form(signed_ird),
    )

    assert "Record an emergency measure" not in page
    assert refused.status_code == 404
    assert not EmergencyMeasure.objects.exists()


def test_a_return_address_off_the_site_is_ignored(client, scheduled_ird, social_worker):
    client.force_login(social_worker)
    record_url = reverse("emergency_measure_new", args=[scheduled_ird.referral_id])

    response = client.post(
        record_url, {**measure_form(scheduled_ird), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("referral_detail", args=[scheduled_ird.referral_id])


@pytest.mark.parametrize("invitee", ["health_participant", "education_participant"])
def test_every_agency_invited_records_one(client, scheduled_ird, invitee, request):
    participant = request.getfixturevalue(invitee)
    client.force_login(participant)

    response = client.post(
        reverse("emergency_measure_new", args=[scheduled_ird.referral_id]),
        measure_form(scheduled_ird, kind=EmergencyMeasure.Kind.ACCOMMODATION, ends_at=""),
    )

    assert response.status_code == 302
    assert EmergencyMeasure.objects.get().recorded_by_agency == participant.agency
