"""What IRDs add to each role's home page (issue 12, defect 6)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ird import services
from ird.models import Ird, IrdAction
from tests.factories import StaffFactory, TeamFactory, make_referral
from tests.ird.conftest import approve_child_protection, plan


def _sections(client, user) -> dict:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return {section.heading: section for section in response.context["sections"]}


def _titles(section) -> list[str]:
    return [item.title for item in section.items]


def test_an_invited_partner_sees_tomorrow_s_ird_this_week_not_today(client, scheduled_ird, chair):
    sections = _sections(client, chair)

    assert sections["IRDs today"].items == ()
    assert [t.split(" ")[0] for t in _titles(sections["IRDs this week"])] == [
        scheduled_ird.reference
    ]


def test_an_ird_later_today_is_under_today(
    client, requested_ird, team_manager, chair, recorder, participants
):
    later_today = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)
    if later_today <= timezone.now():  # just before midnight: nothing later today exists
        later_today = timezone.now() + timedelta(minutes=5)
    services.ird_schedule(
        ird=requested_ird,
        by=team_manager,
        plan=plan(chair=chair, recorder=recorder, participants=participants, when=later_today),
    )

    sections = _sections(client, chair)

    assert len(sections["IRDs today"].items) == 1
    assert sections["IRDs this week"].items == ()


def test_someone_not_invited_does_not_see_the_ird(client, scheduled_ird, police):
    other_officer = StaffFactory(role="ird_participant", team=TeamFactory(agency=police))

    sections = _sections(client, other_officer)

    assert sections["IRDs this week"].items == ()


def test_actions_owed_by_my_agency_at_an_ird_i_attend_are_mine_and_overdue_ones_lead(
    client, started_ird, recorder, chair, police
):
    services.action_add(
        ird=started_ird,
        by=recorder,
        description="Interview the child's teacher",
        owner_agency=police,
        due_date=timezone.localdate() + timedelta(days=1),
    )
    IrdAction.objects.update(due_date=timezone.localdate() - timedelta(days=1))

    sections = _sections(client, chair)
    owed = sections["IRD actions you owe"]

    assert [item.overdue for item in owed.items] == [True]
    assert "Interview the child's teacher" in owed.items[0].title
    client.force_login(chair)
    assert client.get("/").context["sections"][0].heading == "IRD actions you owe"


def test_a_coordinator_sees_irds_to_schedule_for_their_own_team_only(
    client, requested_ird, team_manager, other_team_manager, service_manager
):
    assert _titles(_sections(client, team_manager)["IRDs to schedule"]) == [requested_ird.reference]
    assert _titles(_sections(client, service_manager)["IRDs to schedule"]) == [
        requested_ird.reference
    ]
    assert _sections(client, other_team_manager)["IRDs to schedule"].items == ()


def test_the_committee_sees_records_to_review_and_procedure_trials_ending(
    client, signed_ird, committee_member, service_manager
):
    services.procedure_start(
        by=committee_member,
        title="IRD procedure",
        version="9.1",
        effective_from=timezone.localdate() - timedelta(days=80),
        trial_months=3,
        document_reference="POL-IRD-9.1",
    )

    sections = _sections(client, committee_member)

    assert _titles(sections["IRD records to review"]) == [signed_ird.reference]
    assert [item.title for item in sections["IRD procedure reviews due"].items] == [
        "IRD procedure, version 9.1"
    ]


def test_home_queries_do_not_grow_with_the_irds(
    client, team_manager, social_worker, chair, recorder, participants
):
    def schedule_one():
        referral = make_referral(team=social_worker.team, received_by=social_worker)
        approve_child_protection(referral, social_worker, team_manager)
        services.ird_schedule(
            ird=Ird.objects.get(referral=referral),
            by=team_manager,
            plan=plan(chair=chair, recorder=recorder, participants=participants),
        )

    schedule_one()
    client.force_login(chair)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(3):
        schedule_one()
    with CaptureQueriesContext(connection) as four:
        response = client.get("/")
    sections = {section.heading: section for section in response.context["sections"]}
    assert len(sections["IRDs this week"].items) == 4
    assert len(four) == len(one)
