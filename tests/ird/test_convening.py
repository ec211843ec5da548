"""Any agency convenes, and a series of IRDs per episode (NG2021 3.15, 3.18, 3.30): a concern
from police, health or social work with immediate risk or asking for an IRD opens one at once,
its clock from the concern's arrival; social work convenes from the referral page; out of hours
an initial discussion, the full IRD due the next working day; "further enquiries, then a further
IRD" opens a linked follow-on at sign-off; a repeat IRD asked for with a reason."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ird import services
from ird.errors import IrdRefused
from ird.models import Ird
from referrals import deadlines
from referrals.api import services as api_services
from referrals.errors import NotPermitted
from referrals.models import AuditEntry, ChronologyEntry, Deadline, DeadlineAlert, Referral
from referrals.services import screening
from referrals.working_days import add_working_days
from tests.api.conftest import PartnerClient, concern_body
from tests.factories import make_referral
from tests.ird.conftest import approve_child_protection, complete_record, plan

pytestmark = pytest.mark.django_db
Level = Deadline.Level


def partner(agency, name: str, address: str) -> PartnerClient:
    client = api_services.client_create(name=name, agency=agency)
    return PartnerClient(api_services.token_issue(client=client)[1], address=address)


@pytest.fixture
def police_api(police, duty_team):
    return partner(police, "Police Scotland iVPD", "10.0.1.1")


@pytest.fixture
def health_api(health, duty_team):
    return partner(health, "NHS Grampian child health", "10.0.1.2")


@pytest.fixture
def education_api(education, duty_team):
    return partner(education, "Moray schools", "10.0.1.3")


def held_deadline(referral) -> Deadline:
    return Deadline.objects.get(timescale__kind="ird_held", referral=referral)


# --- A concern that asks for an IRD -----------------------------------------------------------


def test_a_police_concern_with_immediate_risk_opens_an_ird_at_once(police_api, team_manager):
    response = police_api.submit(concern_body(immediate_risk=True))

    assert response.status_code == 201
    referral = Referral.objects.get()
    ird = Ird.objects.get(referral=referral)
    assert referral.status == Referral.Status.RECEIVED  # screening has not happened
    assert ird.status == Ird.Status.REQUESTED
    assert ird.route == Ird.Route.IMMEDIATE_RISK
    assert ird.requesting_agency.kind == "police"
    assert ird.requested_at == referral.received_at
    held = held_deadline(referral)
    assert held.starts_at == referral.received_at
    assert held.due_at == add_working_days(referral.received_at, 1, deadlines.closure_days())
    assert ChronologyEntry.objects.filter(
        referral=referral, kind=ChronologyEntry.Kind.IRD, summary__contains="immediate risk"
    ).exists()
    assert AuditEntry.objects.filter(
        object_type="ird", object_id=str(ird.pk), action="create", detail__route="immediate_risk"
    ).exists()


def test_a_health_concern_asking_for_an_ird_opens_one(health_api):
    response = health_api.submit(concern_body(immediate_risk=False, ird_requested=True))

    assert response.status_code == 201
    assert response.json()["ird_requested"] is True
    ird = Ird.objects.get(referral_id=response.json()["id"])
    assert ird.route == Ird.Route.AGENCY_REQUEST


def test_a_concern_without_risk_or_request_waits_for_screening(police_api):
    response = police_api.submit(concern_body(immediate_risk=False))
    assert response.status_code == 201
    assert response.json()["ird_requested"] is False
    assert not Ird.objects.exists()


def test_education_asks_but_does_not_convene(education_api):
    """Any agency can ask; police, health or social work convene: education's concern is
    screened first."""
    response = education_api.submit(concern_body(immediate_risk=True, ird_requested=True))
    assert response.status_code == 201
    assert not Ird.objects.exists()


def test_a_non_boolean_ird_request_is_a_400_naming_the_field(police_api):
    response = police_api.submit(concern_body(ird_requested="yes"))
    assert response.status_code == 400
    assert "ird_requested" in response.json()["errors"]
    assert not Referral.objects.exists() and not Ird.objects.exists()


def test_the_schema_documents_the_ird_request(police_api):
    schema = police_api.get("/api/schema/", headers={"Accept": "application/json"})
    assert "ird_requested" in schema.content.decode()


def test_screening_approval_later_opens_no_second_ird(social_worker, team_manager, police):
    referral = make_referral(
        team=social_worker.team,
        received_by=social_worker,
        immediate_risk=True,
        source_agency=police,
    )
    first = Ird.objects.get(referral=referral)

    approve_child_protection(referral, social_worker, team_manager)

    assert list(Ird.objects.filter(referral=referral)) == [first]


# --- Social work convenes from the referral page -----------------------------------------------


@pytest.fixture
def open_referral(social_worker):
    return make_referral(team=social_worker.team, received_by=social_worker)


def test_the_referral_page_offers_to_convene(client, open_referral, social_worker):
    client.force_login(social_worker)
    page = client.get(reverse("referral_detail", args=[open_referral.pk])).content.decode()
    assert "Convene an IRD now" in page


def test_a_social_worker_convenes_before_screening(client, open_referral, social_worker):
    client.force_login(social_worker)
    url = reverse("ird:convene", args=[open_referral.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"convene-reason": "Child disclosed assault to a teacher."})

    assert response.status_code == 302
    ird = Ird.objects.get(referral=open_referral)
    assert ird.route == Ird.Route.AGENCY_REQUEST and ird.requested_by == social_worker
    assert ird.request_reason == "Child disclosed assault to a teacher."
    page = client.get(reverse("referral_detail", args=[open_referral.pk])).content.decode()
    assert ird.reference in page and "Convene an IRD now" not in page


def test_convening_needs_a_reason_and_saves_nothing_without(client, open_referral, social_worker):
    client.force_login(social_worker)
    response = client.post(
        reverse("ird:convene", args=[open_referral.pk]), {"convene-reason": "  "}
    )
    assert response.status_code == 400
    assert "Say why an IRD is needed now." in response.content.decode()
    assert not Ird.objects.exists()


def test_police_and_health_staff_cannot_open_the_referral(
    client, open_referral, chair, health_participant
):
    for person in (chair, health_participant):
        client.force_login(person)
        url = reverse("ird:convene", args=[open_referral.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"convene-reason": "Now."}).status_code == 404
    assert not Ird.objects.exists()


def test_a_closed_referral_cannot_be_convened(open_referral, social_worker):
    Referral.objects.filter(pk=open_referral.pk).update(status=Referral.Status.CLOSED)
    open_referral.refresh_from_db()
    with pytest.raises(NotPermitted):
        services.ird_convene(referral=open_referral, by=social_worker, reason="Now.")


def test_convening_twice_finds_the_ird_under_way(open_referral, social_worker):
    first = services.ird_convene(referral=open_referral, by=social_worker, reason="Now.")
    again = services.ird_convene(referral=open_referral, by=social_worker, reason="Again.")
    assert first == again and Ird.objects.count() == 1


# --- Out of hours ---------------------------------------------------------------------------


def test_an_initial_discussion_makes_the_full_ird_due_next_working_day(requested_ird, team_manager):
    held_at = timezone.now() - timedelta(hours=1)
    ird = services.initial_discussion_record(
        ird=requested_ird,
        by=team_manager,
        held_at=held_at,
        summary="Police and duty social worker agreed the child stays with the grandmother.",
    )
    full = Deadline.objects.get(timescale__kind="ird_full", referral=ird.referral)
    assert full.starts_at == held_at
    assert full.due_at == add_working_days(held_at, 1, deadlines.closure_days())
    assert ird.initial_discussion_by == team_manager
    assert ChronologyEntry.objects.filter(summary__contains="initial discussion out of hours")


def test_the_full_ird_deadline_is_chased_once_per_level(requested_ird, team_manager):
    ird = services.initial_discussion_record(
        ird=requested_ird, by=team_manager, held_at=timezone.now(), summary="Safety agreed."
    )
    full = Deadline.objects.get(timescale__kind="ird_full", referral=ird.referral)
    # A working-day step: escalated after working hours and days (referrals/deadlines.py).
    for moment in sorted(deadlines.level_moments(full).values()):
        deadlines.sweep(now=moment + timedelta(minutes=1))
        deadlines.sweep(now=moment + timedelta(minutes=2))  # a second sweep adds nothing
    levels = list(
        DeadlineAlert.objects.filter(deadline=full)
        .values_list("level", flat=True)
        .order_by("level")
    )
    assert levels == [Level.WARNED, Level.DUE, Level.MANAGER, Level.SERVICE_MANAGER]


def test_holding_the_full_ird_meets_its_deadline(
    requested_ird, team_manager, chair, recorder, participants, social_worker
):
    ird = services.initial_discussion_record(
        ird=requested_ird, by=team_manager, held_at=timezone.now(), summary="Safety agreed."
    )
    ird = services.ird_schedule(
        ird=ird,
        by=team_manager,
        plan=plan(chair=chair, recorder=recorder, participants=participants),
    )
    ird = services.ird_start(ird=ird, by=recorder, reason="Full IRD after last night's call.")
    complete_record(ird, recorder=recorder, lead=social_worker)
    services.ird_conclude(ird=ird, by=recorder)
    full = Deadline.objects.get(timescale__kind="ird_full", referral=ird.referral)
    assert full.state == Deadline.State.MET


def test_an_initial_discussion_is_refused_in_the_future_twice_or_blank(requested_ird, team_manager):
    with pytest.raises(IrdRefused, match="future"):
        services.initial_discussion_record(
            ird=requested_ird,
            by=team_manager,
            held_at=timezone.now() + timedelta(hours=1),
            summary="x",
        )
    with pytest.raises(IrdRefused, match="immediate safety"):
        services.initial_discussion_record(
            ird=requested_ird, by=team_manager, held_at=timezone.now(), summary=" "
        )
    services.initial_discussion_record(
        ird=requested_ird, by=team_manager, held_at=timezone.now(), summary="Agreed."
    )
    with pytest.raises(IrdRefused, match="already recorded"):
        services.initial_discussion_record(
            ird=requested_ird, by=team_manager, held_at=timezone.now(), summary="Again."
        )


def test_only_coordinators_or_invited_convening_agencies_record_it(
    requested_ird, social_worker, education_participant
):
    for person in (social_worker, education_participant):
        with pytest.raises(NotPermitted):
            services.initial_discussion_record(
                ird=requested_ird, by=person, held_at=timezone.now(), summary="Agreed."
            )


def test_the_initial_discussion_form_on_the_page(client, requested_ird, team_manager):
    client.force_login(team_manager)
    url = reverse("ird:initial_discussion", args=[requested_ird.pk])
    page = client.get(reverse("ird:detail", args=[requested_ird.pk])).content.decode()
    assert "Record the initial discussion" in page

    bad = client.post(url, {"initial-held_at": "yesterday", "initial-summary": "Agreed."})
    assert bad.status_code == 400
    assert "Enter a real date and time" in bad.content.decode()

    held_at = timezone.localtime() - timedelta(minutes=30)
    good = client.post(
        url,
        {"initial-held_at": held_at.strftime("%Y-%m-%dT%H:%M"), "initial-summary": "Agreed."},
    )
    assert good.status_code == 302
    assert Ird.objects.get(pk=requested_ird.pk).initial_discussion == "Agreed."


# --- A series of IRDs -----------------------------------------------------------------------


def test_further_enquiries_open_a_follow_on_ird_at_sign_off(
    started_ird, recorder, chair, social_worker
):
    complete_record(
        started_ird, recorder=recorder, lead=social_worker, decision_code="further_enquiries"
    )
    ird = services.ird_conclude(ird=started_ird, by=recorder)
    ird = services.ird_sign_off(ird=ird, by=chair, confirmed=True)

    follow_on = Ird.objects.get(previous=ird)
    assert follow_on.route == Ird.Route.FURTHER
    assert follow_on.status == Ird.Status.REQUESTED
    assert follow_on.referral == ird.referral
    assert "Further enquiries" in follow_on.request_reason
    assert ChronologyEntry.objects.filter(summary__contains=f"following {ird.reference}").exists()
    assert held_deadline_open(ird.referral).starts_at >= ird.signed_off_at


def held_deadline_open(referral) -> Deadline:
    return Deadline.objects.get(
        timescale__kind="ird_held", referral=referral, state=Deadline.State.OPEN
    )


def test_a_repeat_ird_needs_a_reason_and_links_to_the_first(signed_ird, chair, team_manager):
    with pytest.raises(IrdRefused, match="Say why"):
        services.ird_follow_on(ird=signed_ird, by=chair, reason="")
    repeat = services.ird_follow_on(
        ird=signed_ird, by=chair, reason="The child made a further disclosure at school."
    )
    assert repeat.previous == signed_ird and repeat.route == Ird.Route.REPEAT
    with pytest.raises(IrdRefused, match="already under way"):
        services.ird_follow_on(ird=signed_ird, by=team_manager, reason="Again.")


def test_a_repeat_is_not_asked_for_before_sign_off_or_by_outsiders(
    concluded_ird, chair, education_participant, other_team_manager
):
    with pytest.raises(IrdRefused, match="not signed off"):
        services.ird_follow_on(ird=concluded_ird, by=chair, reason="Now.")
    services.ird_sign_off(ird=concluded_ird, by=chair, confirmed=True)
    for person in (education_participant, other_team_manager):
        with pytest.raises(NotPermitted):
            services.ird_follow_on(ird=concluded_ird, by=person, reason="Now.")


def test_the_repeat_form_on_the_page(client, signed_ird, chair):
    client.force_login(chair)
    detail = reverse("ird:detail", args=[signed_ird.pk])
    assert "Ask for a repeat IRD" in client.get(detail).content.decode()

    empty = client.post(reverse("ird:repeat", args=[signed_ird.pk]), {"repeat-reason": ""})
    assert empty.status_code == 400 and Ird.objects.count() == 1

    done = client.post(
        reverse("ird:repeat", args=[signed_ird.pk]), {"repeat-reason": "New disclosure."}
    )
    repeat = Ird.objects.get(previous=signed_ird)
    assert done.status_code == 302 and done["Location"] == reverse("ird:detail", args=[repeat.pk])


def test_the_referral_lists_every_ird_of_the_episode(client, signed_ird, chair, social_worker):
    repeat = services.ird_follow_on(ird=signed_ird, by=chair, reason="New disclosure.")
    client.force_login(social_worker)
    page = client.get(reverse("referral_detail", args=[signed_ird.referral_id])).content.decode()
    assert signed_ird.reference in page and repeat.reference in page


def test_screening_for_an_ird_from_the_concern_is_still_possible(police_api, social_worker):
    """Screening goes on beside the IRD: the duty worker still records a decision."""
    police_api.submit(concern_body(immediate_risk=True))
    referral = Referral.objects.get()
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="child_protection",
        reasons="Police report immediate risk.",
        risk_analysis="High.",
        needs_analysis="Safety.",
        cumulative_harm_analysis="None earlier.",
    )
    assert decision.pk
