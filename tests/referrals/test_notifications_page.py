"""Issue 12 defect 2: notifications stopped at 100 with no paging, so older unread alerts could
not be reached. They page, filter unread or all, mark all read, and agree with the badge."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import Notification

pytestmark = pytest.mark.django_db


def notify(user, count, *, read=False):
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=Notification.Kind.DEADLINE,
            title=f"Alert {number:03d}",
            read_at=now if read else None,
        )
        for number in range(count)
    )
    # Oldest first by number: Alert 000 is the oldest.
    for number, notification in enumerate(
        Notification.objects.filter(recipient=user).order_by("title")
    ):
        Notification.objects.filter(pk=notification.pk).update(
            created_at=now - timedelta(minutes=1000 - number)
        )


def titles(response) -> list[str]:
    """In page order, once each (a card names its alert twice: title and button)."""
    return list(dict.fromkeys(re.findall(r"Alert \d{3}", response.content.decode())))


def test_every_unread_alert_is_reachable_page_by_page(client, social_worker):
    notify(social_worker, 130)
    client.force_login(social_worker)

    seen, page = [], 1
    while True:
        response = client.get("/notifications/", {"page": page})
        assert response.status_code == 200
        seen += titles(response)
        if f"page={page + 1}" not in response.content.decode():
            break
        page += 1

    assert len(set(seen)) == 130
    assert seen[0] == "Alert 129"  # newest first
    assert "Unread (130)" in client.get("/notifications/").content.decode()


def test_unread_and_all_filters_and_counts_that_agree_with_the_badge(client, social_worker):
    notify(social_worker, 3)
    Notification.objects.filter(title="Alert 000").update(read_at=timezone.now())
    client.force_login(social_worker)

    unread = client.get("/notifications/", {"show": "unread"})
    everything = client.get("/notifications/", {"show": "all"})

    assert sorted(titles(unread)) == ["Alert 001", "Alert 002"]
    assert sorted(titles(everything)) == ["Alert 000", "Alert 001", "Alert 002"]
    page = unread.content.decode()
    assert "Unread (2)" in page and "All (3)" in page
    assert unread.context["unread_notification_count"] == 2  # the header's badge


def test_mark_all_read_reaches_alerts_beyond_the_first_page(client, social_worker):
    notify(social_worker, 130)
    client.force_login(social_worker)

    response = client.post("/notifications/", {"show": "unread"})

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=social_worker, read_at__isnull=True).exists()


def test_a_bad_page_number_shows_the_last_page_not_an_error(client, social_worker):
    notify(social_worker, 3)
    client.force_login(social_worker)

    assert client.get("/notifications/", {"page": "999"}).status_code == 200
    assert client.get("/notifications/", {"page": "x", "show": "nonsense"}).status_code == 200
