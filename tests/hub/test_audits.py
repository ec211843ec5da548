"""The bi-monthly practice audit: a reproducible, stratified random sample of children's records
(same seed, same sample), auditors from several agencies, grades collated, a learning summary
to the teams concerned, deadlines for the round."""

import random
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from hub import sampling, services, tasks
from hub.models import AuditAssignment, AuditGrade, AuditPanelMember, AuditRound
from hub.services import AuditRefused
from referrals.errors import NotPermitted
from referrals.models import Deadline, Notification, Role
from tests.factories import StaffFactory, TeamFactory, make_referral

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
OPENING = datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)  # in the March-April period


# --- The sample, as pure functions --------------------------------------------------------------

POPULATION = (
    [(f"police-{n}", "police") for n in range(20)]
    + [(f"health-{n}", "health") for n in range(8)]
    + [(f"school-{n}", "education") for n in range(2)]
)


def test_the_same_seed_gives_the_same_sample_whatever_the_order():
    shuffled = POPULATION[:]
    random.Random(7).shuffle(shuffled)

    first = sampling.stratified_sample(POPULATION, 6, seed=12345)
    again = sampling.stratified_sample(shuffled, 6, seed=12345)

    assert first == again
    assert len(set(first)) == 6
    assert sampling.stratified_sample(POPULATION, 6, seed=54321) != first


def test_the_sample_is_spread_across_agencies_in_proportion():
    picked = sampling.stratified_sample(POPULATION, 6, seed=99)
    strata = Counter(key.split("-")[0] for key in picked)
    # One from each agency, the other three in proportion to what is left (19 : 7 : 1).
    assert strata == {"police": 3, "health": 2, "school": 1}


@pytest.mark.parametrize(("size", "expected"), [(0, 0), (2, 2), (30, 30), (50, 30)])
def test_the_sample_is_never_bigger_than_the_population(size, expected):
    picked = sampling.stratified_sample(POPULATION, size, seed=1)
    assert len(picked) == len(set(picked)) == expected


def test_a_sample_smaller_than_the_agencies_takes_one_from_some():
    picked = sampling.stratified_sample(POPULATION, 2, seed=3)
    assert len({key.split("-")[0] for key in picked}) == 2


@pytest.mark.parametrize(
    ("day", "months", "start"),
    [
        (date(2026, 2, 15), 2, date(2026, 1, 1)),
        (date(2026, 3, 1), 2, date(2026, 3, 1)),
        (date(2026, 12, 31), 2, date(2026, 11, 1)),
        (date(2026, 5, 20), 3, date(2026, 4, 1)),
        (date(2026, 7, 4), 1, date(2026, 7, 1)),
    ],
)
def test_audit_periods_start_every_few_months_from_january(day, months, start):
    assert sampling.audit_period_start(day, months) == start


def test_each_record_is_read_by_auditors_from_different_agencies():
    panel = {"police": ["p1", "p2"], "health": ["h1"], "social-work": ["s1", "s2", "s3"]}
    plan = sampling.assign_auditors(12, panel, 2, seed=5)
    agency = {person: name for name, people in panel.items() for person in people}
    assert all(len({agency[p] for p in readers}) == 2 for readers in plan)
    load = Counter(agency[p] for readers in plan for p in readers)
    assert max(load.values()) - min(load.values()) <= 1  # the agencies share the reading
    assert plan == sampling.assign_auditors(12, panel, 2, seed=5)


# --- Opening a round ----------------------------------------------------------------------------


@pytest.fixture
def panel(police_auditor, health, hub_reviewer):
    health_auditor = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=health))
    AuditPanelMember.objects.create(staff=health_auditor)
    AuditPanelMember.objects.create(staff=hub_reviewer)
    return [police_auditor, health_auditor, hub_reviewer]


