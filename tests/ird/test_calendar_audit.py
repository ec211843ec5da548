"""The IRD calendar file names the children: downloading it is one audited export (issue 9)."""

from django.urls import reverse

from referrals.models import AuditEntry


def test_the_calendar_download_is_one_audited_export(client, scheduled_ird, chair):
    client.force_login(chair)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = client.get(reverse("ird:calendar", args=[scheduled_ird.pk]))

    assert response.status_code == 200
    [row] = AuditEntry.objects.filter(id__gt=before)
    assert (row.action, row.object_type, row.object_id) == ("export", "ird", str(scheduled_ird.pk))
    assert row.detail["page"] == "calendar"
