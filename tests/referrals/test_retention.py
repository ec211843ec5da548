"""Retention classes and legal holds (issue 10): which closed records are due for disposal,
and a hold on a person keeping everything that names them."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from referrals import sharing
from referrals.models import (
    AuditEntry,
    LegalHold,
    Referral,
    RetentionClass,
    Role,
    ScreeningDecision,
    ShareRoute,
)
from referrals.services import intake, retention
from tests.factories import PersonFactory, StaffFactory, make_referral

TODAY = datetime.date(2026, 12, 4)


@pytest.fixture
def officer(social_work):
    return StaffFactory(
        role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work, email="ig@example.org"
    )


def closed(referral: Referral, *, on: datetime.date, outcome: str, by) -> Referral:
    """A referral as it ends: its screening decision approved, then closed on `on`."""
    at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
    ScreeningDecision.objects.create(
        referral=referral,
        outcome=outcome,
        reasons="r",
        risk_analysis="r",
        needs_analysis="n",
        state=ScreeningDecision.State.APPROVED,
        proposed_by=by,
        proposed_at=at,
    )
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.CLOSED, closed_at=at)
    return Referral.objects.get(pk=referral.pk)


def nfa_referral(team, worker, *, closed_on, **kwargs):
    referral = make_referral(
        team=team, received_by=worker, received_at=timezone.now() - datetime.timedelta(days=1)
    )
    return closed(
        referral, on=closed_on, outcome=ScreeningDecision.Outcome.NO_FURTHER_ACTION, by=worker
    )


def test_a_no_further_action_referral_is_due_six_years_after_closure(duty_team, social_worker):
    old = nfa_referral(duty_team, social_worker, closed_on=datetime.date(2020, 12, 4))
    nfa_referral(duty_team, social_worker, closed_on=datetime.date(2020, 12, 5))

    due = retention.due_for_disposal(TODAY)

    assert [(r.reference, r.record_type, r.due_on, r.held) for r in due] == [
        (old.reference, "referral_nfa", datetime.date(2026, 12, 4), False)
    ]


def test_an_open_referral_is_never_due(duty_team, social_worker):
    make_referral(team=duty_team, received_by=social_worker)

    assert retention.due_for_disposal(datetime.date(2200, 1, 1)) == []


def test_the_administrator_s_change_to_a_class_applies_at_once(duty_team, social_worker):
    nfa_referral(duty_team, social_worker, closed_on=datetime.date(2020, 12, 4))
    RetentionClass.objects.filter(record_type="referral_nfa").update(period=10)

    assert retention.due_for_disposal(TODAY) == []


def test_child_protection_is_kept_until_the_youngest_child_s_birthday(duty_team, social_worker):
    # Starting value: 25 years from the 25th birthday.
    RetentionClass.objects.filter(record_type="child_protection").update(period=1)
    older = PersonFactory(date_of_birth=datetime.date(1999, 1, 1))  # 25 on 1 January 2024
    younger = PersonFactory(date_of_birth=datetime.date(2001, 6, 1))  # 25 on 1 June 2026
    referral = make_referral(team=duty_team, received_by=social_worker, children=[older, younger])
    closed(
        referral,
        on=datetime.date(2010, 1, 1),
        outcome=ScreeningDecision.Outcome.CHILD_PROTECTION,
        by=social_worker,
    )

    assert retention.due_for_disposal(datetime.date(2027, 5, 31)) == []
    [due] = retention.due_for_disposal(datetime.date(2027, 6, 1))
    assert (due.record_type, due.due_on) == ("child_protection", datetime.date(2027, 6, 1))


def test_a_child_without_a_date_of_birth_keeps_a_birthday_counted_record(duty_team, social_worker):
    RetentionClass.objects.filter(record_type="referral_support").update(period=0)
    unknown = PersonFactory(date_of_birth=None)
    referral = make_referral(team=duty_team, received_by=social_worker, children=[unknown])
    closed(
        referral,
        on=datetime.date(2010, 1, 1),
        outcome=ScreeningDecision.Outcome.SUPPORT,
        by=social_worker,
    )

    assert retention.due_for_disposal(datetime.date(2200, 1, 1)) == []


def test_last_contact_counts_from_the_child_s_latest_referral(duty_team, social_worker):
    RetentionClass.objects.filter(record_type="referral_nfa").update(trigger="last_contact")
    child = PersonFactory()
    first = make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[child],
        received_at=timezone.make_aware(datetime.datetime(2015, 1, 1, 12)),
    )
    closed(
        first,
        on=datetime.date(2015, 2, 1),
        outcome=ScreeningDecision.Outcome.NO_FURTHER_ACTION,
        by=social_worker,
    )
    make_referral(
        team=duty_team,
        received_by=social_worker,
        children=[child],
        received_at=timezone.make_aware(datetime.datetime(2019, 3, 1, 12)),
    )

    [due] = retention.due_for_disposal(datetime.date(2026, 1, 1))
    assert due.due_on == datetime.date(2025, 3, 1)


def test_a_legal_hold_on_an_adult_named_keeps_the_referral(duty_team, social_worker, officer):
    referral = make_referral(
        team=duty_team,
        received_by=social_worker,
        adults=[
            intake.AdultIntake(
                details=intake.PersonFields(first_name="Tom", last_name="Reid"),
                relationship="father",
            )
        ],
    )
    closed(
        referral,
        on=datetime.date(2019, 1, 1),
        outcome=ScreeningDecision.Outcome.NO_FURTHER_ACTION,
        by=social_worker,
    )
    father = referral.adult_links.get().person

    hold = retention.place_hold(person=father, reason="Civil claim pending", by=officer)
    [due] = retention.due_for_disposal(TODAY)
    assert due.held is True

    retention.lift_hold(hold=hold, reason="Claim settled", by=officer)
    [due] = retention.due_for_disposal(TODAY)
    assert due.held is False


def test_holds_are_placed_and_lifted_by_governance_with_a_reason_and_audited(
    social_worker, officer
):
    child = PersonFactory()
    with pytest.raises(PermissionDenied):
        retention.place_hold(person=child, reason="Claim", by=social_worker)
    with pytest.raises(ValidationError):
        retention.place_hold(person=child, reason="  ", by=officer)

    hold = retention.place_hold(person=child, reason="Inquiry", by=officer)
    with pytest.raises(ValidationError):
        retention.place_hold(person=child, reason="Another", by=officer)
    with pytest.raises(ValidationError):
        retention.lift_hold(hold=hold, reason="", by=officer)
    retention.lift_hold(hold=hold, reason="Inquiry closed", by=officer)
    with pytest.raises(ValidationError):
        retention.lift_hold(hold=hold, reason="again", by=officer)

    rows = AuditEntry.objects.filter(object_type="legalhold").order_by("seq")
    assert [(r.action, r.detail["event"], r.actor_id) for r in rows] == [
        ("create", "legal_hold_placed", officer.pk),
        ("change", "legal_hold_lifted", officer.pk),
    ]
    assert rows[0].detail["person"] == str(child.pk)


def test_the_monthly_listing_goes_to_governance_without_names(duty_team, social_worker, officer):
    old = nfa_referral(duty_team, social_worker, closed_on=datetime.date(2019, 1, 1))

    assert retention.email_due_listing(TODAY) == 1

    [message] = mail.outbox
    assert message.to == ["ig@example.org"]
    assert old.reference in message.body
    child = old.children.get()
    assert child.first_name not in message.body and child.last_name not in message.body


def test_the_dry_run_lists_and_changes_nothing(duty_team, social_worker):
    old = nfa_referral(duty_team, social_worker, closed_on=datetime.date(2019, 1, 1))
    out = StringIO()

    call_command("disposal_due", "--on", "2026-12-04", stdout=out)

    assert f"{old.reference}  referral_nfa  due 2025-01-01" in out.getvalue()
    assert "1 due for disposal, 0 kept under legal hold." in out.getvalue()
    assert Referral.objects.filter(pk=old.pk).exists()


def test_a_29_february_anniversary_falls_on_1_march():
    assert retention.add_years(datetime.date(2008, 2, 29), 1) == datetime.date(2009, 3, 1)


def test_the_administrator_places_and_lifts_a_hold_in_the_admin(client, administrator):
    child = PersonFactory()
    client.force_login(administrator)

    response = client.post(
        "/admin/referrals/legalhold/add/", {"person": str(child.pk), "reason": "Inquiry"}
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get(person=child)
    assert (hold.set_by, hold.lifted_at) == (administrator, None)

    again = client.post(
        "/admin/referrals/legalhold/add/", {"person": str(child.pk), "reason": "Again"}
    )
    assert again.status_code == 200
    assert "already under a legal hold" in again.content.decode()

    change = f"/admin/referrals/legalhold/{hold.pk}/change/"
    assert client.post(change, {"lift_reason": ""}).status_code == 200
    assert client.post(change, {"lift_reason": "Inquiry over"}).status_code == 302
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (administrator, "Inquiry over")


def test_a_member_of_staff_without_the_permission_cannot_reach_holds(client, social_worker):
    social_worker.is_staff = True
    social_worker.save()
    client.force_login(social_worker)

    assert client.get("/admin/referrals/legalhold/add/").status_code == 403


def test_the_administrator_edits_a_retention_class_with_its_source_audited(client, administrator):
    retention_class = RetentionClass.objects.get(record_type="referral_nfa")
    client.force_login(administrator)
    assert client.get("/admin/referrals/retentionclass/").status_code == 200
    assert client.get("/admin/referrals/legalhold/").status_code == 200

    response = client.post(
        f"/admin/referrals/retentionclass/{retention_class.pk}/change/",
        {
            "record_type": "referral_nfa",
            "period": "5",
            "unit": "years",
            "trigger": "closure",
            "disposal": "delete",
            "source": "Council retention schedule 2026, item 4.2",
        },
    )

    assert response.status_code == 302
    retention_class.refresh_from_db()
    assert (retention_class.period, retention_class.source) == (
        5,
        "Council retention schedule 2026, item 4.2",
    )
    row = AuditEntry.objects.filter(object_type="retentionclass").get()
    assert (row.action, row.detail["fields"]) == ("change", ["period", "source"])


def test_the_administrator_sets_a_share_route_s_lawful_basis_audited(client, administrator):
    """Issue 10: the lawful basis of each share route is configured in the admin; every route
    is installed, none can be deleted, and a change is audited."""
    assert set(ShareRoute.objects.values_list("route", flat=True)) == set(ShareRoute.Route.values)
    route = ShareRoute.objects.get(route="api_read")
    client.force_login(administrator)
    assert client.get("/admin/referrals/shareroute/").status_code == 200
    assert client.get("/admin/referrals/shareroute/add/").status_code == 403
    assert client.get(f"/admin/referrals/shareroute/{route.pk}/delete/").status_code == 403

    response = client.post(
        f"/admin/referrals/shareroute/{route.pk}/change/",
        {
            "route": "api_read",
            "lawful_basis": "legal_obligation",
            "special_category_condition": "art9_2h_sch1_2",
            "legislation": "Data sharing agreement with Police Scotland, 2026",
        },
    )

    assert response.status_code == 302
    assert sharing.basis("api_read") == {
        "share_route": "api_read",
        "lawful_basis": "legal_obligation",
        "condition": "art9_2h_sch1_2",
    }
    row = AuditEntry.objects.filter(object_type="shareroute").get()
    assert row.detail["fields"] == ["lawful_basis", "legislation", "special_category_condition"]