@pytest.fixture
def referred(hub_settings, social_worker, police, health, education):
    """Children referred in January and February 2026 (the window of the March round) by three
    agencies, and one referred in March (outside it)."""
    made = []
    for number in range(9):
        source = [police, health, education][number % 3]
        received = datetime(2026, 1, 5, 10, tzinfo=LONDON) + timedelta(days=6 * number)
        made.append(
            make_referral(
                team=social_worker.team,
                received_by=social_worker,
                source_agency=source,
                received_at=received,
            )
        )
    make_referral(team=social_worker.team, received_at=datetime(2026, 3, 2, tzinfo=LONDON))
    return made


def test_a_round_opens_with_a_stratified_sample_it_can_draw_again(hub_settings, referred, panel):
    hub_settings.audit_sample_size = 6
    hub_settings.save()

    audit_round, created = services.audit_round_open(now=OPENING, seed=2026)

    assert created
    assert audit_round.period_start == date(2026, 3, 1)
    assert audit_round.records_from == datetime(2026, 1, 1, tzinfo=LONDON)
    assert audit_round.records_to == datetime(2026, 3, 1, tzinfo=LONDON)
    records = list(audit_round.records.select_related("referral", "source_agency"))
    assert len(records) == 6
    assert Counter(r.source_agency.code for r in records) == {
        "police": 2,
        "health": 2,
        "education": 2,
    }
    assert {r.referral for r in records} <= set(referred)
    assert services.audit_sample_reproduces(audit_round)
    again = services.audit_sample_draw(
        seed=2026, size=6, records_from=audit_round.records_from, records_to=audit_round.records_to
    )
    assert [(r.person_id, r.referral_id) for r in records] == [(p, r) for p, r, _ in again]


def test_a_round_opens_once_per_period(hub_settings, referred, panel):
    first, created = services.audit_round_open(now=OPENING)
    second, created_again = services.audit_round_open(now=OPENING + timedelta(days=20))
    assert created and not created_again
    assert first == second
    assert AuditRound.objects.count() == 1
    may, _ = services.audit_round_open(now=datetime(2026, 5, 2, tzinfo=LONDON))
    assert may.period_start == date(2026, 5, 1)


def test_beat_opens_the_current_round_once(hub_settings):
    tasks.open_due_audit_round()
    tasks.open_due_audit_round()
    assert AuditRound.objects.count() == 1


def test_auditors_are_assigned_with_deadlines_and_told(
    hub_settings, referred, panel, django_capture_on_commit_callbacks
):
    hub_settings.audit_sample_size = 6
    hub_settings.auditors_per_record = 2
    hub_settings.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        audit_round, _ = services.audit_round_open(now=OPENING)

    assignments = list(AuditAssignment.objects.select_related("auditor__agency", "deadline"))
    assert len(assignments) == 12
    for record in audit_round.records.all():
        agencies = {a.auditor.agency_id for a in assignments if a.record_id == record.pk}
        assert len(agencies) == 2
    assert {a.auditor for a in assignments} == set(panel)
    for assignment in assignments:
        assert assignment.deadline.timescale.kind == "audit_grading"
        assert assignment.deadline.owner == assignment.auditor
        subject = assignment.deadline
        assert (subject.subject_type, subject.subject_id) == (
            "hub_audit_assignment",
            str(assignment.pk),
        )
        assert subject.subject_label.endswith("of the practice audit of March 2026")
    assert audit_round.summary_deadline.timescale.kind == "audit_summary"
    summary = audit_round.summary_deadline
    assert (summary.subject_type, summary.subject_id) == ("hub_audit_round", str(audit_round.pk))
    assert summary.subject_label == "the practice audit of March 2026"
    told = Notification.objects.filter(title="Practice audit March 2026: records for you to grade")
    assert {n.recipient for n in told} == set(panel)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in panel)


def test_without_a_panel_the_quality_staff_read(
    hub_settings, referred, hub_reviewer, committee_member
):
    audit_round, _ = services.audit_round_open(now=OPENING)
    assert {a.auditor for a in AuditAssignment.objects.all()} == {hub_reviewer, committee_member}
    assert audit_round.records.exists()


# --- Grading and the learning summary -----------------------------------------------------------


