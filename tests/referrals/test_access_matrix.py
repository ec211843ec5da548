"""G1: who may reach what. Every URL pattern of the project x method x role -> expected status.

The matrix is declarative: each route says which record it is about, the state that record must
be in for the action to make sense, a minimal valid body for POST, and what a successful POST
changes. A refused request changes nothing; a record outside one's scope is 404 and writes one
"denied" audit row; a successful referral or person page view writes one "view" row.
`test_every_route_is_in_the_matrix` fails when a route is added without a row here.
"""

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp_webauthn.models import WebAuthnCredential

from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    DisposalList,
    EmergencyMeasure,
    Notification,
    Person,
    Referral,
    ReferralFeedback,
    Relationship,
    Role,
    ScreeningDecision,
)
from referrals.services import intake, screening
from referrals.services.feedback import feedback_give
from referrals.views.intake import SIGNING_SALT
from tests.conftest import SignedInClient
from tests.factories import PasskeyFactory, PersonFactory, StaffFactory, category, make_referral

pytestmark = pytest.mark.django_db

# --- Roles --------------------------------------------------------------------------------

ROLE_FIXTURES = {
    "anonymous": None,
    "sw_own": "social_worker",  # social worker of the referral's team
    "sw_other": "other_social_worker",
    "tm_own": "team_manager",  # team manager of the referral's team
    "tm_other": "other_team_manager",
    "service_manager": "service_manager",
    "hub_reviewer": "hub_reviewer",
    "committee_member": "committee_member",
    "police_participant": "police_participant",
    "health_participant": "health_participant",
    "administrator": "administrator",
}
ROLES = tuple(ROLE_FIXTURES)
SOCIAL_WORK = ("sw_own", "sw_other", "tm_own", "tm_other", "service_manager")
QUALITY = ("hub_reviewer", "committee_member")
OUTSIDERS = ("police_participant", "health_participant", "administrator")


@pytest.fixture
def other_social_worker(other_team):
    return StaffFactory(role=Role.SOCIAL_WORKER, team=other_team)


def statuses(
    *, social_work: int, quality: int, outsiders: int, anonymous: int = 302, **by_role: int
) -> dict[str, int]:
    expected = {"anonymous": anonymous}
    expected.update(dict.fromkeys(SOCIAL_WORK, social_work))
    expected.update(dict.fromkeys(QUALITY, quality))
    expected.update(dict.fromkeys(OUTSIDERS, outsiders))
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    expected.update(by_role)
    return expected


EVERYONE_SIGNED_IN = {"social_work": 200, "quality": 200, "outsiders": 200}
POST_ONLY = statuses(social_work=405, quality=405, outsiders=405)
API_ONLY = statuses(anonymous=401, social_work=401, quality=401, outsiders=401)
NOT_FOUND = statuses(anonymous=404, social_work=404, quality=404, outsiders=404)
REFUSALS = {401, 403, 404, 405}
# The passkey ceremonies (django-otp-webauthn's views) refuse an anonymous caller before
# anything else, in JSON; a signed-in one meets the method check.
PASSKEY_JSON_GET = statuses(anonymous=403, social_work=405, quality=405, outsiders=405)
EVERYONE_ANSWERED_400 = {"social_work": 400, "quality": 400, "outsiders": 400}

# --- The records the routes act on --------------------------------------------------------


@dataclass
class World:
    referral: Referral
    child: Person
    adult: Person
    duplicate: Person  # a likely second record of the child, for merging


def build_world(request, state: str) -> World:
    team = request.getfixturevalue("duty_team")
    social_worker = request.getfixturevalue("social_worker")
    referral = make_referral(
        team=team,
        received_by=social_worker,
        adults=[
            intake.AdultIntake(details=intake.PersonFields(first_name="Kim", last_name="Smith"))
        ],
    )
    if state in {"proposed", "decided"}:
        decision = screening.screening_propose(
            referral=referral,
            proposed_by=social_worker,
            outcome="support",
            reasons="Support offered.",
            risk_analysis="Low.",
            needs_analysis="Food.",
        )
        if state == "decided":
            screening.screening_approve(
                decision=decision, approved_by=request.getfixturevalue("team_manager")
            )
    referral.refresh_from_db()
    child = referral.children.get()
    return World(
        referral=referral,
        child=child,
        adult=referral.adult_links.get().person,
        duplicate=PersonFactory(
            first_name=child.first_name,
            last_name=child.last_name,
            date_of_birth=child.date_of_birth,
        ),
    )


def intake_confirm_body(world: World) -> dict:
    """A step-two submission with a genuinely signed payload, as a browser would send it."""
    step_one = {
        "channel": "phone",
        "source_agency": str(world.referral.team.agency_id),
        "referrer_name": "Anne Watt",
        "referrer_role": "",
        "referrer_phone": "",
        "referrer_email": "",
        "occurred_at": "",
        "summary": "Seen hungry at school.",
        "immediate_risk": "no",
        "categories": [str(category("neglect").pk)],
        "consent_sought": "no",
        "consent_given": "",
        "reason_consent_not_sought": "Would increase risk.",
        "sharing_basis": "safeguarding",
        "child-TOTAL_FORMS": "1",
        "child-INITIAL_FORMS": "0",
        "child-MIN_NUM_FORMS": "0",
        "child-MAX_NUM_FORMS": "1000",
        "child-0-first_name": "Noah",
        "child-0-last_name": "Brown",
        "child-0-date_of_birth": "2019-02-03",
        "child-0-sex": "unknown",
        "adult-TOTAL_FORMS": "0",
        "adult-INITIAL_FORMS": "0",
        "adult-MIN_NUM_FORMS": "0",
        "adult-MAX_NUM_FORMS": "1000",
    }
    payload = {
        key: value if isinstance(value, list) else [value] for key, value in step_one.items()
    }
    payload["intake_token"] = [str(uuid.uuid4())]
    return {
        "action": "confirm",
        "payload": signing.dumps(payload, salt=SIGNING_SALT),
        "match-child-0": "new",
    }


