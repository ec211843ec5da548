"""CPPM types as a dated lookup (issue 11): the four statutory kinds are seeded rows with
valid-from and valid-to dates; a retired kind (or one not yet in use) is neither offered nor
accepted for a new CPPM, while the CPPMs that had it still show it and an inquorate one is
still reconvened; the admin edits the dates with the same range checks as other lookups."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ird import cppm
from ird.errors import CppmRefused
from ird.models import Cppm, CppmType
from referrals.models import AuditEntry
from tests.ird.conftest import held_now, local, make_plan, outcome

pytestmark = pytest.mark.django_db


def retire(kind: str) -> CppmType:
    row = CppmType.objects.get(kind=kind)
    row.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    row.save()
    return row


def schedule_body(chair, invitees, **fields) -> dict:
    body = {
        "kind": "initial",
        "scheduled_for": local(timezone.now() + datetime.timedelta(days=7)),
        "duration_minutes": "90",
        "place": "Family centre, Elgin",
        "chair": str(chair.pk),
        "invitees": [str(staff.pk) for staff in invitees],
    }
    body.update(fields)
    return body


def test_the_statutory_kinds_are_seeded_and_in_use():
    assert set(CppmType.objects.values_list("kind", flat=True)) == set(Cppm.Kind.values)
    assert CppmType.objects.in_use().count() == 4
    assert CppmType.objects.get(kind="pre_birth").label == "Pre-birth"


@pytest.mark.parametrize("dates", ["retired", "not_yet"])
def test_a_kind_out_of_its_dates_is_refused_and_nothing_saved(
    signed_ird, team_manager, invitees, dates
):
    row = CppmType.objects.get(kind="initial")
    if dates == "retired":
        row.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    else:
        row.valid_from = timezone.localdate() + datetime.timedelta(days=1)
    row.save()
    with pytest.raises(CppmRefused, match="Initial CPPMs are not in use now"):
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
        )
    assert not Cppm.objects.exists()


def test_a_retired_kind_is_not_offered_and_posting_it_is_a_field_error(
    client, signed_ird, team_manager, invitees
):
    retire("initial")
    client.force_login(team_manager)
    url = reverse("ird:cppm_new", args=[signed_ird.referral_id])

    form = client.get(url).content.decode()
    response = client.post(url, schedule_body(team_manager, invitees))

    assert 'value="initial"' not in form and 'value="review"' in form
    assert response.status_code == 400
    assert "That kind of CPPM is not in use now: choose another." in response.content.decode()
    assert not Cppm.objects.exists()


def test_a_cppm_of_a_retired_kind_still_shows_it(client, meeting, team_manager):
    retire("initial")
    client.force_login(team_manager)
    page = client.get(reverse("ird:cppm_detail", args=[meeting.pk])).content.decode()
    assert "Initial child protection planning meeting" in page


def test_an_inquorate_cppm_of_a_retired_kind_is_still_reconvened(
    client, meeting, team_manager, invitees
):
    held_now(meeting)
    cppm.cppm_outcome_record(cppm=meeting, by=team_manager, outcome=outcome(quorate=False))
    retire("initial")
    client.force_login(team_manager)
    url = reverse("ird:cppm_new", args=[meeting.referral_id]) + f"?reconvene={meeting.pk}"

    response = client.post(url, schedule_body(team_manager, invitees))

    assert response.status_code == 302
    again = Cppm.objects.get(previous=meeting)
    assert again.kind == Cppm.Kind.INITIAL


def test_the_last_day_comes_after_the_first():
    row = CppmType.objects.get(kind="review")
    row.valid_from = datetime.date(2026, 8, 1)
    row.valid_to = datetime.date(2026, 7, 31)
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert "valid_to" in refused.value.message_dict


def test_the_admin_edits_the_dates_within_the_pages_range(client, administrator):
    row = CppmType.objects.get(kind="transfer")
    client.force_login(administrator)
    url = reverse("admin:ird_cppmtype_change", args=[row.pk])
    body = {"label": "Transfer", "display_order": "40", "valid_from": "", "valid_to": ""}

    out_of_range = client.post(url, {**body, "valid_to": "9999-12-31"})
    backwards = client.post(url, {**body, "valid_from": "2026-08-01", "valid_to": "2026-07-31"})
    accepted = client.post(url, {**body, "valid_to": "2030-07-31"})

    assert out_of_range.status_code == 200 and backwards.status_code == 200
    assert "The last day comes after the first." in backwards.content.decode()
    assert accepted.status_code == 302
    row.refresh_from_db()
    assert row.valid_to == datetime.date(2030, 7, 31) and row.kind == "transfer"
    assert client.get(reverse("admin:ird_cppmtype_add")).status_code == 403
    assert client.get(reverse("admin:ird_cppmtype_changelist")).status_code == 200


def test_the_admin_shows_cppms_read_only_and_audits_each_read(client, meeting, administrator):
    client.force_login(administrator)
    listed = client.get(reverse("admin:ird_cppm_changelist"))
    opened = client.get(reverse("admin:ird_cppm_change", args=[meeting.pk]))

    assert listed.status_code == 200 and meeting.reference in listed.content.decode()
    assert opened.status_code == 200
    page = opened.content.decode()
    assert meeting.reference in page and 'name="scheduled_for' not in page  # read only
    rows = AuditEntry.objects.filter(actor=administrator, object_type="cppm")
    assert rows.filter(detail__admin="list").exists()
    assert rows.filter(detail__admin="record", object_id=str(meeting.pk)).exists()
    assert client.get(reverse("admin:ird_cppm_add")).status_code == 403
    assert client.post(reverse("admin:ird_cppm_delete", args=[meeting.pk])).status_code == 403
    assert Cppm.objects.filter(pk=meeting.pk).exists()
