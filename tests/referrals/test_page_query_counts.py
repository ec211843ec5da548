"""Issue 14 (P7): the referrals pages whose content grows with rows run the same number of
queries for one row as for four (the shared measure is tests/page_costs.py; the home, team
work, notifications, search and person-concerns rows are in tests/test_query_counts.py).

Routes of referrals/urls.py and config/urls.py not in this table, and why:
- forms that show no rows and their POST answers, which redirect: referral_new, screening_new,
  referral_close, person_edit, relationship_new, chronology_event_new, person_merge,
  break_glass, person_restriction, break_glass_review, emergency_measure_new,
  emergency_measure_reporter_told, subject_access_new/extend/submit/approve, disposal_prepare,
  disposal_approve, match_decide, feedback_acknowledge;
- screening_review: the one proposal under review, beside the referral measured here;
- the sign-in pages (login, logout, mfa/*) and the passkey register/name/remove routes, which
  show the person signed in or one passkey only (their list, /security/, is measured);
- healthz, readyz and metrics, which read no rows; admin (out of scope);
- subject_access_item: one item of a request; referrer_feedback: the one feedback its e-mail
  link names; person_access_report's finder is measured when it lists a referral's children.
"""

import datetime

import pytest
from django.utils import timezone

from referrals import audit
from referrals.models import (
    BreakGlass,
    ChronologyEntry,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
    SubjectAccessRequest,
)
from referrals.services import disposal, emergency, screening, subject_access
from referrals.services.feedback import feedback_give
from tests.factories import PasskeyFactory, PersonFactory, StaffFactory, make_referral
from tests.page_costs import (
    Page,
    page_context,
    queries_for_one_row_and_four,
    support_proposed,
)
from tests.referrals.test_retention import nfa_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def governance_officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


def _the_referral(ctx):
    if "referral" not in ctx:
        ctx["referral"] = make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])
    return ctx["referral"]


def _child_named(ctx) -> None:
    referral = _the_referral(ctx)
    position = referral.child_links.count()
    ReferralChild.objects.create(
        referral=referral,
        person=PersonFactory(),
        match=ReferralChild.Match.NEW_RECORD,
        position=position,
    )


def _adult_named(ctx) -> None:
    referral = _the_referral(ctx)
    position = referral.adult_links.count()
    ReferralAdult.objects.create(
        referral=referral, person=PersonFactory(), relationship="parent", position=position
    )


def _relative(ctx) -> None:
    Relationship.objects.create(
        person=ctx["child"], relative=PersonFactory(), kind=Relationship.Kind.OTHER_RELATIVE
    )


def _read_of_the_child(ctx) -> None:
    audit.record(actor=ctx["social_worker"], action=audit.Action.VIEW, subject=ctx["child"])


def _break_glass(ctx) -> None:
    now = timezone.now()
    BreakGlass.objects.create(
        person=ctx["child"],
        staff=StaffFactory(team=ctx["duty_team"]),
        reason=BreakGlass.Reason.DUTY_WORK,
        explanation="Duty work on a new concern.",
        opened_at=now,
        expires_at=now + datetime.timedelta(hours=1),
    )


def _event(ctx) -> None:
    ChronologyEntry.objects.create(
        person=ctx["child"],
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        kind=ChronologyEntry.Kind.EVENT,
        summary="Missed a health visitor appointment.",
        recorded_by=StaffFactory(team=ctx["duty_team"]),
        source_agency=ctx["duty_team"].agency,
        category=ChronologyEntry.Category.HEALTH,
        significance=ChronologyEntry.Significance.MEDIUM,
    )


def _feedback(ctx) -> None:
    feedback_give(
        referral=_the_referral(ctx),
        given_by=StaffFactory(role=Role.HUB_REVIEWER, team=ctx["duty_team"]),
        scores=[{"criterion": "identifiers", "label": "Full identifiers", "score": 5}],
        supported_by=["Clear account of what was seen"],
        barriers=[],
        comments="A clear referral.",
    )


def _subject_access_request(ctx) -> None:
    ctx["request"] = subject_access.open_request(
        person=ctx["child"],
        by=ctx["governance_officer"],
        requester_name="A parent",
        capacity=SubjectAccessRequest.Capacity.SELF,
        received_on=timezone.localdate(),
        identity_evidence="Seen in person with a passport",
    )