# --- The matrix ---------------------------------------------------------------------------


def referral_kwargs(world: World) -> dict:
    return {"referral_id": world.referral.pk}


def person_kwargs(world: World) -> dict:
    return {"person_id": world.child.pk}


def concern_kwargs(world: World) -> dict:
    return {"concern_id": world.referral.pk}


def feedback_kwargs(world: World) -> dict:
    return {"concern_id": world.referral.pk, "feedback_id": uuid.uuid4()}


def measure_kwargs(world: World) -> dict:
    return {"concern_id": world.referral.pk, "measure_id": uuid.uuid4()}


def passkey_kwargs(world: World) -> dict:
    """A passkey of the referral's social worker (sw_own): everyone else's answer is 404."""
    return {"passkey_id": PasskeyFactory(user=world.referral.received_by).pk}


def hub_feedback_kwargs(world: World) -> dict:
    """The referral's practice hub feedback, given as hub/ gives it (through the core)."""
    feedback = world.referral.feedback.first() or feedback_give(
        referral=world.referral,
        given_by=None,
        scores=[{"criterion": "identifiers", "label": "Full identifiers", "score": 5}],
    )
    return {"referral_id": world.referral.pk, "feedback_id": feedback.pk}


@dataclass(frozen=True)
class Route:
    """`expected` maps each method the matrix checks (GET always; POST where the view accepts
    it) to the status for every role. `accepts` is what the view should answer other than 405.
    `record` names the kind of record the URL points at, when a refusal must be audited."""

    expected: dict[str, dict[str, int]]
    accepts: frozenset[str] = frozenset({"GET"})
    record: str | None = None  # "referral" or "person"
    kwargs: Callable[[World], dict] | None = None
    path: str | None = None  # for a pattern without a name
    state: str = "received"
    body: Callable[[World], dict] = field(default=lambda world: {})
    done: Callable[[World], bool] | None = None  # what a successful POST changed
    audits_view: bool = False

    def url(self, name: str, world: World) -> str:
        if self.path is not None:
            return self.path
        return reverse(name, kwargs=self.kwargs(world) if self.kwargs else None)

    def record_id(self, world: World) -> str:
        return str(world.referral.pk if self.record == "referral" else world.child.pk)


def _referral(world):
    world.referral.refresh_from_db()
    return world.referral