def grades(audit_round, score=4):
    return {c.pk: services.Score(score, "") for c in audit_round.rubric.criteria.all()}


@pytest.fixture
def audit_round(hub_settings, referred, panel):
    hub_settings.audit_sample_size = 3
    hub_settings.save()
    return services.audit_round_open(now=OPENING)[0]


def test_an_auditor_grades_a_record(audit_round, police_auditor):
    assignment = AuditAssignment.objects.filter(auditor=police_auditor).first()

    services.audit_assignment_submit(
        assignment=assignment,
        auditor=police_auditor,
        grades=grades(audit_round, 5),
        findings="Chronology up to date.",
        learning_points="Record the child's words.",
    )

    assignment.refresh_from_db()
    assert assignment.state == AuditAssignment.State.SUBMITTED
    assert AuditGrade.objects.filter(assignment=assignment).count() == 8
    assert Deadline.objects.get(pk=assignment.deadline_id).state == Deadline.State.MET
    # Corrections until the round closes replace the grades.
    services.audit_assignment_submit(
        assignment=assignment,
        auditor=police_auditor,
        grades=grades(audit_round, 3),
        findings="Corrected.",
    )
    assert set(
        AuditGrade.objects.filter(assignment=assignment).values_list("score", flat=True)
    ) == {3}


def test_only_the_assigned_auditor_grades_and_findings_are_needed(
    audit_round, police_auditor, hub_reviewer
):
    assignment = AuditAssignment.objects.filter(auditor=police_auditor).first()
    with pytest.raises(NotPermitted):
        services.audit_assignment_submit(
            assignment=assignment, auditor=hub_reviewer, grades=grades(audit_round), findings="x"
        )
    with pytest.raises(AuditRefused):
        services.audit_assignment_submit(
            assignment=assignment, auditor=police_auditor, grades=grades(audit_round), findings=" "
        )
    assert not AuditGrade.objects.exists()


def test_the_learning_summary_goes_to_the_teams_concerned_and_closes_the_round(
    audit_round,
    police_auditor,
    committee_member,
    social_worker,
    team_manager,
    other_team_manager,
    django_capture_on_commit_callbacks,
):
    graded = AuditAssignment.objects.filter(auditor=police_auditor).first()
    services.audit_assignment_submit(
        assignment=graded, auditor=police_auditor, grades=grades(audit_round), findings="Fine."
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.audit_summary_send(
            audit_round=audit_round,
            sent_by=committee_member,
            summary="Chronologies improved; record children's views.",
        )

    audit_round.refresh_from_db()
    assert audit_round.state == AuditRound.State.CLOSED
    told = {
        n.recipient
        for n in Notification.objects.filter(title="Learning from Practice audit March 2026")
    }
    auditors = {a.auditor for a in AuditAssignment.objects.filter(record__round=audit_round)}
    assert told == {social_worker, team_manager} | auditors
    assert other_team_manager not in told
    assert len(mail.outbox) == len(told)
    ungraded = AuditAssignment.objects.exclude(pk=graded.pk)
    assert set(
        Deadline.objects.filter(pk__in=ungraded.values("deadline_id")).values_list(
            "state", flat=True
        )
    ) == {Deadline.State.CANCELLED}
    assert audit_round.summary_deadline.state == Deadline.State.MET
    with pytest.raises(AuditRefused):
        services.audit_summary_send(
            audit_round=audit_round, sent_by=committee_member, summary="Again"
        )
    with pytest.raises(AuditRefused):
        services.audit_assignment_submit(
            assignment=graded, auditor=police_auditor, grades=grades(audit_round), findings="Late."
        )


def test_only_the_committee_sends_the_summary_and_opens_rounds(audit_round, hub_reviewer):
    with pytest.raises(NotPermitted):
        services.audit_summary_send(audit_round=audit_round, sent_by=hub_reviewer, summary="x")
    with pytest.raises(NotPermitted):
        services.audit_round_open(opened_by=hub_reviewer)
