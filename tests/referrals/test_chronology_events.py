"""Issue 12: a chronology a worker can write in (significant events by hand, with source,
date, category and significance), newest first, filtered by kind and by agency, and printed
as a PDF (audited as a print)."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from referrals.models import AuditEntry, ChronologyEntry, Person, Role
from tests.factories import AgencyFactory, StaffFactory, make_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(social_worker):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    return referral.child_links.get().person


@pytest.fixture
def police():
    return AgencyFactory(code="police-chron", name="Police Scotland", kind="police")


@pytest.fixture
def sw(client, social_worker):
    client.force_login(social_worker)
    return client


def add(client, child, **overrides):
    body = {
        "event-occurred_on": "2026-03-02",
        "event-category": "household",
        "event-significance": "high",
        "event-summary": "Mother's partner moved into the household.",
        **overrides,
    }
    return client.post(reverse("chronology_event_new", args=[child.pk]), body)


def test_a_worker_adds_a_significant_event_with_its_source(sw, child, police, social_worker):
    response = add(sw, child, **{"event-source_agency": str(police.pk)})

    assert response.status_code == 302
    entry = ChronologyEntry.objects.get(person=child, kind=ChronologyEntry.Kind.EVENT)
    assert (entry.category, entry.significance, entry.source_agency, entry.recorded_by) == (
        "household",
        "high",
        police,
        social_worker,
    )
    assert timezone.localtime(entry.occurred_at).date() == date(2026, 3, 2)
    row = AuditEntry.objects.get(object_type="chronologyentry", object_id=str(entry.pk))
    assert row.action == "create" and row.detail["person"] == str(child.pk)
    page = sw.get(reverse("person_detail", args=[child.pk])).content.decode()
    assert "moved into the household" in page and "High significance" in page
    assert "Police Scotland" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "event-occurred_on",
            (timezone.localdate() + timedelta(days=2)).isoformat(),
            "already happened",
        ),
        ("event-occurred_on", "1850-01-01", "from 1900 to 2100"),
        ("event-occurred_on", "", "Enter the date it happened"),
        ("event-category", "gossip", "Select a valid choice"),
        ("event-significance", "", "Choose how significant"),
        ("event-summary", "   ", "Say what happened"),
        ("event-summary", "x" * 2001, "2000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_saved(
    sw, child, field, value, message
):
    response = add(sw, child, **{field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.EVENT).exists()


def test_a_merged_record_takes_no_new_events(sw, child, social_worker):
    other = make_referral(team=social_worker.team).child_links.get().person
    Person.objects.filter(pk=child.pk).update(merged_into=other)

    response = add(sw, child)

    assert response.status_code == 400
    assert not ChronologyEntry.objects.filter(kind=ChronologyEntry.Kind.EVENT).exists()


def test_the_chronology_filters_by_kind_and_by_agency(sw, child, police, social_worker):
    add(sw, child, **{"event-source_agency": str(police.pk), "event-summary": "Police visit."})
    add(sw, child, **{"event-summary": "Moved school."})
    url = reverse("person_detail", args=[child.pk])

    only_events = sw.get(url, {"kind": "event"})
    from_police = sw.get(url, {"agency": str(police.pk)})
    nonsense = sw.get(url, {"kind": "gossip", "agency": "not-an-id"})

    assert [e.summary for e in only_events.context["entries"]] == ["Moved school.", "Police visit."]
    assert [e.summary for e in from_police.context["entries"]] == ["Police visit."]
    assert nonsense.status_code == 200 and len(nonsense.context["entries"]) == 3  # + concern
    read = AuditEntry.objects.filter(action="view", object_id=str(child.pk)).order_by("-id")
    assert read.first().detail["page"] == "chronology"
    assert {"kind": "event"} in [row.detail.get("filters") for row in read]


def test_the_chronology_prints_as_a_pdf_audited_as_a_print(sw, child, social_worker):
    add(sw, child, **{"event-summary": "Health visitor concerned about weight."})

    response = sw.get(reverse("chronology_print", args=[child.pk]), {"kind": "event"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Health visitor concerned about weight." in text
    assert "Concern received" not in text  # the filter applies to the print too
    assert "only significant event entries" in text
    printed = AuditEntry.objects.get(action="print", object_id=str(child.pk))
    assert printed.detail == {"page": "chronology", "filters": {"kind": "event"}}


def test_the_person_page_reads_in_the_same_queries_however_long_the_chronology(
    sw, child, django_assert_max_num_queries
):
    url = reverse("person_detail", args=[child.pk])
    add(sw, child)
    with CaptureQueriesContext(connection) as few:
        sw.get(url)
    one_entry = len(few)  # now: each request below starts a new query log
    for n in range(30):
        add(sw, child, **{"event-summary": f"Event {n}"})

    with django_assert_max_num_queries(one_entry):
        assert sw.get(url).status_code == 200


def test_people_outside_social_work_cannot_write_in_it(client, child):
    client.force_login(StaffFactory(role=Role.AUDITOR))

    assert add(client, child).status_code == 403