MATRIX: dict[str, Route] = {
    "home": Route({"GET": statuses(**EVERYONE_SIGNED_IN)}),
    "referral_new": Route(
        {
            "GET": statuses(social_work=200, quality=403, outsiders=403),
            "POST": statuses(social_work=302, quality=403, outsiders=403),
        },
        accepts=frozenset({"GET", "POST"}),
        body=intake_confirm_body,
        done=lambda world: Referral.objects.filter(intake_token__isnull=False).exists(),
    ),
    "referral_detail": Route(
        {"GET": statuses(committee_member=404, social_work=200, quality=200, outsiders=404)},
        record="referral",
        kwargs=referral_kwargs,
        audits_view=True,
    ),
    # Need to know: another team's worker or manager reads the referral but may not screen or
    # close it (403 naming whom to ask).
    "screening_new": Route(
        {
            "GET": statuses(
                committee_member=404,
                social_work=200,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
            "POST": statuses(
                committee_member=404,
                social_work=302,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="referral",
        kwargs=referral_kwargs,
        body=lambda world: {
            "outcome": "support",
            "reasons": "Support from school nurse.",
            "risk_analysis": "Low.",
            "needs_analysis": "Food.",
            "cumulative_harm_analysis": "",
            "advice_given": "",
            "version": world.referral.version,
        },
        done=lambda world: ScreeningDecision.objects.filter(referral=world.referral).exists(),
    ),
    "screening_review": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                tm_own=302,
                service_manager=302,
            ),
        },
        accepts=frozenset({"POST"}),
        record="referral",
        kwargs=referral_kwargs,
        state="proposed",
        body=lambda world: {
            "review-verdict": "approve",
            "review-comment": "Agreed.",
            "review-version": world.referral.version,
        },
        done=lambda world: _referral(world).status == Referral.Status.DECIDED,
    ),
    "referral_close": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                committee_member=404,
                social_work=302,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
        },
        accepts=frozenset({"POST"}),
        record="referral",
        kwargs=referral_kwargs,
        state="decided",
        body=lambda world: {
            "close-reason": "Support in place.",
            "close-version": world.referral.version,
        },
        done=lambda world: _referral(world).status == Referral.Status.CLOSED,
    ),
    # Emergency measures (tests/referrals/test_emergency_measures.py): the allocated team.
    "emergency_measure_new": Route(
        {
            "GET": statuses(
                committee_member=404,
                social_work=200,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
            "POST": statuses(
                committee_member=404,
                social_work=302,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="referral",
        kwargs=referral_kwargs,
        body=lambda world: {
            "child": str(world.child.pk),
            "kind": "s25_accommodation",
            "granted_at": "2026-01-05T10:00",
            "starts_at": "2026-01-05T10:00",
            "reason": "Parents agreed to accommodation while the house is made safe.",
        },
        done=lambda world: EmergencyMeasure.objects.filter(referral=world.referral).exists(),
    ),
    "emergency_measure_reporter_told": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                committee_member=404,
                social_work=404,
                quality=403,
                outsiders=404,
                sw_other=403,
                tm_other=403,
            ),
        },
        accepts=frozenset({"POST"}),
        # An unknown measure of a visible referral is a plain 404 (no refusal of the referral).
        kwargs=lambda world: {"referral_id": world.referral.pk, "measure_id": uuid.uuid4()},
    ),
    "feedback_acknowledge": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                sw_own=302,
                tm_own=302,
            ),
        },
        accepts=frozenset({"POST"}),
        record="referral",
        kwargs=hub_feedback_kwargs,
        done=lambda world: ReferralFeedback.objects.filter(
            referral=world.referral, acknowledged_at__isnull=False
        ).exists(),
    ),
    "person_detail": Route(
        {"GET": statuses(committee_member=404, social_work=200, quality=200, outsiders=404)},
        record="person",
        kwargs=person_kwargs,
        audits_view=True,
    ),
    "relationship_new": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(committee_member=404, social_work=302, quality=403, outsiders=404),
        },
        accepts=frozenset({"POST"}),
        record="person",
        kwargs=person_kwargs,
        body=lambda world: {
            "relationship-relative": str(world.adult.pk),
            "relationship-kind": "parent",
        },
        done=lambda world: Relationship.objects.filter(
            person=world.child, relative=world.adult, kind="parent"
        ).exists(),
    ),
    # A worker's own chronology entries and the printed chronology
    # (tests/referrals/test_chronology_events.py): writing is social work's, reading as the page.
    "chronology_event_new": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(committee_member=404, social_work=302, quality=403, outsiders=404),
        },
        accepts=frozenset({"POST"}),
        record="person",
        kwargs=person_kwargs,
        body=lambda world: {
            "event-occurred_on": "2026-01-05",
            "event-category": "health",
            "event-significance": "medium",
            "event-summary": "Missed two health visitor appointments.",
        },
        done=lambda world: ChronologyEntry.objects.filter(
            person=world.child, kind=ChronologyEntry.Kind.EVENT
        ).exists(),
    ),
    "chronology_print": Route(
        {"GET": statuses(committee_member=404, social_work=200, quality=200, outsiders=404)},
        record="person",
        kwargs=person_kwargs,
    ),
    # Correcting a person's details (tests/referrals/test_person_edit.py): social work staff.
    "person_edit": Route(
        {
            "GET": statuses(committee_member=404, social_work=200, quality=403, outsiders=404),
            "POST": statuses(committee_member=404, social_work=302, quality=403, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        record="person",
        kwargs=lambda world: {"person_id": world.child.pk},
        body=lambda world: {
            "version": world.child.version,
            "first_name": world.child.first_name,
            "last_name": world.child.last_name,
            "date_of_birth": world.child.date_of_birth.isoformat(),
            "sex": world.child.sex,
            "school": "Elgin Academy",
        },
        done=lambda world: Person.objects.get(pk=world.child.pk).school == "Elgin Academy",
    ),
    # Confirming or rejecting a possible match (tests/referrals/test_person_edit.py): managers;
    # here an unknown child link of a visible referral is a plain 404.
    "match_decide": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=404, quality=404, outsiders=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"referral_id": world.referral.pk, "link_id": uuid.uuid4()},
    ),
    "person_merge": Route(
        {
            "GET": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                tm_own=200,
                tm_other=200,
                service_manager=200,
            ),
            "POST": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                tm_own=302,
                tm_other=302,
                service_manager=302,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="person",
        kwargs=person_kwargs,
        body=lambda world: {"duplicate": str(world.duplicate.pk), "confirm": "on"},
        done=lambda world: (
            Person.objects.get(pk=world.duplicate.pk).merged_into_id == world.child.pk
        ),
    ),
    "search": Route(
        {
            "GET": statuses(social_work=200, quality=200, outsiders=403),
            "POST": statuses(social_work=200, quality=200, outsiders=403),
        },
        accepts=frozenset({"GET", "POST"}),
        body=lambda world: {"query": "Smith", "date_of_birth": ""},
        done=lambda world: AuditEntry.objects.filter(action="search").exists(),
    ),
    "team_work": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                tm_own=200,
                tm_other=200,
                service_manager=200,
            )
        },
    ),
    "notifications": Route(
        {
            "GET": statuses(**EVERYONE_SIGNED_IN),
            "POST": statuses(social_work=302, quality=302, outsiders=302),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    # The practice hub feedback link e-mailed to an external referrer: its signed token is the
    # key, whoever holds it (tests/referrals/test_referrer_feedback.py); a forged one is 404.
    "referrer_feedback": Route(
        {"GET": NOT_FOUND, "POST": NOT_FOUND},
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"token": "forged"},
    ),
    # The second step of signing in: a verified session has nothing to do there but go on.
    "mfa_verify": Route(
        {
            "GET": statuses(social_work=302, quality=302, outsiders=302),
            "POST": statuses(social_work=302, quality=302, outsiders=302),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    "mfa_enrol": Route(
        {
            "GET": statuses(social_work=302, quality=302, outsiders=302),
            "POST": statuses(social_work=302, quality=302, outsiders=302),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    # Passkeys (tests/referrals/test_passkeys.py). Using one is the second step of signing in:
    # JSON for a signed-in person, whatever the role (an empty answer is a refusal, 400); the
    # scripts' message catalogue is open like any script.
    "mfa_passkey_begin": Route(
        {"GET": PASSKEY_JSON_GET, "POST": statuses(anonymous=403, **EVERYONE_SIGNED_IN)},
        accepts=frozenset({"POST"}),
    ),
    "mfa_passkey_complete": Route(
        {"GET": PASSKEY_JSON_GET, "POST": statuses(anonymous=403, **EVERYONE_ANSWERED_400)},
        accepts=frozenset({"POST"}),
    ),
    "mfa_passkey_messages": Route({"GET": statuses(anonymous=200, **EVERYONE_SIGNED_IN)}),
    # Adding, naming and removing one: a person's own passkeys only, whatever their role.
    "sign_in_methods": Route({"GET": statuses(**EVERYONE_SIGNED_IN)}),
    "passkey_register_begin": Route(
        {"GET": PASSKEY_JSON_GET, "POST": statuses(anonymous=403, **EVERYONE_SIGNED_IN)},
        accepts=frozenset({"POST"}),
    ),
    "passkey_register_complete": Route(
        {"GET": PASSKEY_JSON_GET, "POST": statuses(anonymous=403, **EVERYONE_ANSWERED_400)},
        accepts=frozenset({"POST"}),
    ),
    "passkey_name": Route(
        {
            "GET": statuses(social_work=404, quality=404, outsiders=404, sw_own=200),
            "POST": statuses(social_work=404, quality=404, outsiders=404, sw_own=302),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=passkey_kwargs,
        body=lambda world: {"name": "Work laptop"},
        done=lambda world: WebAuthnCredential.objects.filter(name="Work laptop").exists(),
    ),
    "passkey_remove": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=404, quality=404, outsiders=404, sw_own=302),
        },
        accepts=frozenset({"POST"}),
        kwargs=passkey_kwargs,
        done=lambda world: not WebAuthnCredential.objects.exists(),
    ),
    # Restricted records (tests/referrals/test_restricted_records.py). The world's child is not
    # restricted: the break-glass page sends those in scope straight on.
    "break_glass": Route(
        {
            "GET": statuses(committee_member=404, social_work=302, quality=302, outsiders=404),
            "POST": statuses(committee_member=404, social_work=302, quality=302, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        record="person",
        kwargs=lambda world: {"person_id": world.child.pk},
    ),
    "person_restriction": Route(
        {
            "GET": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                tm_own=200,
                tm_other=200,
                service_manager=200,
            ),
            "POST": statuses(
                committee_member=404,
                social_work=403,
                quality=403,
                outsiders=404,
                tm_own=400,
                tm_other=400,
                service_manager=400,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="person",
        kwargs=lambda world: {"person_id": world.child.pk},
    ),
    "break_glass_report": Route(
        {"GET": statuses(social_work=403, quality=403, outsiders=403, administrator=200)},
    ),
    "break_glass_review": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"entry_id": uuid.uuid4()},
    ),
    # Information governance only (tests/referrals/test_access_report.py); of the matrix's
    # roles only the administrator (a superuser) holds view_access_report.
    "access_report_find": Route(
        {
            "GET": statuses(social_work=403, quality=403, outsiders=403, administrator=200),
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=400),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    "person_access_report": Route(
        {"GET": statuses(social_work=403, quality=403, outsiders=403, administrator=200)},
        kwargs=lambda world: {"person_id": world.child.pk},
    ),
    # Subject access (tests/referrals/test_subject_access.py): information governance only;
    # of the matrix's roles the administrator (a superuser) holds manage_subject_access.
    "subject_access_list": Route(
        {
            "GET": statuses(social_work=403, quality=403, outsiders=403, administrator=200),
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=400),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    "subject_access_new": Route(
        {
            "GET": statuses(social_work=403, quality=403, outsiders=403, administrator=200),
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=400),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"person_id": world.child.pk},
    ),
    "subject_access_detail": Route(
        {"GET": statuses(social_work=403, quality=403, outsiders=403, administrator=404)},
        kwargs=lambda world: {"request_id": uuid.uuid4()},
    ),
    "subject_access_pack": Route(
        {"GET": statuses(social_work=403, quality=403, outsiders=403, administrator=404)},
        kwargs=lambda world: {"request_id": uuid.uuid4(), "fmt": "pdf"},
    ),
    "subject_access_item": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"request_id": uuid.uuid4(), "position": 1},
    ),
    "subject_access_extend": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"request_id": uuid.uuid4()},
    ),
    "subject_access_submit": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"request_id": uuid.uuid4()},
    ),
    "subject_access_approve": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=404),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"request_id": uuid.uuid4()},
    ),
    # Disposal (tests/referrals/test_disposal.py): information governance lists, a service
    # manager approves; the administrator (a superuser) holds both permissions.
    "disposal_lists": Route(
        {
            "GET": statuses(
                social_work=403, quality=403, outsiders=403, service_manager=200, administrator=200
            )
        },
    ),
    "disposal_prepare": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, administrator=302),
        },
        accepts=frozenset({"POST"}),
        done=lambda world: DisposalList.objects.exists(),
    ),
    "disposal_approve": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                social_work=403, quality=403, outsiders=403, service_manager=404, administrator=404
            ),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"list_id": uuid.uuid4()},
    ),
    "healthz": Route({"GET": statuses(anonymous=200, **EVERYONE_SIGNED_IN)}),
    "readyz": Route({"GET": statuses(anonymous=200, **EVERYONE_SIGNED_IN)}),
    # Prometheus metrics: by address or token, whoever is signed in (tests/referrals/
    # test_observability.py covers the refusals); the test client calls from 127.0.0.1.
    "metrics": Route({"GET": statuses(anonymous=200, **EVERYONE_SIGNED_IN)}),
    # The partner API answers bearer tokens of API clients only: a staff session opens none of
    # it. (Token holders are a separate axis, for the API's own tests.)
    "partner_api:concerns": Route(
        {"GET": API_ONLY, "POST": API_ONLY},
        accepts=frozenset({"GET", "POST"}),
    ),
    "partner_api:concern_detail": Route({"GET": API_ONLY}, kwargs=concern_kwargs),
    "partner_api:concern_feedback": Route({"GET": API_ONLY}, kwargs=concern_kwargs),
    "partner_api:feedback_acknowledge": Route(
        {"GET": API_ONLY, "POST": API_ONLY},
        accepts=frozenset({"POST"}),
        kwargs=feedback_kwargs,
    ),
    "partner_api:concern_measures": Route(
        {"GET": API_ONLY, "POST": API_ONLY},
        accepts=frozenset({"GET", "POST"}),
        kwargs=concern_kwargs,
    ),
    "partner_api:measure_detail": Route({"GET": API_ONLY}, kwargs=measure_kwargs),
    "partner_api:measure_reporter_told": Route(
        {"GET": API_ONLY, "POST": API_ONLY},
        accepts=frozenset({"POST"}),
        kwargs=measure_kwargs,
    ),
    "partner_api:categories": Route({"GET": API_ONLY}),
    "partner_api:events": Route({"GET": API_ONLY}),
    # The schema and its documentation page are also open to signed-in staff.
    "ird_api:irds": Route({"GET": API_ONLY}),
    "ird_api:ird_detail": Route({"GET": API_ONLY}, kwargs=lambda world: {"ird_id": uuid.uuid4()}),
    "ird_api:ird_action": Route(
        {"GET": API_ONLY}, kwargs=lambda world: {"ird_id": uuid.uuid4(), "action_id": uuid.uuid4()}
    ),
    "partner_api:schema": Route({"GET": statuses(anonymous=401, **EVERYONE_SIGNED_IN)}),
    "partner_api:docs": Route({"GET": statuses(anonymous=401, **EVERYONE_SIGNED_IN)}),
    # Anything else under /api/ is a JSON 404 for everyone.
    "^api/(?P<rest>.*)$": Route(
        {"GET": NOT_FOUND, "POST": NOT_FOUND},
        accepts=frozenset({"GET", "POST"}),
        path="/api/no-such-endpoint/",
    ),
    # IRD pages (ird/). Their full matrix, with real IRDs in every state and each relation
    # to them (invited, chair, recorder, coordinator), is tests/ird/test_access_matrix.py; here
    # every IRD route answers for an IRD nobody may see (an unknown id), the lists as they are.
    "ird:list": Route(
        {
            "GET": statuses(
                social_work=200, quality=200, outsiders=200, hub_reviewer=403, administrator=403
            )
        }
    ),
    "ird:procedures": Route(
        {
            "GET": statuses(
                social_work=200, quality=200, outsiders=200, hub_reviewer=403, administrator=403
            ),
            "POST": statuses(social_work=403, quality=403, outsiders=403, committee_member=400),
        },
        accepts=frozenset({"GET", "POST"}),
    ),
    "ird:procedure_detail": Route(
        {
            "GET": statuses(
                social_work=404, quality=404, outsiders=404, hub_reviewer=403, administrator=403
            )
        },
        kwargs=lambda world: {"procedure_id": uuid.uuid4()},
    ),
    "ird:procedure_review": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(
                social_work=404, quality=404, outsiders=404, hub_reviewer=403, administrator=403
            ),
        },
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"procedure_id": uuid.uuid4()},
    ),
    "ird:detail": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:calendar": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:record": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:live": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:print": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:revisions": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:schedule": Route(
        {
            "GET": statuses(social_work=404, quality=404, outsiders=404),
            "POST": statuses(social_work=404, quality=404, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:quality": Route(
        {
            "GET": statuses(social_work=404, quality=404, outsiders=404),
            "POST": statuses(social_work=404, quality=404, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:action": Route(
        {
            "GET": statuses(social_work=404, quality=404, outsiders=404),
            "POST": statuses(social_work=404, quality=404, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "action_id": uuid.uuid4()},
    ),
    "ird:cancel": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:child": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "child_id": uuid.uuid4()},
    ),
    "ird:start": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:section": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "key": "discussion"},
    ),
    "ird:details": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:attendance": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:attendance_left": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "attendance_id": uuid.uuid4()},
    ),
    "ird:initial_discussion": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:repeat": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:convene": Route(
        {
            "GET": statuses(social_work=404, quality=404, outsiders=404),
            "POST": statuses(social_work=404, quality=404, outsiders=404),
        },
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"referral_id": uuid.uuid4()},
    ),
    "ird:absence": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:lead": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:decision": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:decision_remove": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "decision_id": 1},
    ),
    "ird:action_add": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:conclude": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:sign_off": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:addendum": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:circulate": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4()},
    ),
    "ird:follow_up": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"ird_id": uuid.uuid4(), "item_id": uuid.uuid4()},
    ),
    # Child protection planning meetings and the register (ird/). Pages with real CPPMs
    # for each relation to them are in tests/ird/test_cppm_pages.py; here each CPPM route
    # answers for a meeting nobody may see, the referral's pages for the world's referral
    # (scheduling is refused without a signed-off IRD: 400, nothing saved).
    "ird:cppm_new": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=404,
                outsiders=404,
                tm_own=200,
                service_manager=200,
                hub_reviewer=403,
            ),
            "POST": statuses(
                social_work=403,
                quality=404,
                outsiders=404,
                tm_own=400,
                service_manager=400,
                hub_reviewer=403,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="referral",
        kwargs=referral_kwargs,
    ),
    "ird:register_temporary": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=404,
                outsiders=404,
                tm_own=200,
                service_manager=200,
                hub_reviewer=403,
            ),
            "POST": statuses(
                social_work=403,
                quality=404,
                outsiders=404,
                tm_own=400,
                service_manager=400,
                hub_reviewer=403,
            ),
        },
        accepts=frozenset({"GET", "POST"}),
        record="referral",
        kwargs=referral_kwargs,
    ),
    "ird:cppm_detail": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppm_calendar": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppm_outcome": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppm_record": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppm_reschedule": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppm_cancel": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"cppm_id": uuid.uuid4()},
    ),
    "ird:cppms_due": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                tm_own=200,
                tm_other=200,
                service_manager=200,
            )
        }
    ),
    "ird:register": Route(
        {
            "GET": statuses(
                social_work=200,
                quality=200,
                outsiders=403,
                sw_own=403,
                sw_other=403,
                hub_reviewer=403,
            )
        }
    ),
    # The core group and the child's plan (ird/): real groups for each relation to them are
    # in tests/ird/test_access_matrix.py and test_core_group_pages.py; here each route answers
    # for a group nobody may see.
    "ird:core_group": Route(
        {"GET": statuses(social_work=404, quality=404, outsiders=404)},
        kwargs=lambda world: {"group_id": uuid.uuid4()},
    ),
    "ird:core_group_meeting": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"group_id": uuid.uuid4()},
    ),
    "ird:core_group_member": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"group_id": uuid.uuid4()},
    ),
    "ird:core_group_member_leave": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"group_id": uuid.uuid4()},
    ),
    "ird:plan_action_add": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"group_id": uuid.uuid4()},
    ),
    "ird:plan_action": Route(
        {"GET": POST_ONLY, "POST": statuses(social_work=404, quality=404, outsiders=404)},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"group_id": uuid.uuid4(), "action_id": uuid.uuid4()},
    ),
    # The committee's child protection statistics (ird/), read as the hub's reports are.
    "ird:statistics": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                committee_member=200,
                service_manager=200,
            )
        }
    ),
    "ird:statistics_csv": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                committee_member=200,
                service_manager=200,
            )
        }
    ),
    # Practice hub pages (hub/). Their full matrix, with reviews queued, claimed and
    # submitted and audit rounds open and closed, is tests/hub/test_access.py; here every hub
    # route answers for a record nobody may see (an unknown id), the other pages as they are.
    "hub:queue": Route(
        {"GET": statuses(social_work=403, quality=403, outsiders=403, hub_reviewer=200)}
    ),
    "hub:review": Route(
        {"GET": NOT_FOUND | {"anonymous": 302}, "POST": NOT_FOUND | {"anonymous": 302}},
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"review_id": uuid.uuid4()},
    ),
    "hub:review_claim": Route(
        {"GET": POST_ONLY, "POST": NOT_FOUND | {"anonymous": 302}},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"review_id": uuid.uuid4()},
    ),
    "hub:review_release": Route(
        {"GET": POST_ONLY, "POST": NOT_FOUND | {"anonymous": 302}},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"review_id": uuid.uuid4()},
    ),
    "hub:team_feedback": Route(
        {"GET": statuses(social_work=200, quality=403, outsiders=403, sw_own=403, sw_other=403)}
    ),
    "hub:reports": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                committee_member=200,
                service_manager=200,
            )
        }
    ),
    "hub:report_csv": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                committee_member=200,
                service_manager=200,
            )
        },
        kwargs=lambda world: {"table": "concerns"},
    ),
    "hub:report_table": Route(
        {
            "GET": statuses(
                social_work=403,
                quality=403,
                outsiders=403,
                committee_member=200,
                service_manager=200,
            )
        },
        kwargs=lambda world: {"table": "timeliness"},
    ),
    "hub:audit_list": Route({"GET": statuses(social_work=403, quality=200, outsiders=403)}),
    "hub:audit_open": Route(
        {
            "GET": POST_ONLY,
            "POST": statuses(social_work=403, quality=403, outsiders=403, committee_member=302),
        },
        accepts=frozenset({"POST"}),
    ),
    "hub:audit_round": Route(
        {"GET": NOT_FOUND | {"anonymous": 302}}, kwargs=lambda world: {"round_id": uuid.uuid4()}
    ),
    "hub:audit_round_csv": Route(
        {"GET": NOT_FOUND | {"anonymous": 302}}, kwargs=lambda world: {"round_id": uuid.uuid4()}
    ),
    "hub:audit_summary": Route(
        {"GET": POST_ONLY, "POST": NOT_FOUND | {"anonymous": 302}},
        accepts=frozenset({"POST"}),
        kwargs=lambda world: {"round_id": uuid.uuid4()},
    ),
    "hub:audit_learning": Route(
        {"GET": NOT_FOUND | {"anonymous": 302}}, kwargs=lambda world: {"round_id": uuid.uuid4()}
    ),
    "hub:audit_assignment": Route(
        {"GET": NOT_FOUND | {"anonymous": 302}, "POST": NOT_FOUND | {"anonymous": 302}},
        accepts=frozenset({"GET", "POST"}),
        kwargs=lambda world: {"assignment_id": uuid.uuid4()},
    ),
}

