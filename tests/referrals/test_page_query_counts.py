"""Issue 14 (P7): the referrals pages whose content grows with rows run the same number of
queries for one row as for four (the shared measure is tests/page_costs.py; the home, team
work, notifications, search and person-concerns rows are in tests/test_query_counts.py, which
also lists the routes measured elsewhere and those not measured, with the reason)."""

import datetime

import pytest
from django.utils import timezone

from referrals import audit
from referrals.models import (
    BreakGlass,
    ChronologyEntry,
    CumulativeHarmFlag,
    CumulativeHarmRule,
    ReferralAdult,
    Relationship,
    Role,
    SubjectAccessRequest,
)
from referrals.services import disposal, emergency, screening, subject_access
from referrals.services.feedback import feedback_give
from tests.factories import PasskeyFactory, PersonFactory, StaffFactory, make_referral
from tests.page_costs import (
    Page,
    assert_the_same_for_one_row_as_for_four,
    child_named,
    support_proposed,
    the_referral,
)
from tests.referrals.test_retention import nfa_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def governance_officer(social_work):
    return StaffFactory(role=Role.INFORMATION_GOVERNANCE, team=None, agency=social_work)


def _adult_named(ctx) -> None:
    referral = the_referral(ctx)
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
        referral=the_referral(ctx),
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
    decision = support_proposed(ctx, the_referral(ctx))
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
        child_named(ctx)
    child_named(ctx)


def _passkey(ctx) -> None:
    PasskeyFactory(user=ctx["social_worker"])


def _emergency_measure(ctx) -> None:
    referral = the_referral(ctx)
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


def _flagged_child(ctx) -> None:
    """One more child named on the referral, with an open cumulative harm flag."""
    child_named(ctx)
    referral = the_referral(ctx)
    CumulativeHarmFlag.objects.create(
        person=referral.child_links.order_by("-position").first().person,
        rule=CumulativeHarmRule.objects.order_by("pk").first(),
        raised_at=timezone.now(),
        triggered_by=referral,
        concern_count=3,
    )


def _namesake(ctx) -> None:
    """One more possible duplicate of the child: same name and date of birth."""
    child = ctx["child"]
    PersonFactory(
        first_name=child.first_name, last_name=child.last_name, date_of_birth=child.date_of_birth
    )


def _referral_url(ctx) -> str:
    return f"/referrals/{the_referral(ctx).pk}/"


PAGES = {
    "referral, children named": Page(
        "social_worker", _referral_url, child_named, route="referral_detail"
    ),
    "referral, adults named": Page(
        "social_worker", _referral_url, _adult_named, route="referral_detail"
    ),
    "screening form, cumulative harm flags": Page(
        "social_worker",
        lambda ctx: f"/referrals/{the_referral(ctx).pk}/screening/",
        _flagged_child,
        route="screening_new",
    ),
    "merging records, possible duplicates": Page(
        "team_manager",
        lambda ctx: f"/people/{ctx['child'].pk}/merge/",
        _namesake,
        route="person_merge",
    ),
    "person page, relationships": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/", _relative, route="person_detail"
    ),
    "referral, feedback given": Page(
        "social_worker", _referral_url, _feedback, route="referral_detail"
    ),
    "person page, chronology": Page(
        "social_worker", lambda ctx: f"/people/{ctx['child'].pk}/", _event, route="person_detail"
    ),
    "chronology PDF": Page(
        "social_worker",
        lambda ctx: f"/people/{ctx['child'].pk}/chronology.pdf",
        _event,
        route="chronology_print",
    ),
    "subject access requests": Page(
        "governance_officer",
        lambda ctx: "/governance/subject-access/",
        _subject_access_request,
        route="subject_access_list",
    ),
    "subject access request, items": Page(
        "governance_officer",
        lambda ctx: f"/governance/subject-access/{ctx['request'].pk}/",
        _concern_then_request,
        route="subject_access_detail",
    ),
    "referral, decisions returned": Page(
        "social_worker", _referral_url, _decision_returned, route="referral_detail"
    ),
    "referral, emergency measures": Page(
        "social_worker", _referral_url, _emergency_measure, route="referral_detail"
    ),
    "disposal lists": Page(
        "governance_officer",
        lambda ctx: "/governance/disposal/",
        _due_for_disposal,
        route="disposal_lists",
    ),
    **{
        f"subject access pack, {fmt}": Page(
            "governance_officer",
            lambda ctx, fmt=fmt: f"/governance/subject-access/{ctx['request'].pk}/pack/{fmt}/",
            _concern_then_approved_request,
            route="subject_access_pack",
        )
        for fmt in ("pdf", "zip")
    },
    "access report, children found": Page(
        "governance_officer",
        lambda ctx: "/governance/access/",
        _child_of_the_referral_found,
        method="post",
        data=lambda ctx: {"record": ctx["referral"].reference},
        route="access_report_find",
    ),
    "sign-in methods, passkeys": Page(
        "social_worker", lambda ctx: "/security/", _passkey, route="sign_in_methods"
    ),
    "access report": Page(
        "governance_officer",
        lambda ctx: f"/governance/access/{ctx['child'].pk}/",
        _read_of_the_child,
        route="person_access_report",
    ),
    "break-glass report": Page(
        "governance_officer",
        lambda ctx: "/governance/break-glass/",
        _break_glass,
        route="break_glass_report",
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_referrals_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    assert_the_same_for_one_row_as_for_four(PAGES[name], request, client)
