"""Who saw this child (issue 10): for the information governance officer, every read, export,
print and break-glass of one person's records, their referrals and IRDs, newest first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals import audit, governance
from referrals.models import AuditEntry, Role
from tests.factories import PersonFactory, StaffFactory, make_referral


@pytest.fixture
def officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


@pytest.fixture
def child_with_history(duty_team, social_worker, team_manager):
    referral = make_referral(team=duty_team, received_by=social_worker)
    child = referral.children.get()
    audit.record(actor=social_worker, action=audit.Action.VIEW, subject=referral)
    audit.record(actor=team_manager, action=audit.Action.PRINT, subject=child)
    audit.record(actor=team_manager, action=audit.Action.CHANGE, subject=child)  # not a read
    other = PersonFactory()
    audit.record(actor=social_worker, action=audit.Action.VIEW, subject=other)
    return child, referral


def test_the_report_lists_reads_of_the_child_and_their_referrals_only(child_with_history):
    child, referral = child_with_history

    rows = list(governance.who_saw(child))

    assert [(r.action, r.object_type) for r in rows] == [("print", "person"), ("view", "referral")]


def test_the_officer_finds_the_child_by_chi_or_referral_and_reads_the_report(
    client, officer, child_with_history
):
    child, referral = child_with_history
    client.force_login(officer)

    found = client.post(reverse("access_report_find"), {"record": referral.reference})
    assert found.status_code == 302
    report = client.get(found["Location"])

    assert report.status_code == 200
    assert report.context["page"].paginator.count == 2
    page = report.content.decode()
    assert "Printed" in page and "Viewed" in page
    # Reading the report is itself a read of the child's record.
    assert AuditEntry.objects.filter(
        object_id=str(child.pk), detail__page="access_report", actor=officer
    ).exists()


def test_an_unknown_record_is_a_clear_error(client, officer):
    client.force_login(officer)

    response = client.post(reverse("access_report_find"), {"record": "CW-1999-000001"})

    assert response.status_code == 400
    assert "No child has that CHI number" in response.content.decode()


def test_a_blank_chi_never_finds_a_child_without_one(client, officer, child_with_history):
    client.force_login(officer)

    response = client.post(reverse("access_report_find"), {"record": "   -  "})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "role_fixture", ["social_worker", "team_manager", "service_manager", "hub_reviewer"]
)
def test_only_information_governance_reads_access_reports(
    client, request, role_fixture, child_with_history
):
    child, _ = child_with_history
    client.force_login(request.getfixturevalue(role_fixture))

    assert client.get(reverse("access_report_find")).status_code == 403
    assert client.get(reverse("person_access_report", args=[child.pk])).status_code == 403


def test_the_report_runs_in_a_fixed_number_of_queries(
    client, officer, child_with_history, social_worker, django_assert_max_num_queries
):
    child, referral = child_with_history
    client.force_login(officer)
    url = reverse("person_access_report", args=[child.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(30):
        audit.record(actor=social_worker, action=audit.Action.VIEW, subject=referral)
    with django_assert_max_num_queries(len(few)):
        client.get(url)
