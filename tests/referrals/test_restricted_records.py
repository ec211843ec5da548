"""Restricted records and break-glass (issue 9): a manager restricts a child's record to named
people; anyone else in scope meets the break-glass page, states why, sees it for 30 minutes,
audited, with the manager and information governance told; every use is reviewed. Out of scope
stays 404; searches and lists never show a restricted child's details to the uncleared."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import restrictions
from referrals.models import AuditEntry, BreakGlass, Notification, Restriction, Role
from tests.factories import StaffFactory, make_referral
from tests.referrals.test_pages import intake_data, step_two


@pytest.fixture
def officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


@pytest.fixture
def colleague(duty_team):
    return StaffFactory(role=Role.SOCIAL_WORKER, team=duty_team)


@pytest.fixture
def restricted(duty_team, social_worker, team_manager):
    referral = make_referral(team=duty_team, received_by=social_worker)
    child = referral.children.get()
    restrictions.restrict(
        person=child,
        by=team_manager,
        reason=Restriction.Reason.STAFF_FAMILY,
        explanation="",
        allowed=[social_worker],
    )
    return child, referral


def test_people_named_on_the_restriction_see_the_record(client, restricted, social_worker):
    child, referral = restricted
    client.force_login(social_worker)

    assert client.get(f"/people/{child.pk}/").status_code == 200
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200


def test_anyone_else_in_scope_meets_the_break_glass_page(client, restricted, colleague):
    child, referral = restricted
    client.force_login(colleague)

    for url in (f"/people/{child.pk}/", f"/referrals/{referral.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/people/{child.pk}/break-glass/?next=")
    page = client.get(f"/people/{child.pk}/break-glass/")
    assert page.status_code == 200
    assert child.full_name not in page.content.decode()


def test_out_of_scope_stays_404(client, restricted, police_participant):
    child, referral = restricted
    client.force_login(police_participant)

    assert client.get(f"/people/{child.pk}/").status_code == 404
    assert client.get(f"/people/{child.pk}/break-glass/").status_code == 404


def test_breaking_the_glass_opens_the_record_for_thirty_minutes_audited_and_told(
    client, restricted, colleague, team_manager, officer
):
    child, referral = restricted
    client.force_login(colleague)
    url = f"/people/{child.pk}/break-glass/"

    refused = client.post(url, {"reason": "duty_work", "explanation": "x"})
    assert refused.status_code == 400
    opened = client.post(
        url,
        {
            "reason": "duty_work",
            "explanation": "A new police concern about this child came in on duty.",
            "next": f"/referrals/{referral.pk}/",
        },
    )

    assert opened.status_code == 302 and opened["Location"] == f"/referrals/{referral.pk}/"
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200
    entry = BreakGlass.objects.get()
    assert entry.staff == colleague and entry.expires_at - entry.opened_at == timedelta(minutes=30)
    row = AuditEntry.objects.get(action="break_glass")
    assert row.actor == colleague and row.object_id == str(child.pk)
    assert row.detail["reason"] == "duty_work"
    told = set(Notification.objects.filter(person=child).values_list("recipient", flat=True))
    assert told == {team_manager.pk, officer.pk}

    BreakGlass.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/referrals/{referral.pk}/").status_code == 302  # the time is up


def test_search_and_lists_withhold_the_restricted_childs_details(
    client, restricted, colleague, social_worker
):
    child, referral = restricted
    client.force_login(colleague)

    found = client.post("/search/", {"query": child.last_name})
    home = client.get("/")

    assert found.status_code == 200
    assert child.full_name not in found.content.decode()
    assert "restricted record" in found.content.decode().lower()
    assert referral.pk not in {r.pk for r in home.context["lists"].awaiting_screening}

    client.force_login(social_worker)  # named on the restriction
    assert child.full_name in client.post("/search/", {"query": child.last_name}).content.decode()


def test_a_manager_restricts_a_record_and_others_cannot(client, duty_team, team_manager, colleague):
    child = make_referral(team=duty_team).children.get()
    client.force_login(colleague)
    assert client.get(f"/people/{child.pk}/restriction/").status_code == 403

    client.force_login(team_manager)
    response = client.post(
        f"/people/{child.pk}/restriction/",
        {"reason": "public_figure", "explanation": "", "allowed": [str(colleague.pk)]},
    )

    assert response.status_code == 302
    restriction = Restriction.objects.get(person=child)
    assert set(restriction.allowed.all()) == {colleague, team_manager}
    assert AuditEntry.objects.filter(object_id=str(child.pk), detail__restricted="public_figure")


def test_information_governance_reviews_every_use(client, restricted, colleague, officer):
    child, _ = restricted
    entry = restrictions.break_glass(
        person=child, by=colleague, reason="immediate_risk", explanation="Police on the phone now."
    )
    client.force_login(colleague)
    assert client.get(reverse("break_glass_report")).status_code == 403

    client.force_login(officer)
    report = client.get(reverse("break_glass_report"))
    assert report.status_code == 200 and "Police on the phone now." in report.content.decode()
    client.post(
        reverse("break_glass_review", args=[entry.pk]), {"outcome": "justified", "note": "Agreed."}
    )

    entry.refresh_from_db()
    assert entry.review == "justified" and entry.reviewed_by == officer


def test_intake_matching_withholds_a_restricted_childs_details(
    client, restricted, colleague, social_work
):
    child, _ = restricted
    client.force_login(colleague)
    data = intake_data(
        social_work,
        children=[
            {
                **{k: "" for k in ("expected_date_of_delivery", "chi_number", "address_line1")},
                "first_name": child.first_name,
                "last_name": child.last_name,
                "date_of_birth": child.date_of_birth.isoformat(),
            }
        ],
    )

    response = step_two(client, data)

    page = response.content.decode()
    assert "A restricted record" in page
    assert f"History of involvement: {child.full_name}" not in page
