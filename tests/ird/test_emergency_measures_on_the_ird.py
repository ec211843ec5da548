"""Issue 11: the IRD page shows the referral's emergency measures to everyone at the IRD, and
the referral's team records one (or that the Reporter was told) from there, coming back to it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import EmergencyMeasure
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


def test_invited_agencies_see_the_measures_but_record_none(
    client, scheduled_ird, chair, social_worker
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
    client.force_login(chair)

    page = client.get(reverse("ird:detail", args=[scheduled_ird.pk])).content.decode()

    assert "Child protection order (s.37)" in page
    assert "Record an emergency measure" not in page and "The Reporter has been told" not in page


def test_a_return_address_off_the_site_is_ignored(client, scheduled_ird, social_worker):
    client.force_login(social_worker)
    record_url = reverse("emergency_measure_new", args=[scheduled_ird.referral_id])

    response = client.post(
        record_url, {**measure_form(scheduled_ird), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("referral_detail", args=[scheduled_ird.referral_id])
