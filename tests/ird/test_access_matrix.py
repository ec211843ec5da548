"""G1 for ird/: every IRD route x method x role, against real IRDs in the state each action
needs, with the right relation (invited, chair, recorder, coordinator, not invited).

One world, built once for the module (inside a transaction rolled back at the end); each cell
runs in its own savepoint. A refused request changes nothing and writes exactly one "denied"
audit row; a page showing an IRD writes exactly one "view" (or "export") row; a permitted POST
does what it says. `test_every_ird_route_is_in_the_matrix` fails when a route has no row."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ird import core_group, cppm, services
from ird.models import (
    Addendum,
    Attendance,
    Circulation,
    CoreGroup,
    CoreGroupMeeting,
    CoreGroupMember,
    Cppm,
    DecisionCode,
    FollowUpItem,
    Ird,
    IrdAction,
    IrdChild,
    IrdDecision,
    PlanAction,
    ProcedureReview,
    ProcedureVersion,
    QualityReview,
    Registration,
    Revision,
)
from ird.reference_data import ensure_ird_reference_data
from referrals.models import (
    Agency,
    AuditEntry,
    ConcernCategory,
    CumulativeHarmRule,
    Relationship,
    Role,
    Timescale,
)
from referrals.reference_data import ensure_reference_data, ensure_timescales
from tests.conftest import SignedInClient
from tests.factories import AgencyFactory, PersonFactory, StaffFactory, TeamFactory, make_referral
from tests.ird.conftest import approve_child_protection, complete_record, plan
from tests.referrals.test_access_matrix import project_routes

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "chair",
    "recorder",
    "invited",
    "coordinator",
    "service_manager",
    "committee",
    "police_not_invited",
    "sw_not_invited",
    "tm_other",
    "hub_reviewer",
    "administrator",
)
INVITED = ("chair", "recorder", "invited")
COORDINATORS = ("coordinator", "service_manager")
READERS = tuple(
    role for role in ROLES if role not in {"anonymous", "hub_reviewer", "administrator"}
)


def statuses(default: int = 404, anonymous: int = 302, **by_role: int) -> dict[str, int]:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    expected = dict.fromkeys(ROLES, default)
    expected["anonymous"] = anonymous
    expected.update(by_role)
    return expected


def each(roles, status: int) -> dict[str, int]:
    return dict.fromkeys(roles, status)


# --- The world ----------------------------------------------------------------------------


@dataclass
class World:
    users: dict
    irds: dict  # state -> IRD id
    procedure_id: uuid.UUID
    sibling_child: dict = field(default_factory=dict)  # state -> IrdChild id
    cppms: dict = field(default_factory=dict)  # "scheduled" (its time has come), "held"
    core_groups: dict = field(default_factory=dict)  # "active": formed by a registering CPPM

    def ird(self, state: str) -> Ird:
        return Ird.objects.select_related("referral").get(pk=self.irds[state])


def _users() -> dict:
    social_work = AgencyFactory(code="social-work", name="Moray Council Social Work")
    police = AgencyFactory(code="police", name="Police Scotland")
    health = AgencyFactory(code="health", name="NHS Grampian")
    education = AgencyFactory(code="education", name="Moray Council Education")
    duty = TeamFactory(agency=social_work, name="Duty and intake team")
    other = TeamFactory(agency=social_work, name="Children and families (Forres)")

    def participant(agency, title):
        return StaffFactory(
            role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=agency), job_title=title
        )

    return {
        "chair": participant(police, "Detective sergeant"),
        "recorder": StaffFactory(role=Role.SOCIAL_WORKER, team=duty),
        "invited": participant(health, "Child protection nurse"),
        "education": participant(education, "Depute head teacher"),
        "coordinator": StaffFactory(role=Role.TEAM_MANAGER, team=duty),
        "service_manager": StaffFactory(role=Role.SERVICE_MANAGER, team=None, agency=social_work),
        "committee": StaffFactory(role=Role.COMMITTEE, team=None, agency=social_work),
        "police_not_invited": participant(police, "Constable"),
        "sw_not_invited": StaffFactory(role=Role.SOCIAL_WORKER, team=other),
        "tm_other": StaffFactory(role=Role.TEAM_MANAGER, team=other),
        "hub_reviewer": StaffFactory(role=Role.HUB_REVIEWER, team=None, agency=social_work),
        "administrator": StaffFactory(
            role=Role.ADMINISTRATOR, team=None, agency=social_work, is_staff=True, is_superuser=True
        ),
    }


def _ird_in_state(users: dict, state: str) -> tuple[Ird, IrdChild]:
    child = PersonFactory(first_name="Ava", last_name=f"Matrix{state}")
    sibling = PersonFactory(first_name="Leo", last_name=f"Matrix{state}")
    Relationship.objects.create(person=sibling, relative=child, kind=Relationship.Kind.SIBLING)
    referral = make_referral(
        team=users["coordinator"].team, received_by=users["recorder"], children=[child]
    )
    approve_child_protection(referral, users["recorder"], users["coordinator"])
    ird = Ird.objects.get(referral=referral)
    proposed = ird.children.get(person=sibling)
    if state == "requested":
        return ird, proposed
    ird = services.ird_schedule(
        ird=ird,
        by=users["coordinator"],
        plan=plan(
            chair=users["chair"],
            recorder=users["recorder"],
            participants=[users["invited"], users["education"]],
        ),
    )
    if state == "scheduled":
        return ird, proposed
    recorder = users["recorder"]
    ird = services.ird_start(ird=ird, by=recorder, reason="Bruising seen at nursery.")
    services.attendance_add(
        ird=ird,
        by=recorder,
        agency=users["invited"].agency,
        name="Nurse",
        role="Nurse",
        joined_at=timezone.now(),
    )
    services.action_add(
        ird=ird,
        by=recorder,
        description="Paediatric examination.",
        owner_agency=users["invited"].agency,
        owner=users["invited"],
        due_date=timezone.localdate() + timedelta(days=2),
    )
    if state == "in_progress":
        services.decision_add(
            ird=ird,
            by=recorder,
            code=DecisionCode.objects.get(code="joint_investigative_interview"),
            rationale="Disclosure.",
        )
        return ird, proposed
    services.child_decide(child=proposed, by=users["coordinator"], include=True)
    complete_record(ird, recorder=recorder, lead=recorder)
    ird = services.ird_conclude(ird=ird, by=recorder)
    if state == "concluded":
        return ird, proposed
    return services.ird_sign_off(ird=ird, by=users["chair"], confirmed=True), proposed


def _cppm_in_state(users: dict, state: str) -> Cppm:
    """A CPPM after a signed-off IRD: the coordinator chairs; the IRD's chair (police), the
    invited nurse and the recorder (social work) are invited. Its time has come."""
    ird, _ = _ird_in_state(users, "signed_off")
    meeting = cppm.cppm_schedule(
        referral=ird.referral,
        by=users["coordinator"],
        plan=cppm.CppmPlan(
            kind="initial",
            scheduled_for=timezone.now() + timedelta(days=7),
            chair=users["coordinator"],
            invitees=[users["chair"], users["invited"], users["recorder"]],
            place="Family centre",
        ),
    )
    Cppm.objects.filter(pk=meeting.pk).update(scheduled_for=timezone.now() - timedelta(hours=1))
    meeting.refresh_from_db()
    if state in {"held", "registered"}:
        registering = state == "registered"
        meeting = cppm.cppm_outcome_record(
            cppm=meeting,
            by=users["coordinator"],
            outcome=cppm.Outcome(
                quorate=True,
                held_at=meeting.scheduled_for,
                register=list(meeting.children.all()) if registering else [],
                categories=list(ConcernCategory.objects.filter(code="neglect"))
                if registering
                else [],
                lead_professional=users["recorder"] if registering else None,
                reporter_referral=False,
                reporter_note="Not needed.",
            ),
        )
    return meeting


def _core_group(users: dict) -> CoreGroup:
    """The group a registering CPPM formed: the recorder (social work) leads; the police
    officer (the IRD's chair) and the nurse are members; the coordinator chaired the CPPM.
    The plan has one action, owned by health."""
    meeting = _cppm_in_state(users, "registered")
    # The IRD took in the child's brother too: each registered child has a group; one will do.
    group = CoreGroup.objects.get(formed_at=meeting, registration__person__first_name="Ava")
    core_group.plan_action_add(
        group=group,
        by=users["recorder"],
        expected_version=group.version,
        description="Health visitor visits weekly.",
        owner_agency=users["invited"].agency,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    return group


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data(ConcernCategory, CumulativeHarmRule)
        ensure_timescales(Timescale)
        ensure_ird_reference_data()
        users = _users()
        irds, siblings = {}, {}
        for state in ("requested", "scheduled", "in_progress", "concluded", "signed_off"):
            ird, sibling = _ird_in_state(users, state)
            irds[state], siblings[state] = ird.pk, sibling.pk
        cppms = {state: _cppm_in_state(users, state).pk for state in ("scheduled", "held")}
        core_groups = {"active": _core_group(users).pk}
        procedure = services.procedure_start(
            by=users["committee"],
            title="IRD procedure",
            version="1.0",
            effective_from=timezone.localdate(),
            text="Convene, record, decide.",
        )
        yield World(
            users=users,
            irds=irds,
            procedure_id=procedure.pk,
            sibling_child=siblings,
            cppms=cppms,
            core_groups=core_groups,
        )
        transaction.set_rollback(True)


# --- Routes ---------------------------------------------------------------------------------


def _first_attendance(world, state):
    return Attendance.objects.filter(ird_id=world.irds[state]).first()


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def ird_args(world, state):
    return {"ird_id": world.irds[state]}


def _health_action(world, state):
    return IrdAction.objects.get(ird_id=world.irds[state], owner_agency__kind="health")


@dataclass(frozen=True)
class Route:
    """`cells` maps (state, method) to the status for each role; `kwargs` the URL arguments
    for a state; `body` a valid body for the permitted roles; `done` what success changed."""

    cells: dict
    kwargs: object = None
    body: object = None
    done: object = None
    audits_read: bool = False  # a 200 GET shows the IRD: one view row
    ird_record: bool = True  # a 404 is about a real IRD: one denied row
    # The record a 404 refused, when not an IRD: (world, state) -> (object_type, object_id).
    denied_as: object = None
    read_as: str = "ird"  # the object_type of a 200 GET's view row


def _schedule_body(world, state):
    ird, users = world.ird(state), world.users
    return {
        "version": ird.version,
        "scheduled_for": local(timezone.now() + timedelta(days=2)),
        "duration_minutes": "60",
        "chair": users["chair"].pk,
        "recorder": users["recorder"].pk,
        "participants": [users["invited"].pk, users["education"].pk],
        "dial_in": "0800 000 1111",
        "meeting_id": "1",
        "pin": "2",
    }


def _section_version(world, state):
    return world.ird(state).sections.get(key="discussion").version


MATRIX: dict[str, Route] = {
    "ird:list": Route(
        {(None, "GET"): statuses(200, hub_reviewer=403, administrator=403)}, ird_record=False
    ),
    "ird:detail": Route(
        {
            ("scheduled", "GET"): statuses(**each(INVITED + COORDINATORS, 200)),
            ("signed_off", "GET"): statuses(**each(INVITED + COORDINATORS + ("committee",), 200)),
        },
        kwargs=ird_args,
        audits_read=True,
    ),
    "ird:schedule": Route(
        {
            ("requested", "GET"): statuses(**each(COORDINATORS, 200)),
            ("requested", "POST"): statuses(**each(COORDINATORS, 302)),
            ("scheduled", "GET"): statuses(**each(INVITED, 403), **each(COORDINATORS, 200)),
        },
        kwargs=ird_args,
        body=_schedule_body,
        audits_read=True,
        done=lambda world, state: world.ird(state).status == Ird.Status.SCHEDULED,
    ),
    "ird:cancel": Route(
        {
            ("scheduled", "GET"): statuses(405),
            ("scheduled", "POST"): statuses(**each(INVITED, 403), **each(COORDINATORS, 302)),
        },
        kwargs=ird_args,
        body=lambda world, state: {
            "cancel-version": world.ird(state).version,
            "cancel-reason": "The family moved away.",
        },
        done=lambda world, state: world.ird(state).status == Ird.Status.CANCELLED,
    ),
    "ird:child": Route(
        {
            ("scheduled", "GET"): statuses(405),
            ("scheduled", "POST"): statuses(**each(INVITED, 403), **each(COORDINATORS, 302)),
        },
        kwargs=lambda world, state: {
            "ird_id": world.irds[state],
            "child_id": world.sibling_child[state],
        },
        body=lambda world, state: {
            f"child-{world.sibling_child[state]}-version": world.ird(state).version,
            f"child-{world.sibling_child[state]}-include": "no",
            f"child-{world.sibling_child[state]}-reason": "Lives with the other parent.",
        },
        done=lambda world, state: (
            IrdChild.objects.get(pk=world.sibling_child[state]).included is False
        ),
    ),
    "ird:start": Route(
        {
            ("scheduled", "GET"): statuses(405),
            ("scheduled", "POST"): statuses(
                chair=302, recorder=302, invited=403, **each(COORDINATORS, 403)
            ),
        },
        kwargs=ird_args,
        body=lambda world, state: {
            "start-version": world.ird(state).version,
            "start-reason": "Injury seen at nursery.",
        },
        done=lambda world, state: world.ird(state).status == Ird.Status.IN_PROGRESS,
    ),
    "ird:calendar": Route(
        {
            ("scheduled", "GET"): statuses(**each(INVITED, 200), **each(COORDINATORS, 403)),
        },
        kwargs=ird_args,
    ),
    "ird:record": Route(
        {
            ("in_progress", "GET"): statuses(**each(INVITED, 200), **each(COORDINATORS, 403)),
            ("signed_off", "GET"): statuses(
                **each(INVITED, 200), **each(COORDINATORS, 403), committee=200
            ),
        },
        kwargs=ird_args,
        audits_read=True,
    ),
    "ird:live": Route(
        {
            ("in_progress", "GET"): statuses(**each(INVITED, 200), **each(COORDINATORS, 403)),
        },
        kwargs=ird_args,
        audits_read=True,
    ),
    "ird:section": Route(
        {
            ("in_progress", "GET"): statuses(405),
            ("in_progress", "POST"): statuses(
                recorder=302, chair=403, invited=403, **each(COORDINATORS, 403)
            ),
            # After sign-off even the recorder is refused: the record is locked (409).
            ("signed_off", "POST"): statuses(
                recorder=409, chair=403, invited=403, **each(COORDINATORS, 403), committee=403
            ),
        },
        kwargs=lambda world, state: {"ird_id": world.irds[state], "key": "discussion"},
        body=lambda world, state: {
            "text": "Police shared the 2019 conviction.",
            "version": _section_version(world, state),
        },
        done=lambda world, state: (
            world.ird(state).sections.get(key="discussion").text.startswith("Police shared")
        ),
    ),
}

RECORDER_ONLY = {
    ("in_progress", "GET"): statuses(405),
    ("in_progress", "POST"): statuses(
        recorder=302, chair=403, invited=403, **each(COORDINATORS, 403)
    ),
}
MATRIX.update(
    {
        "ird:attendance": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {
                "attendance-person": world.users["chair"].pk,
                "attendance-joined_at": local(timezone.now()),
            },
            done=lambda world, state: Attendance.objects.filter(
                ird_id=world.irds[state], staff=world.users["chair"]
            ).exists(),
        ),
        "ird:attendance_left": Route(
            RECORDER_ONLY,
            kwargs=lambda world, state: {
                "ird_id": world.irds[state],
                "attendance_id": Attendance.objects.filter(ird_id=world.irds[state]).first().pk,
            },
            body=lambda world, state: {
                f"left-{_first_attendance(world, state).pk}-left_at": local(
                    timezone.now() + timedelta(minutes=1)
                )
            },
            done=lambda world, state: Attendance.objects.filter(
                ird_id=world.irds[state], left_at__isnull=False
            ).exists(),
        ),
        "ird:absence": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {
                "absence-agency_kind": "police",
                "absence-reason": "Officer called to an emergency.",
            },
            done=lambda world, state: world.ird(state).absence_reasons.exists(),
        ),
        "ird:initial_discussion": Route(
            {
                ("requested", "GET"): statuses(405),
                ("requested", "POST"): statuses(**each(COORDINATORS, 302)),
                ("scheduled", "POST"): statuses(**each(INVITED + COORDINATORS, 302)),
                ("signed_off", "POST"): statuses(
                    **each(INVITED + COORDINATORS + ("committee",), 403)
                ),
            },
            kwargs=ird_args,
            body=lambda world, state: {
                "initial-held_at": local(timezone.now() - timedelta(minutes=30)),
                "initial-summary": "Child to stay with the grandmother overnight.",
            },
            done=lambda world, state: world.ird(state).initial_discussion_at is not None,
        ),
        "ird:repeat": Route(
            {
                ("signed_off", "GET"): statuses(405),
                ("signed_off", "POST"): statuses(
                    **each(INVITED + COORDINATORS, 302), committee=403
                ),
                ("concluded", "POST"): statuses(**each(INVITED + COORDINATORS, 403)),
            },
            kwargs=ird_args,
            body=lambda world, state: {"repeat-reason": "A further disclosure at school."},
            done=lambda world, state: Ird.objects.filter(previous_id=world.irds[state]).exists(),
        ),
        # The committee reads only audit samples (need to know): the referral is 404 to it.
        "ird:convene": Route(
            {
                ("requested", "GET"): statuses(
                    **each(("recorder", "sw_not_invited", "tm_other") + COORDINATORS, 200),
                    committee=404,
                    hub_reviewer=403,
                ),
                ("signed_off", "POST"): statuses(
                    **each(("recorder", "sw_not_invited", "tm_other") + COORDINATORS, 302),
                    committee=404,
                    hub_reviewer=403,
                ),
            },
            ird_record=False,
            kwargs=lambda world, state: {"referral_id": world.ird(state).referral_id},
            body=lambda world, state: {"convene-reason": "The child disclosed again today."},
            done=lambda world, state: Ird.objects.filter(
                referral_id=world.ird(state).referral_id, route=Ird.Route.AGENCY_REQUEST
            ).exists(),
        ),
        "ird:details": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {
                "details-mode": "video",
                "details-chronology_considered": "on",
            },
            done=lambda world, state: world.ird(state).mode == "video",
        ),
        "ird:lead": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {"lead-lead": world.users["recorder"].pk},
            done=lambda world, state: world.ird(state).lead_professional_id is not None,
        ),
        "ird:decision": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {
                "decision-code": DecisionCode.objects.get(code="medical_examination").pk,
                "decision-rationale": "Injury needs examining.",
            },
            done=lambda world, state: (
                world.ird(state).decisions.filter(code__code="medical_examination").exists()
            ),
        ),
        "ird:decision_remove": Route(
            RECORDER_ONLY,
            kwargs=lambda world, state: {
                "ird_id": world.irds[state],
                "decision_id": IrdDecision.objects.filter(ird_id=world.irds[state]).first().pk,
            },
            done=lambda world, state: not world.ird(state).decisions.exists(),
        ),
        "ird:action_add": Route(
            RECORDER_ONLY,
            kwargs=ird_args,
            body=lambda world, state: {
                "action-description": "School to share attendance records.",
                "action-owner_agency": Agency.objects.get(kind="education").pk,
                "action-due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            },
            done=lambda world, state: (
                world.ird(state).actions.filter(owner_agency__kind="education").exists()
            ),
        ),
        "ird:conclude": Route(
            {
                ("in_progress", "GET"): statuses(405),
                ("in_progress", "POST"): statuses(
                    chair=302, recorder=302, invited=403, **each(COORDINATORS, 403)
                ),
            },
            kwargs=ird_args,
            body=lambda world, state: {"version": world.ird(state).version},
            done=lambda world, state: world.ird(state).status == Ird.Status.CONCLUDED,
        ),
        "ird:sign_off": Route(
            {
                ("concluded", "GET"): statuses(405),
                ("concluded", "POST"): statuses(
                    chair=302, recorder=403, invited=403, **each(COORDINATORS, 403)
                ),
            },
            kwargs=ird_args,
            body=lambda world, state: {"version": world.ird(state).version, "confirm": "on"},
            done=lambda world, state: world.ird(state).status == Ird.Status.SIGNED_OFF,
        ),
        "ird:addendum": Route(
            {
                ("signed_off", "GET"): statuses(405),
                ("signed_off", "POST"): statuses(
                    **each(INVITED, 302), **each(COORDINATORS, 403), committee=403
                ),
            },
            kwargs=ird_args,
            body=lambda world, state: {
                "addendum-reason": "Medical result came in.",
                "addendum-text": "No fracture.",
            },
            done=lambda world, state: Addendum.objects.filter(ird_id=world.irds[state]).exists(),
        ),
        "ird:circulate": Route(
            {
                ("signed_off", "GET"): statuses(405),
                ("signed_off", "POST"): statuses(
                    chair=302, recorder=302, invited=403, **each(COORDINATORS, 403), committee=403
                ),
            },
            kwargs=ird_args,
            body=lambda world, state: {"circulate-recipients": [world.users["invited"].pk]},
            done=lambda world, state: Circulation.objects.filter(ird_id=world.irds[state]).exists(),
        ),
        "ird:print": Route(
            {
                ("signed_off", "GET"): statuses(
                    **each(INVITED, 200), **each(COORDINATORS, 403), committee=200
                ),
            },
            kwargs=ird_args,
            audits_read=True,
        ),
        "ird:revisions": Route(
            {
                ("signed_off", "GET"): statuses(
                    **each(INVITED, 200), **each(COORDINATORS, 403), committee=200
                ),
            },
            kwargs=ird_args,
            audits_read=True,
        ),
        # The health action: health (invited) and the chair update it; social work may not.
        "ird:action": Route(
            {
                ("signed_off", "GET"): statuses(
                    invited=200, chair=200, recorder=403, **each(COORDINATORS, 403), committee=403
                ),
                ("signed_off", "POST"): statuses(
                    invited=302, chair=302, recorder=403, **each(COORDINATORS, 403), committee=403
                ),
            },
            kwargs=lambda world, state: {
                "ird_id": world.irds[state],
                "action_id": _health_action(world, state).pk,
            },
            body=lambda world, state: {
                "version": _health_action(world, state).version,
                "status": "done",
                "completion_note": "Examined.",
            },
            audits_read=True,
            done=lambda world, state: _health_action(world, state).status == "done",
        ),
        "ird:follow_up": Route(
            {
                ("signed_off", "GET"): statuses(405),
                ("signed_off", "POST"): statuses(
                    chair=302, recorder=302, invited=403, **each(COORDINATORS, 302), committee=403
                ),
            },
            kwargs=lambda world, state: {
                "ird_id": world.irds[state],
                "item_id": FollowUpItem.objects.filter(ird_id=world.irds[state]).first().pk,
            },
            done=lambda world, state: FollowUpItem.objects.filter(
                ird_id=world.irds[state], done_at__isnull=False
            ).exists(),
        ),
        "ird:quality": Route(
            {
                ("signed_off", "GET"): statuses(committee=200, **each(INVITED + COORDINATORS, 403)),
                ("signed_off", "POST"): statuses(
                    committee=302, **each(INVITED + COORDINATORS, 403)
                ),
            },
            kwargs=ird_args,
            audits_read=True,
            body=lambda world, state: {
                "timeliness": "5",
                "attendance": "4",
                "completeness": "5",
                "rationale": "4",
            },
            done=lambda world, state: QualityReview.objects.filter(
                ird_id=world.irds[state]
            ).exists(),
        ),
        # The procedure pages: read by everyone who takes part; changed by the committee only.
        "ird:procedures": Route(
            {
                (None, "GET"): statuses(200, hub_reviewer=403, administrator=403),
                (None, "POST"): statuses(403, committee=302),
            },
            ird_record=False,
            body=lambda world, state: {
                "title": "IRD procedure",
                "version": "1.1",
                "effective_from": timezone.localdate().isoformat(),
                "trial_months": "3",
                "text": "Revised.",
            },
            done=lambda world, state: ProcedureVersion.objects.filter(version="1.1").exists(),
        ),
        "ird:procedure_detail": Route(
            {
                (None, "GET"): statuses(200, hub_reviewer=403, administrator=403),
            },
            ird_record=False,
            kwargs=lambda world, state: {"procedure_id": world.procedure_id},
        ),
        "ird:procedure_review": Route(
            {
                (None, "GET"): statuses(405),
                (None, "POST"): statuses(403, committee=302),
            },
            ird_record=False,
            kwargs=lambda world, state: {"procedure_id": world.procedure_id},
            body=lambda world, state: {
                "review-outcome": "adopt",
                "review-notes": "Worked well in the trial.",
            },
            done=lambda world, state: ProcedureReview.objects.exists(),
        ),
    }
)

# --- Child protection planning meetings and the register ------------------------------------

CPPM_INVITED = ("chair", "recorder", "invited", "coordinator")  # the coordinator chairs
SOCIAL_WORK_NOT_MANAGING = ("recorder", "sw_not_invited", "tm_other", "hub_reviewer")


def cppm_args(world, state):
    return {"cppm_id": world.cppms[state]}


def cppm_referral(world, state) -> dict:
    return {"referral_id": Cppm.objects.get(pk=world.cppms[state]).referral_id}


def _denied_referral(world, state):
    return ("referral", str(cppm_referral(world, state)["referral_id"]))


def _denied_cppm(world, state):
    return ("cppm", str(world.cppms[state]))


def _cppm_schedule_body(world, state):
    users = world.users
    return {
        "kind": "initial",
        "scheduled_for": local(timezone.now() + timedelta(days=7)),
        "duration_minutes": "90",
        "place": "Family centre",
        "chair": users["coordinator"].pk,
        "invitees": [users["chair"].pk, users["invited"].pk, users["recorder"].pk],
    }


def _temporary_body(world, state):
    child = Cppm.objects.get(pk=world.cppms[state]).referral.children.get()
    return {
        "child": child.pk,
        "from_authority": "Highland Council",
        "registered_on": timezone.localdate().isoformat(),
        "categories": [ConcernCategory.objects.get(code="neglect").pk],
        "moved_here": "on",
    }


MATRIX.update(
    {
        "ird:cppm_new": Route(
            {
                ("scheduled", "GET"): statuses(
                    **each(COORDINATORS, 200), **each(SOCIAL_WORK_NOT_MANAGING, 403)
                ),
                ("scheduled", "POST"): statuses(
                    **each(COORDINATORS, 302), **each(SOCIAL_WORK_NOT_MANAGING, 403)
                ),
            },
            kwargs=cppm_referral,
            body=_cppm_schedule_body,
            denied_as=_denied_referral,
            done=lambda world, state: Cppm.objects.count() > 2,
        ),
        "ird:register_temporary": Route(
            {
                ("scheduled", "GET"): statuses(
                    **each(COORDINATORS, 200), **each(SOCIAL_WORK_NOT_MANAGING, 403)
                ),
                ("scheduled", "POST"): statuses(
                    **each(COORDINATORS, 302), **each(SOCIAL_WORK_NOT_MANAGING, 403)
                ),
            },
            kwargs=cppm_referral,
            body=_temporary_body,
            denied_as=_denied_referral,
            done=lambda world, state: Registration.objects.filter(temporary=True).exists(),
        ),
        "ird:cppm_detail": Route(
            {("scheduled", "GET"): statuses(**each(CPPM_INVITED + COORDINATORS, 200))},
            kwargs=cppm_args,
            audits_read=True,
            read_as="cppm",
            denied_as=_denied_cppm,
        ),
        "ird:cppm_calendar": Route(
            {("scheduled", "GET"): statuses(**each(CPPM_INVITED, 200), service_manager=403)},
            kwargs=cppm_args,
            audits_read=True,
            read_as="cppm",
            denied_as=_denied_cppm,
        ),
        "ird:cppm_outcome": Route(
            {
                ("scheduled", "GET"): statuses(405),
                ("scheduled", "POST"): statuses(
                    **each(CPPM_INVITED + COORDINATORS, 403) | {"coordinator": 302}
                ),
            },
            kwargs=cppm_args,
            body=lambda world, state: {
                "outcome-version": Cppm.objects.get(pk=world.cppms[state]).version,
                "outcome-quorate": "no",
                "outcome-held_at": local(Cppm.objects.get(pk=world.cppms[state]).scheduled_for),
            },
            denied_as=_denied_cppm,
            done=lambda world, state: (
                Cppm.objects.get(pk=world.cppms[state]).status == Cppm.Status.INQUORATE
            ),
        ),
        "ird:cppm_record": Route(
            {
                ("held", "GET"): statuses(405),
                ("held", "POST"): statuses(**each(CPPM_INVITED, 403) | each(COORDINATORS, 302)),
            },
            kwargs=cppm_args,
            body=lambda world, state: {
                "record-text": "The agencies agreed the plan.",
                "record-based_on": Cppm.objects.get(pk=world.cppms[state]).version,
            },
            denied_as=_denied_cppm,
            done=lambda world, state: bool(Cppm.objects.get(pk=world.cppms[state]).record),
        ),
        # Who may schedule a CPPM moves or cancels it; the invited may not (403).
        "ird:cppm_reschedule": Route(
            {
                ("scheduled", "GET"): statuses(405),
                ("scheduled", "POST"): statuses(
                    **each(CPPM_INVITED, 403) | each(COORDINATORS, 302)
                ),
            },
            kwargs=cppm_args,
            body=lambda world, state: {
                "reschedule-version": Cppm.objects.get(pk=world.cppms[state]).version,
                "reschedule-scheduled_for": local(timezone.now() + timedelta(days=8)),
                "reschedule-reason": "The police officer is in court.",
            },
            denied_as=_denied_cppm,
            done=lambda world, state: (
                Cppm.objects.get(pk=world.cppms[state]).calendar_sequence == 1
            ),
        ),
        "ird:cppm_cancel": Route(
            {
                ("scheduled", "GET"): statuses(405),
                ("scheduled", "POST"): statuses(
                    **each(CPPM_INVITED, 403) | each(COORDINATORS, 302)
                ),
            },
            kwargs=cppm_args,
            body=lambda world, state: {
                "cancel-version": Cppm.objects.get(pk=world.cppms[state]).version,
                "cancel-reason": "The family have moved away.",
            },
            denied_as=_denied_cppm,
            done=lambda world, state: (
                Cppm.objects.get(pk=world.cppms[state]).status == Cppm.Status.CANCELLED
            ),
        ),
        "ird:cppms_due": Route(
            {(None, "GET"): statuses(403, **each(COORDINATORS + ("tm_other",), 200))},
            ird_record=False,
        ),
        "ird:register": Route(
            {
                (None, "GET"): statuses(403, **each(COORDINATORS + ("committee", "tm_other"), 200)),
            },
            ird_record=False,
        ),
    }
)

# --- The core group and the child's plan; the committee's statistics -------------------------

GROUP_MEMBERS = ("chair", "invited")  # police and health practitioners, members of the group
GROUP_MANAGERS = ("recorder",) + COORDINATORS  # the lead professional and the coordinators


def group_args(world, state):
    return {"group_id": world.core_groups[state]}


def _group(world, state) -> CoreGroup:
    return CoreGroup.objects.get(pk=world.core_groups[state])


def _denied_group(world, state):
    return ("core_group", str(world.core_groups[state]))


def _plan_action(world, state) -> PlanAction:
    return PlanAction.objects.get(core_group_id=world.core_groups[state])


def _meeting_body(world, state):
    group = _group(world, state)
    return {
        "meeting-version": group.version,
        "meeting-held_on": timezone.localdate().isoformat(),
        "meeting-attended": [str(pk) for pk in group.members.values_list("pk", flat=True)],
        "meeting-notes": "The plan was reviewed.",
        "meeting-next_meeting_on": (timezone.localdate() + timedelta(days=28)).isoformat(),
    }


GROUP_CHANGE = {
    ("active", "GET"): statuses(405),
    ("active", "POST"): statuses(**each(GROUP_MEMBERS, 403), **each(GROUP_MANAGERS, 302)),
}
MATRIX.update(
    {
        "ird:core_group": Route(
            {("active", "GET"): statuses(**each(GROUP_MEMBERS + GROUP_MANAGERS, 200))},
            kwargs=group_args,
            audits_read=True,
            read_as="core_group",
            denied_as=_denied_group,
        ),
        "ird:core_group_meeting": Route(
            GROUP_CHANGE,
            kwargs=group_args,
            body=_meeting_body,
            denied_as=_denied_group,
            done=lambda world, state: CoreGroupMeeting.objects.filter(
                core_group_id=world.core_groups[state]
            ).exists(),
        ),
        "ird:core_group_member": Route(
            GROUP_CHANGE,
            kwargs=group_args,
            body=lambda world, state: {
                "member-version": _group(world, state).version,
                "member-name": "Kim Matrix",
                "member-role": "Mother",
            },
            denied_as=_denied_group,
            done=lambda world, state: CoreGroupMember.objects.filter(name="Kim Matrix").exists(),
        ),
        "ird:core_group_member_leave": Route(
            GROUP_CHANGE,
            kwargs=group_args,
            body=lambda world, state: {
                "leave-version": _group(world, state).version,
                "leave-member": CoreGroupMember.objects.get(
                    core_group_id=world.core_groups[state], staff=world.users["invited"]
                ).pk,
                "leave-reason": "The nurse has moved to another practice.",
            },
            denied_as=_denied_group,
            done=lambda world, state: CoreGroupMember.objects.filter(
                core_group_id=world.core_groups[state], left_at__isnull=False
            ).exists(),
        ),
        "ird:plan_action_add": Route(
            GROUP_CHANGE,
            kwargs=group_args,
            body=lambda world, state: {
                "action-version": _group(world, state).version,
                "action-description": "School shares attendance weekly.",
                "action-owner_agency": Agency.objects.get(kind="education").pk,
                "action-due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
            },
            denied_as=_denied_group,
            done=lambda world, state: (
                PlanAction.objects.filter(core_group_id=world.core_groups[state]).count() == 2
            ),
        ),
        # The health action: health (a member of the owning agency), the lead professional and
        # the coordinators update it; the police member may not.
        "ird:plan_action": Route(
            {
                ("active", "GET"): statuses(405),
                ("active", "POST"): statuses(chair=403, invited=302, **each(GROUP_MANAGERS, 302)),
            },
            kwargs=lambda world, state: {
                "group_id": world.core_groups[state],
                "action_id": _plan_action(world, state).pk,
            },
            body=lambda world, state: {
                f"update-{_plan_action(world, state).pk}-version": _group(world, state).version,
                f"update-{_plan_action(world, state).pk}-status": "done",
                f"update-{_plan_action(world, state).pk}-note": "Visited.",
            },
            denied_as=_denied_group,
            done=lambda world, state: _plan_action(world, state).status == "done",
        ),
        "ird:statistics": Route(
            {(None, "GET"): statuses(403, committee=200, service_manager=200)}, ird_record=False
        ),
        "ird:statistics_csv": Route(
            {(None, "GET"): statuses(403, committee=200, service_manager=200)}, ird_record=False
        ),
    }
)

CELLS = [
    pytest.param(name, state, method, role, status, id=f"{name}-{state}-{method}-{role}")
    for name, route in MATRIX.items()
    for (state, method), by_role in route.cells.items()
    for role, status in by_role.items()
]


def snapshot() -> dict:
    return {
        "irds": sorted(
            (str(pk), status, version, record_version)
            for pk, status, version, record_version in Ird.objects.values_list(
                "pk", "status", "version", "record_version"
            )
        ),
        "revisions": Revision.objects.count(),
        "actions": sorted(IrdAction.objects.values_list("status", "version")),
        "children": sorted(str(c) for c in IrdChild.objects.values_list("included", flat=True)),
        "follow_up": FollowUpItem.objects.filter(done_at__isnull=False).count(),
        "addenda": Addendum.objects.count(),
        "circulation": Circulation.objects.count(),
        "reviews": QualityReview.objects.count(),
        "procedures": sorted(ProcedureVersion.objects.values_list("version", "status")),
        "procedure_reviews": ProcedureReview.objects.count(),
        "core_groups": sorted(CoreGroup.objects.values_list("version", "status")),
        "core_group_members": CoreGroupMember.objects.count(),
        "core_group_meetings": CoreGroupMeeting.objects.count(),
        "plan_actions": sorted(PlanAction.objects.values_list("status", "due_date")),
    }


def last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- Tests ----------------------------------------------------------------------------------


def test_every_ird_route_is_in_the_matrix():
    routes = {name for name in project_routes() if name.startswith("ird:")}
    assert routes - set(MATRIX) == set(), "IRD routes with no row in the matrix"
    assert set(MATRIX) - routes == set(), "matrix rows for routes that no longer exist"


def test_every_row_names_every_role():
    for name, route in MATRIX.items():
        for cell, by_role in route.cells.items():
            assert set(by_role) == set(ROLES), (name, cell)


@pytest.mark.parametrize(("name", "state", "method", "role", "expected"), CELLS)
def test_access(world, name, state, method, role, expected):
    route = MATRIX[name]
    url = reverse(name, kwargs=route.kwargs(world, state) if route.kwargs else None)
    client = SignedInClient()
    user = None if role == "anonymous" else world.users[role]
    if user is not None:
        client.force_login(user)
    before, mark = snapshot(), last_audit_id()

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, route.body(world, state) if route.body else {})

    assert response.status_code == expected, response.content.decode()[:800]
    rows = list(
        AuditEntry.objects.filter(id__gt=mark).values_list("action", "object_type", "object_id")
    )
    refused = expected in {403, 404, 405, 409} or (user is None and expected == 302)
    if refused or method == "GET":
        assert snapshot() == before, "a refused or GET request changed something"
    if user is None:
        assert rows == []
    elif expected == 404 and route.denied_as is not None:
        assert rows == [("denied", *route.denied_as(world, state))]
    elif expected == 404 and route.ird_record:
        assert rows == [("denied", "ird", str(world.irds[state]))]
    elif expected == 403:
        assert [row[0] for row in rows] == ["denied"]
    elif method == "GET" and expected == 200 and route.audits_read:
        assert len(rows) == 1 and rows[0][1] == route.read_as, rows
        assert rows[0][0] in {"view", "export"}
    if method == "POST" and not refused and route.done is not None:
        assert route.done(world, state), "the permitted action did not happen"


def test_an_unknown_ird_is_404_for_everyone_and_writes_no_denied_row(world):
    client = SignedInClient()
    client.force_login(world.users["service_manager"])
    mark = last_audit_id()
    assert client.get(reverse("ird:detail", args=[uuid.uuid4()])).status_code == 404
    assert not AuditEntry.objects.filter(id__gt=mark).exists()


def test_hidden_and_missing_irds_look_the_same(world):
    client = SignedInClient()
    client.force_login(world.users["police_not_invited"])
    hidden = client.get(reverse("ird:detail", args=[world.irds["scheduled"]]))
    missing = client.get(reverse("ird:detail", args=[uuid.uuid4()]))
    assert hidden.status_code == missing.status_code == 404

    def main(response):
        return response.content.split(b"<main")[1].split(b"</main>")[0]

    assert main(hidden) == main(missing)
