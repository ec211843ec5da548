"""G1 for the practice hub: every hub route x method x role -> the expected status.

Each case names the state the world must be in (a review queued, claimed or submitted; an
audit round open, or closed with its learning summary), a valid body for POST and what a
successful POST changes. A refused request changes nothing; a record outside one's scope is
404 and leaves one "denied" audit row. `test_every_hub_route_has_cases` fails when a route is
added to hub/urls.py without a case here (tests/referrals/test_access_matrix.py leaves the
hub's routes to this file)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from hub import sampling, services
from hub.models import (
    AuditAssignment,
    AuditGrade,
    AuditPanelMember,
    AuditRound,
    HubSettings,
    Review,
    ReviewClaim,
)
from referrals.models import AuditEntry, ReferralFeedback, Role
from tests.factories import StaffFactory, make_referral
from tests.hub.conftest import referral_review, review_and_submit

pytestmark = pytest.mark.django_db

ROLE_FIXTURES = {
    "anonymous": None,
    "sw_own": "social_worker",  # received the referral
    "sw_other": "other_social_worker",
    "tm_own": "team_manager",
    "tm_other": "other_team_manager",
    "service_manager": "service_manager",
    "hub_reviewer": "hub_reviewer",  # holds the review when it is claimed
    "other_reviewer": "other_reviewer",
    "committee_member": "committee_member",
    "police_participant": "police_auditor",  # an auditor of the round
    "health_participant": "health_participant",  # on no panel
    "administrator": "administrator",
}
ROLES = tuple(ROLE_FIXTURES)
SOCIAL_WORK = ("sw_own", "sw_other", "tm_own", "tm_other", "service_manager")
REVIEWERS = ("hub_reviewer", "other_reviewer")
OUTSIDERS = ("police_participant", "health_participant", "administrator")


@pytest.fixture
def other_social_worker(other_team):
    return StaffFactory(role=Role.SOCIAL_WORKER, team=other_team)


def statuses(
    *,
    social_work: int,
    reviewers: int,
    committee: int,
    outsiders: int,
    anonymous: int = 302,
    **by_role: int,
) -> dict[str, int]:
    expected = {"anonymous": anonymous, "committee_member": committee}
    expected.update(dict.fromkeys(SOCIAL_WORK, social_work))
    expected.update(dict.fromkeys(REVIEWERS, reviewers))
    expected.update(dict.fromkeys(OUTSIDERS, outsiders))
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    expected.update(by_role)
    return expected


# --- The world ----------------------------------------------------------------------------------


@dataclass
class World:
    review: Review
    audit_round: AuditRound | None = None
    assignment: AuditAssignment | None = None


def build_world(request, state: str) -> World:
    settings = request.getfixturevalue("hub_settings")
    social_worker = request.getfixturevalue("social_worker")
    reviewer = request.getfixturevalue("hub_reviewer")
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    review = referral_review(referral)
    if state == "claimed":
        services.review_claim(review=review, reviewer=reviewer)
    elif state == "submitted":
        review_and_submit(review, reviewer)
    world = World(review=Review.objects.get(pk=review.pk))
    if state in {"audit", "learned"}:
        auditor = request.getfixturevalue("police_auditor")
        AuditPanelMember.objects.filter(staff=reviewer).delete()
        settings.auditors_per_record = 1
        settings.save()
        # The period after this one samples the children referred in this one.
        nxt = sampling.months_before(
            sampling.audit_period_start(timezone.localdate(), settings.audit_every_months),
            -settings.audit_every_months,
        )
        opening = timezone.make_aware(datetime.combine(nxt, time(9)))
        world.audit_round, _ = services.audit_round_open(now=opening)
        world.assignment = AuditAssignment.objects.get(auditor=auditor)
        if state == "learned":
            services.audit_summary_send(
                audit_round=world.audit_round,
                sent_by=request.getfixturevalue("committee_member"),
                summary="Record the child's words.",
            )
    return world


def review_body(world: World) -> dict:
    rubric = world.review.rubric
    body = {f"score_{c.pk}": "4" for c in rubric.criteria.all()}
    body.update({"overall": "4", "overall_comment": "Good."})
    return body


def grade_body(world: World) -> dict:
    body = {f"score_{c.pk}": "5" for c in world.audit_round.rubric.criteria.all()}
    body["findings"] = "A clear chronology."
    return body


def review_kwargs(world):
    return {"review_id": world.review.pk}


def round_kwargs(world):
    return {"round_id": world.audit_round.pk}


def assignment_kwargs(world):
    return {"assignment_id": world.assignment.pk}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    expected: dict[str, int]
    state: str = "queued"
    kwargs: Callable[[World], dict] | None = None
    body: Callable[[World], dict] = field(default=lambda world: {})
    done: Callable[[World], bool] | None = None
    record: Callable[[World], tuple[str, str]] | None = None  # audited when refused with 404
    accepts: frozenset[str] = frozenset({"GET"})

    def url(self, world: World) -> str:
        return reverse(self.name, kwargs=self.kwargs(world) if self.kwargs else None)


def _review_record(world):
    return ("review", str(world.review.pk))


def _round_record(world):
    return ("auditround", str(world.audit_round.pk))


def _assignment_record(world):
    return ("auditassignment", str(world.assignment.pk))


def _review_state(world) -> str:
    return Review.objects.get(pk=world.review.pk).state


CASES = [
    Case(
        "hub:queue", "GET", statuses(social_work=403, reviewers=200, committee=403, outsiders=403)
    ),
    Case(
        "hub:review",
        "GET",
        statuses(social_work=404, reviewers=200, committee=200, outsiders=404),
        kwargs=review_kwargs,
        record=_review_record,
        accepts=frozenset({"GET", "POST"}),
    ),
    Case(
        "hub:review",
        "GET",
        statuses(social_work=200, reviewers=200, committee=200, outsiders=404),
        state="submitted",
        kwargs=review_kwargs,
        record=_review_record,
        accepts=frozenset({"GET", "POST"}),
    ),
    Case(
        "hub:review",
        "POST",
        statuses(social_work=404, reviewers=409, committee=403, outsiders=404, hub_reviewer=302),
        state="claimed",
        kwargs=review_kwargs,
        body=review_body,
        record=_review_record,
        done=lambda world: _review_state(world) == Review.State.SUBMITTED,
        accepts=frozenset({"GET", "POST"}),
    ),
    Case(
        "hub:review_claim",
        "POST",
        statuses(social_work=404, reviewers=302, committee=403, outsiders=404),
        kwargs=review_kwargs,
        record=_review_record,
        accepts=frozenset({"POST"}),
        done=lambda world: ReviewClaim.objects.filter(review=world.review, state="active").exists(),
    ),
    Case(
        "hub:review_claim",
        "GET",
        statuses(social_work=405, reviewers=405, committee=405, outsiders=405),
        kwargs=review_kwargs,
        accepts=frozenset({"POST"}),
    ),
    Case(
        "hub:review_release",
        "POST",
        statuses(social_work=404, reviewers=409, committee=403, outsiders=404, hub_reviewer=302),
        state="claimed",
        kwargs=review_kwargs,
        record=_review_record,
        accepts=frozenset({"POST"}),
        done=lambda world: not ReviewClaim.objects.filter(state="active").exists(),
    ),
    Case(
        "hub:review_release",
        "GET",
        statuses(social_work=405, reviewers=405, committee=405, outsiders=405),
        state="claimed",
        kwargs=review_kwargs,
        accepts=frozenset({"POST"}),
    ),
    Case(
        "hub:team_feedback",
        "GET",
        statuses(
            social_work=200, reviewers=403, committee=403, outsiders=403, sw_own=403, sw_other=403
        ),
    ),
    Case(
        "hub:reports",
        "GET",
        statuses(social_work=403, reviewers=403, committee=200, outsiders=403, service_manager=200),
    ),
    Case(
        "hub:report_csv",
        "GET",
        statuses(social_work=403, reviewers=403, committee=200, outsiders=403, service_manager=200),
        kwargs=lambda world: {"table": "concerns"},
    ),
    Case(
        "hub:report_table",
        "GET",
        statuses(social_work=403, reviewers=403, committee=200, outsiders=403, service_manager=200),
        kwargs=lambda world: {"table": "timeliness"},
    ),
    Case(
        "hub:audit_list",
        "GET",
        statuses(
            social_work=403, reviewers=200, committee=200, outsiders=403, police_participant=200
        ),
        state="audit",
    ),
    Case(
        "hub:audit_open",
        "POST",
        statuses(social_work=403, reviewers=403, committee=302, outsiders=403),
        accepts=frozenset({"POST"}),
        done=lambda world: AuditRound.objects.exists(),
    ),
    Case(
        "hub:audit_open",
        "GET",
        statuses(social_work=405, reviewers=405, committee=405, outsiders=405),
        accepts=frozenset({"POST"}),
    ),
    Case(
        "hub:audit_round",
        "GET",
        statuses(social_work=404, reviewers=200, committee=200, outsiders=404),
        state="audit",
        kwargs=round_kwargs,
        record=_round_record,
    ),
    Case(
        "hub:audit_round_csv",
        "GET",
        statuses(social_work=404, reviewers=200, committee=200, outsiders=404),
        state="audit",
        kwargs=round_kwargs,
        record=_round_record,
    ),
    Case(
        "hub:audit_summary",
        "POST",
        statuses(social_work=404, reviewers=403, committee=302, outsiders=404),
        state="audit",
        kwargs=round_kwargs,
        record=_round_record,
        accepts=frozenset({"POST"}),
        body=lambda world: {"summary": "Children's views are recorded more often."},
        done=lambda world: AuditRound.objects.get().summary_sent_at is not None,
    ),
    Case(
        "hub:audit_summary",
        "GET",
        statuses(social_work=405, reviewers=405, committee=405, outsiders=405),
        state="audit",
        kwargs=round_kwargs,
        accepts=frozenset({"POST"}),
    ),
    Case(
        "hub:audit_learning",
        "GET",
        statuses(
            social_work=200, reviewers=200, committee=200, outsiders=404, police_participant=200
        ),
        state="learned",
        kwargs=round_kwargs,
        record=_round_record,
    ),
    Case(
        "hub:audit_assignment",
        "GET",
        statuses(
            social_work=404, reviewers=404, committee=404, outsiders=404, police_participant=200
        ),
        state="audit",
        kwargs=assignment_kwargs,
        record=_assignment_record,
        accepts=frozenset({"GET", "POST"}),
    ),
    Case(
        "hub:audit_assignment",
        "POST",
        statuses(
            social_work=404, reviewers=404, committee=404, outsiders=404, police_participant=302
        ),
        state="audit",
        kwargs=assignment_kwargs,
        record=_assignment_record,
        body=grade_body,
        accepts=frozenset({"GET", "POST"}),
        done=lambda world: AuditGrade.objects.exists(),
    ),
]

CELLS = [
    pytest.param(index, role, status, id=f"{case.name}-{case.method}-{case.state}-{role}")
    for index, case in enumerate(CASES)
    for role, status in case.expected.items()
]
REFUSALS = {403, 404, 405, 409}


def snapshot() -> dict:
    return {
        "reviews": sorted(
            (str(pk), state) for pk, state in Review.objects.values_list("pk", "state")
        ),
        "claims": sorted(
            (str(pk), state) for pk, state in ReviewClaim.objects.values_list("pk", "state")
        ),
        "rounds": sorted(
            (str(pk), state, str(sent))
            for pk, state, sent in AuditRound.objects.values_list("pk", "state", "summary_sent_at")
        ),
        "grades": AuditGrade.objects.count(),
        "feedback": ReferralFeedback.objects.count(),
    }


def last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def hub_routes() -> set[str]:
    found = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and namespace == "hub:":
                found.add(f"hub:{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return found


def test_every_hub_route_has_cases():
    assert hub_routes() == {case.name for case in CASES}
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.name
        assert case.method in case.accepts or all(
            status in {302, 405} for status in case.expected.values()
        ), case.name
    for name in hub_routes():
        methods = {case.method for case in CASES if case.name == name}
        assert "GET" in methods, name
        accepts = {m for case in CASES if case.name == name for m in case.accepts}
        assert accepts - {"GET"} <= methods, name


@pytest.mark.parametrize(("index", "role", "expected"), CELLS)
def test_access(client, request, index, role, expected):
    case = CASES[index]
    world = build_world(request, case.state)
    user = None
    if role != "anonymous":
        user = request.getfixturevalue(ROLE_FIXTURES[role])
        client.force_login(user)
    url = case.url(world)
    before, audit_mark = snapshot(), last_audit_id()

    response = client.get(url) if case.method == "GET" else client.post(url, case.body(world))

    assert response.status_code == expected, response.content.decode()[:800]
    refused = expected in REFUSALS or (user is None and expected == 302)
    if refused or case.method == "GET":
        assert snapshot() == before, "a refused or GET request changed something"
    if user is None:
        assert response["Location"].startswith(f"{reverse('login')}?next=")
        assert not AuditEntry.objects.filter(id__gt=audit_mark).exists()
    if expected == 404 and case.record is not None:
        object_type, object_id = case.record(world)
        denied = AuditEntry.objects.filter(id__gt=audit_mark, action="denied")
        assert [(row.object_type, row.object_id, row.actor_id) for row in denied] == [
            (object_type, object_id, user.pk)
        ]
    if case.method == "POST" and not refused and case.done is not None:
        assert case.done(world), "the permitted action did not happen"


@pytest.mark.parametrize("name", sorted({case.name for case in CASES}))
def test_methods_a_route_does_not_accept_are_405(client, request, name):
    cases = [case for case in CASES if case.name == name]
    case = next(
        (
            c
            for c in cases
            if c.method == "GET" and any(status == 200 for status in c.expected.values())
        ),
        cases[0],
    )
    world = build_world(request, case.state)
    role = next(
        (role for role, status in case.expected.items() if status == 200), "committee_member"
    )
    client.force_login(request.getfixturevalue(ROLE_FIXTURES[role]))
    url = case.url(world)
    before = snapshot()

    answers = {
        method: getattr(client, method.lower())(url).status_code
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if method not in case.accepts
    }

    assert answers == dict.fromkeys(answers, 405)
    assert snapshot() == before


def test_a_social_worker_cannot_open_a_queued_review_and_it_looks_missing(
    client, request, social_worker
):
    world = build_world(request, "queued")
    client.force_login(social_worker)
    hidden = client.get(reverse("hub:review", args=[world.review.pk]))
    missing = client.get(reverse("hub:review", args=["00000000-0000-0000-0000-000000000000"]))
    assert hidden.status_code == missing.status_code == 404


def test_reading_a_review_is_audited_as_a_view_of_the_referral(client, request, hub_reviewer):
    world = build_world(request, "queued")
    client.force_login(hub_reviewer)
    mark = last_audit_id()
    assert client.get(reverse("hub:review", args=[world.review.pk])).status_code == 200
    rows = list(AuditEntry.objects.filter(id__gt=mark))
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("view", "referral", str(world.review.referral_id))
    ]


def test_hub_settings_are_one_row():
    assert HubSettings.current() == HubSettings.current()
    assert HubSettings.objects.count() == 1
    assert timedelta(minutes=HubSettings.current().claim_minutes) == timedelta(hours=4)
