"""IRD fixtures: a child protection referral whose approval opened an IRD request, and the IRD
at each later stage, made through the services as the pages make them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ird import cppm, services
from ird.models import Cppm, DecisionCode, Ird
from ird.reference_data import ensure_ird_reference_data
from referrals.models import Agency, Role
from referrals.services import screening
from tests.factories import StaffFactory, TeamFactory, category, make_referral


@pytest.fixture(autouse=True)
def _ird_reference_data(request, _database_baseline):
    """Decision codes and IRD timescales come from ird's data migration; a transactional
    test's clean-up empties them, so they are put back like referrals' own."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    ):
        ensure_ird_reference_data()


@pytest.fixture
def education_participant(education):
    return StaffFactory(
        role=Role.IRD_PARTICIPANT,
        team=TeamFactory(agency=education),
        job_title="Depute head teacher",
    )


@pytest.fixture
def chair(police):
    """A police officer chairs (police, health or social work can convene: NG2021 3.18)."""
    return StaffFactory(
        role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police), job_title="Detective sergeant"
    )


@pytest.fixture
def recorder(social_worker):
    return social_worker


def approve_child_protection(referral, social_worker, team_manager):
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome="child_protection",
        reasons="Bruising seen at nursery.",
        risk_analysis="High.",
        needs_analysis="Safety.",
        cumulative_harm_analysis="Earlier concerns considered.",
    )
    screening.screening_approve(decision=decision, approved_by=team_manager)
    referral.refresh_from_db()
    return decision


@pytest.fixture
def cp_referral(social_worker, team_manager):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    approve_child_protection(referral, social_worker, team_manager)
    return referral


@pytest.fixture
def requested_ird(cp_referral):
    return Ird.objects.get(referral=cp_referral)


def plan(*, chair, recorder, participants, when=None, **teleconference):
    teleconference.setdefault("dial_in", "0800 012 3456")
    teleconference.setdefault("meeting_id", "481 516 2342")
    teleconference.setdefault("pin", "7319")
    return services.Schedule(
        scheduled_for=when or timezone.now() + timedelta(days=1),
        duration_minutes=60,
        chair=chair,
        recorder=recorder,
        participants=list(participants),
        **teleconference,
    )


@pytest.fixture
def participants(chair, recorder, health_participant, education_participant):
    return [chair, recorder, health_participant, education_participant]


@pytest.fixture
def scheduled_ird(requested_ird, team_manager, chair, recorder, participants):
    return services.ird_schedule(
        ird=requested_ird,
        by=team_manager,
        plan=plan(chair=chair, recorder=recorder, participants=participants),
    )


@pytest.fixture
def started_ird(scheduled_ird, recorder):
    return services.ird_start(
        ird=scheduled_ird, by=recorder, reason="Bruising seen at nursery; explanation inconsistent."
    )


def complete_record(
    ird,
    *,
    recorder,
    lead,
    decision_code="child_protection_investigation",
    skip=(),
    skip_kinds=(),
):
    """What sign-off needs: police, health and social work attendance, how it was held, the
    chronology considered, the lead professional, a decision, the analysis of risk and need and
    the reasons for the decisions. `skip` leaves out any of lead, decision, risk_and_need,
    decision_reasons, mode, chronology; `skip_kinds` leaves out agencies' attendance."""
    now = timezone.now()
    for agency in Agency.objects.filter(kind__in=["police", "health", "social_work"]):
        if agency.kind in skip_kinds:
            continue
        services.attendance_add(
            ird=ird,
            by=recorder,
            agency=agency,
            name=f"From {agency}",
            role="Officer",
            seniority="practitioner",
            joined_at=now - timedelta(minutes=30),
        )
    services.record_details_save(
        ird=ird,
        by=recorder,
        mode="" if "mode" in skip else "teleconference",
        chronology_considered="chronology" not in skip,
    )
    if "lead" not in skip:
        services.lead_professional_name(ird=ird, by=recorder, lead=lead)
    if "decision" not in skip:
        services.decision_add(
            ird=ird,
            by=recorder,
            code=DecisionCode.objects.get(code=decision_code),
            rationale="Agreed by all agencies.",
        )
    for key, text in (
        ("risk_and_need", "Unexplained bruising; a parent's account changes."),
        ("decision_reasons", "Police and social work to interview jointly."),
    ):
        if key not in skip:
            section = ird.sections.get(key=key)
            services.section_save(
                ird=ird, key=key, text=text, by=recorder, based_on=section.version
            )
    ird.refresh_from_db()
    return ird


@pytest.fixture
def concluded_ird(started_ird, recorder, social_worker):
    complete_record(started_ird, recorder=recorder, lead=social_worker)
    return services.ird_conclude(ird=started_ird, by=recorder)


@pytest.fixture
def signed_ird(concluded_ird, chair):
    return services.ird_sign_off(ird=concluded_ird, by=chair, confirmed=True)


# --- Child protection planning meetings and the register (tests/ird/test_cppm.py) ------------


def make_plan(*, chair, invitees, kind="initial", days=7, **fields) -> cppm.CppmPlan:
    return cppm.CppmPlan(
        kind=kind,
        scheduled_for=timezone.now() + timedelta(days=days),
        chair=chair,
        invitees=list(invitees),
        place="Family centre, Elgin",
        **fields,
    )


def held_now(meeting: Cppm) -> Cppm:
    """The meeting's time comes: it was scheduled (5 days ahead or more) for an hour ago."""
    Cppm.objects.filter(pk=meeting.pk).update(scheduled_for=timezone.now() - timedelta(hours=1))
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def invitees(police_participant, health_participant, social_worker):
    return [police_participant, health_participant, social_worker]


def local(moment) -> str:
    """A moment as a datetime-local field posts it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def meeting(signed_ird, team_manager, invitees):
    """An initial CPPM scheduled a week ahead: the coordinator chairs; police, health and the
    social worker are invited."""
    return cppm.cppm_schedule(
        referral=signed_ird.referral,
        by=team_manager,
        plan=make_plan(chair=team_manager, invitees=invitees),
    )


@pytest.fixture
def scheduled(signed_ird, team_manager, invitees):
    return held_now(
        cppm.cppm_schedule(
            referral=signed_ird.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees),
        )
    )


def outcome(**fields) -> cppm.Outcome:
    fields.setdefault("quorate", True)
    fields.setdefault("held_at", timezone.now())
    fields.setdefault("reporter_referral", False)
    fields.setdefault("reporter_note", "Compulsory measures not needed while parents engage.")
    return cppm.Outcome(**fields)


@pytest.fixture
def registered(scheduled, team_manager, social_worker):
    child = scheduled.children.get()
    return cppm.cppm_outcome_record(
        cppm=scheduled,
        by=team_manager,
        outcome=outcome(
            register=[child], categories=[category("neglect")], lead_professional=social_worker
        ),
    )


@pytest.fixture
def review(registered, team_manager, invitees):
    return held_now(
        cppm.cppm_schedule(
            referral=registered.referral,
            by=team_manager,
            plan=make_plan(chair=team_manager, invitees=invitees, kind="review", days=60),
        )
    )
