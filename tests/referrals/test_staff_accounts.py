"""Disabling a member of staff ends their sessions for good, and the administrator's actions on
staff accounts are audited (issue 9)."""

from django.test import Client
from django.utils import timezone

from referrals.models import AuditEntry, Role, Staff
from tests.conftest import SignedInClient
from tests.factories import StaffFactory


def test_re_enabling_a_disabled_account_does_not_bring_its_old_session_back(social_worker):
    client = SignedInClient()
    client.force_login(social_worker)
    assert client.get("/").status_code == 200

    social_worker.is_active = False
    social_worker.save()
    social_worker.is_active = True
    social_worker.save()

    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_admin_audits_creating_and_disabling_staff(client, administrator, duty_team):
    client.force_login(administrator)

    created = client.post(
        "/admin/referrals/staff/add/",
        {
            "username": "new.worker",
            "password1": "a-long-enough-passphrase-2026",
            "password2": "a-long-enough-passphrase-2026",
            "usable_password": "true",
            "first_name": "New",
            "last_name": "Worker",
            "email": "new.worker@example.org",
            "role": Role.SOCIAL_WORKER,
            "agency": str(duty_team.agency_id),
            "team": str(duty_team.pk),
        },
    )
    assert created.status_code == 302, created.context["adminform"].form.errors
    staff = Staff.objects.get(username="new.worker")
    creation = AuditEntry.objects.get(object_id=str(staff.pk), action="create")
    assert creation.actor == administrator

    disabled = client.post(
        "/admin/referrals/staff/",
        {"action": "disable_accounts", "_selected_action": [str(staff.pk)]},
    )
    assert disabled.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_active
    change = AuditEntry.objects.filter(object_id=str(staff.pk), action="change").latest("id")
    assert change.actor == administrator and change.detail["disabled"] is True


def test_editing_staff_in_the_admin_is_audited_by_field_name(client, administrator):
    staff = StaffFactory(role=Role.SOCIAL_WORKER, first_name="Ann")
    Staff.objects.filter(pk=staff.pk).update(date_joined=staff.date_joined.replace(microsecond=0))
    staff.refresh_from_db()
    client.force_login(administrator)
    page = client.get(f"/admin/referrals/staff/{staff.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name not in {"password", "groups", "user_permissions", "last_login", "date_joined"}
    }
    joined = timezone.localtime(staff.date_joined)
    data.update(date_joined_0=f"{joined:%Y-%m-%d}", date_joined_1=f"{joined:%H:%M:%S}")
    data.update(first_name="Anne", role=Role.TEAM_MANAGER)

    response = client.post(f"/admin/referrals/staff/{staff.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    row = AuditEntry.objects.filter(object_id=str(staff.pk), action="change").latest("id")
    assert row.actor == administrator
    assert {"first_name", "role"} <= set(row.detail["fields"])
    assert "Anne" not in str(row.detail)  # names of fields, never their values


def test_a_disabled_account_is_signed_out_at_once(social_worker):
    client = Client()
    client.force_login(social_worker)
    social_worker.is_active = False
    social_worker.save()
    assert client.get("/").status_code == 302