def _concern_then_request(ctx) -> None:
    """A request gathers the child's records when opened: each row is a new request about a
    child with one more concern."""
    make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"], children=[ctx["child"]])
    _subject_access_request(ctx)


def _due_for_disposal(ctx) -> None:
    """The page shows the latest list: each row closes one more referral long ago and lists
    what is due again."""
    nfa_referral(ctx["duty_team"], ctx["social_worker"], closed_on=datetime.date(2019, 1, 10))
    disposal.prepare_list(by=ctx["governance_officer"])


def _decision_returned(ctx) -> None:
    """A proposal the manager returns: the referral's decisions grow by one."""
    decision = support_proposed(ctx, _the_referral(ctx))
    screening.screening_return(
        decision=decision, returned_by=ctx["team_manager"], comment="Say more about the risk."
    )


def _concern_then_approved_request(ctx) -> None:
    """As above, every item disclosed, submitted and approved by a second officer."""
    _concern_then_request(ctx)
    for item in ctx["request"].items.all():
        subject_access.decide_item(item=item, by=ctx["governance_officer"], decision="disclose")
    subject_access.submit(request=ctx["request"], by=ctx["governance_officer"])
    subject_access.approve(
        request=ctx["request"],
        by=StaffFactory(
            role=Role.INFORMATION_GOVERNANCE, team=None, agency=ctx["duty_team"].agency
        ),
    )


def _child_of_the_referral_found(ctx) -> None:
    """The finder lists a referral's children (one child goes straight to their report): the
    first row is a referral naming two, each further row names one more."""
    if "referral" not in ctx:
        _child_named(ctx)
    _child_named(ctx)


def _passkey(ctx) -> None:
    PasskeyFactory(user=ctx["social_worker"])


def _emergency_measure(ctx) -> None:
    referral = _the_referral(ctx)
    now = timezone.now().replace(microsecond=0)
    emergency.measure_record(
        referral=referral,
        child=referral.child_links.first().person,
        by=ctx["social_worker"],
        kind="police_removal",
        granted_at=now - datetime.timedelta(hours=1),
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=12),
        reason="Two children alone at home overnight; parents not traced.",
    )


def _referral_url(ctx) -> str:
    return f"/referrals/{_the_referral(ctx).pk}/"


PAGES = {
    "referral, children named": Page("social_worker", _referral_url, _child_named),
    "referral, adults named": Page("social_worker", _referral_url, _adult_named),
    "person page, relationships": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/", _relative
    ),
    "referral, feedback given": Page("social_worker", _referral_url, _feedback),
    "person page, chronology": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/", _event
    ),
    "chronology PDF": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/chronology.pdf", _event
    ),
    "subject access requests": Page(
        "governance_officer", lambda ctx: "/governance/subject-access/", _subject_access_request
    ),
    "subject access request, items": Page(
        "governance_officer",
        lambda ctx: f"/governance/subject-access/{ctx['request'].pk}/",
        _concern_then_request,
    ),
    "referral, decisions returned": Page("social_worker", _referral_url, _decision_returned),
    "referral, emergency measures": Page("social_worker", _referral_url, _emergency_measure),
    "disposal lists": Page(
        "governance_officer", lambda ctx: "/governance/disposal/", _due_for_disposal
    ),
    **{
        f"subject access pack, {fmt}": Page(
            "governance_officer",
            lambda ctx, fmt=fmt: f"/governance/subject-access/{ctx['request'].pk}/pack/{fmt}/",
            _concern_then_approved_request,
        )
        for fmt in ("pdf", "zip")
    },
    "access report, children found": Page(
        "governance_officer",
        lambda ctx: "/governance/access/",
        _child_of_the_referral_found,
        method="post",
        data=lambda ctx: {"record": ctx["referral"].reference},
    ),
    "sign-in methods, passkeys": Page("social_worker", lambda ctx: "/security/", _passkey),
    "access report": Page(
        "governance_officer",
        lambda ctx: f"/governance/access/{ctx['child'].pk}/",
        _read_of_the_child,
    ),
    "break-glass report": Page(
        "governance_officer", lambda ctx: "/governance/break-glass/", _break_glass
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_referrals_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    page = PAGES[name]
    ctx = page_context(request, page.role)
    client.force_login(ctx[page.role])
    one, four = queries_for_one_row_and_four(page, ctx, client)
    assert four == one, (one, four)