# Django's own sign-in and sign-out views, tested below and in test_security_baseline.py.
HANDLED_SEPARATELY = {"login", "logout"}

CELLS = [
    pytest.param(name, method, role, status, id=f"{name}-{method}-{role}")
    for name, route in MATRIX.items()
    for method, by_role in route.expected.items()
    for role, status in by_role.items()
]


def project_routes() -> set[str]:
    """Every URL pattern's name (its route where unnamed), admin and static files excepted."""
    found = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/"):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                if route.lstrip("^/").startswith(settings.STATIC_URL.strip("/") + "/"):
                    continue
                found.add(f"{namespace}{pattern.name}" if pattern.name else route)

    walk(get_resolver().url_patterns, "", "")
    return found


def snapshot() -> dict:
    return {
        "referrals": sorted(
            (str(pk), status, version)
            for pk, status, version in Referral.objects.values_list("pk", "status", "version")
        ),
        "decisions": sorted(
            (str(pk), state) for pk, state in ScreeningDecision.objects.values_list("pk", "state")
        ),
        "people": sorted(
            (str(pk), str(merged))
            for pk, merged in Person.objects.values_list("pk", "merged_into_id")
        ),
        "relationships": Relationship.objects.count(),
        "chronology": ChronologyEntry.objects.count(),
        "unread": Notification.objects.filter(read_at=None).count(),
    }


