"""Child data in the admin (issue 9): read-only there (changes go through the services), and
every list and record read leaves an audit row, as the application's pages do."""

import pytest
from django.contrib import admin
from django.urls import reverse

from referrals.admin_base import ChildDataAdmin
from referrals.models import AuditEntry
from tests.factories import PersonFactory, make_referral

CHILD_DATA = {
    "referrals.person",
    "referrals.referral",
    "referrals.chronologyentry",
    "referrals.cumulativeharmflag",
    "referrals.notification",
    "hub.review",
    "hub.auditround",
    "ird.ird",
    "ird.cppm",
    "ird.irdaction",
    "ird.calendarmessage",
    "ird.qualityreview",
    "partner_api.idempotencykey",
    "partner_api.submittedconcern",
}


def _admin_models():
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": (model, model_admin)
        for model, model_admin in admin.site._registry.items()
    }


def test_every_model_holding_child_data_is_audited_and_read_only_in_the_admin():
    audited = {
        name
        for name, (_, model_admin) in _admin_models().items()
        if isinstance(model_admin, ChildDataAdmin)
    }
    assert audited == CHILD_DATA


def _mark():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize("name", sorted(CHILD_DATA))
def test_a_list_page_writes_one_audit_row(client, administrator, name):
    model, _ = _admin_models()[name]
    client.force_login(administrator)
    before = _mark()

    response = client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    )

    assert response.status_code == 200
    [row] = AuditEntry.objects.filter(id__gt=before)
    assert (row.action, row.object_type) == ("view", model._meta.model_name)
    assert row.detail["admin"] == "list"


def test_a_search_is_audited_without_the_words_searched_for(client, administrator):
    person = PersonFactory(first_name="Ava", last_name="Smith")
    client.force_login(administrator)
    before = _mark()

    client.get(reverse("admin:referrals_person_changelist"), {"q": "Smith"})

    [row] = AuditEntry.objects.filter(id__gt=before)
    assert row.action == "search" and row.detail["shown"] == [str(person.pk)]
    assert "Smith" not in str(row.detail)


def test_opening_a_record_writes_one_row_and_it_cannot_be_changed_there(
    client, administrator, duty_team
):
    referral = make_referral(team=duty_team)
    child = referral.children.get()
    client.force_login(administrator)
    before = _mark()

    page = client.get(reverse("admin:referrals_person_change", args=[child.pk]))
    change = client.post(
        reverse("admin:referrals_person_change", args=[child.pk]), {"first_name": "Changed"}
    )
    add = client.get(reverse("admin:referrals_person_add"))
    delete = client.post(reverse("admin:referrals_person_delete", args=[child.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert change.status_code == 403 and add.status_code == 403 and delete.status_code == 403
    child.refresh_from_db()
    assert child.first_name != "Changed"
    rows = list(AuditEntry.objects.filter(id__gt=before, action="view"))
    assert [(r.object_type, r.object_id) for r in rows] == [("person", str(child.pk))]