def last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def sign_in(client, request, role):
    if role == "anonymous":
        return None
    user = request.getfixturevalue(ROLE_FIXTURES[role])
    client.force_login(user)
    return user


# The committee reads aggregates and the audit samples, not every record (need to know): the
# world's referral is in no sample, so its rows are 404 for committee_member (hub/hooks.py
# quality_scope; tests/hub/test_need_to_know.py covers the sample).

# --- The second factor: an unverified session reaches nothing ----------------------------

OPEN_BEFORE_SECOND_FACTOR = {
    "healthz",
    "readyz",
    "referrer_feedback",
    "mfa_verify",
    "mfa_enrol",
    "mfa_passkey_begin",
    "mfa_passkey_complete",
    "mfa_passkey_messages",
}


@pytest.mark.parametrize("name", sorted(set(MATRIX) - OPEN_BEFORE_SECOND_FACTOR))
def test_a_session_without_its_second_factor_reaches_nothing(request, name):
    """Password only (no code yet): every page sends to the code, every API call is refused,
    whatever the role would otherwise see."""
    route = MATRIX[name]
    world = build_world(request, route.state)
    client = Client()  # not SignedInClient: the password step alone
    client.force_login(request.getfixturevalue("service_manager"))
    url = route.url(name, world)
    before = snapshot()

    for method in sorted(route.accepts):
        response = client.get(url) if method == "GET" else client.post(url, route.body(world))
        if url.startswith("/api/"):
            assert response.status_code in {401, 403}, (method, response.status_code)
        else:
            assert response.status_code == 302, (method, response.status_code)
            assert response["Location"].startswith("/mfa/verify/?next="), response["Location"]
    assert snapshot() == before


# --- Coverage of the matrix itself --------------------------------------------------------


def test_every_route_is_in_the_matrix():
    routes = project_routes()
    missing = routes - set(MATRIX) - HANDLED_SEPARATELY
    assert not missing, f"routes with no row in the access matrix: {sorted(missing)}"
    stale = set(MATRIX) - routes
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


def test_every_cell_names_every_role_and_get():
    for name, route in MATRIX.items():
        assert "GET" in route.expected, name
        assert ("POST" in route.expected) == ("POST" in route.accepts), name
        for method, by_role in route.expected.items():
            assert set(by_role) == set(ROLES), (name, method)


# --- The matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "role", "expected"), CELLS)
def test_access(client, request, name, method, role, expected):
    route = MATRIX[name]
    world = build_world(request, route.state)
    user = sign_in(client, request, role)
    url = route.url(name, world)
    before, audit_mark = snapshot(), last_audit_id()

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, route.body(world))

    assert response.status_code == expected, response.content.decode()[:500]
    refused = user is None and expected == 302 or expected in REFUSALS
    audit = [
        (row.action, row.object_type, row.object_id, row.actor_id)
        for row in AuditEntry.objects.filter(id__gt=audit_mark).order_by("id")
    ]
    if refused or method == "GET":
        assert snapshot() == before, "a refused or GET request changed something"
    if user is None and expected == 302:
        assert response["Location"].startswith(f"{reverse('login')}?next=")
    if user is None:
        assert audit == []
    if expected == 404 and route.record is not None:
        assert audit == [("denied", route.record, route.record_id(world), user.pk)]
    if method == "GET" and expected == 200 and route.audits_view:
        assert audit == [("view", route.record, route.record_id(world), user.pk)]
    if method == "POST" and not refused and route.done is not None:
        assert route.done(world), "the permitted action did not happen"


# --- Methods no route should accept -------------------------------------------------------


def _method_actor(route: Route) -> str | None:
    """Someone the route lets through, so that a 405 is about the method and nothing else."""
    return next(
        (
            role
            for role in ("sw_own", "tm_own")
            if route.expected["GET"][role] not in REFUSALS - {405}
        ),
        None,
    )


def _method_cases():
    for name, route in MATRIX.items():
        if _method_actor(route) is None:
            continue  # refused to every session whatever the method (the partner API)
        yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(_method_cases()))
def test_methods_a_route_does_not_accept_are_405(client, request, name):
    route = MATRIX[name]
    world = build_world(request, route.state)
    sign_in(client, request, _method_actor(route))
    url = route.url(name, world)
    before = snapshot()

    answers = {
        method: getattr(client, method.lower())(url).status_code
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if method not in route.accepts
    }

    assert answers == dict.fromkeys(answers, 405)
    assert snapshot() == before


# --- Sign-in and sign-out -----------------------------------------------------------------


def test_login_page_is_open_to_anonymous(client):
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_login_page_sends_the_signed_in_home(client, request, role):
    sign_in(client, request, role)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_refuses_get_and_accepts_post(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_login_next_does_not_redirect_off_site(client, social_worker, password):
    response = client.post(
        f"{reverse('login')}?next=https://evil.example/",
        {"username": social_worker.username, "password": password, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


# --- Out of scope looks the same as missing -----------------------------------------------


def _main(response) -> str:
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


@pytest.mark.parametrize("route_name", ["referral_detail", "person_detail"])
def test_out_of_scope_and_missing_records_look_the_same(
    client, request, police_participant, route_name
):
    world = build_world(request, "received")
    route = MATRIX[route_name]
    client.force_login(police_participant)
    audit_mark = last_audit_id()

    hidden = client.get(route.url(route_name, world))
    missing_url = re.sub(r"[0-9a-f-]{36}", str(uuid.uuid4()), route.url(route_name, world))
    missing = client.get(missing_url)

    assert hidden.status_code == missing.status_code == 404
    assert _main(hidden) == _main(missing)
    # Only the real record's refusal is worth an audit row: a random id touches no record.
    assert AuditEntry.objects.filter(id__gt=audit_mark).count() == 1


def test_a_missing_record_writes_no_denied_row_for_social_work(client, social_worker):
    client.force_login(social_worker)
    audit_mark = last_audit_id()
    assert client.get(f"/referrals/{uuid.uuid4()}/").status_code == 404
    assert not AuditEntry.objects.filter(id__gt=audit_mark).exists()


def test_denied_row_records_who_where_and_when(client, request, health_participant):
    world = build_world(request, "received")
    client.force_login(health_participant)
    before = datetime.datetime.now(datetime.UTC)

    response = client.get(f"/referrals/{world.referral.pk}/")

    row = AuditEntry.objects.get(action="denied")
    assert row.actor == health_participant
    assert row.actor_role == Role.IRD_PARTICIPANT
    assert row.actor_agency == "health"
    assert row.route == f"/referrals/{world.referral.pk}/"
    assert row.request_id == response["X-Request-ID"]
    assert row.ip_address == "127.0.0.1"
    assert row.at >= before


def test_an_inactive_account_reaches_nothing(request):
    world = build_world(request, "received")
    staff = StaffFactory(role=Role.SOCIAL_WORKER, team=request.getfixturevalue("duty_team"))
    client = SignedInClient()
    client.force_login(staff)
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    response = client.get(f"/referrals/{world.referral.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- G14: refusals of an action on a record that can be read ------------------------------


def test_a_refused_action_on_a_readable_record_is_audited(client, request, hub_reviewer):
    world = build_world(request, "received")
    client.force_login(hub_reviewer)
    audit_mark = last_audit_id()

    response = client.post(
        f"/referrals/{world.referral.pk}/screening/",
        {
            "outcome": "support",
            "reasons": "x",
            "risk_analysis": "x",
            "needs_analysis": "x",
            "version": world.referral.version,
        },
    )

    assert response.status_code == 403
    rows = AuditEntry.objects.filter(id__gt=audit_mark)
    assert [(row.action, row.object_id) for row in rows] == [("denied", str(world.referral.pk))]
