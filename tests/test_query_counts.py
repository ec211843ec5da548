"""Issue 14 (P7): every page and endpoint that lists rows runs the same number of queries
whatever the number of rows shown. One table: who looks, where, and how a row is made; each
page is measured with one row and again with four, and the two counts must be equal.

Other tables of the same measure (tests/page_costs.py): the referrals pages
(referrals/test_page_query_counts.py), the practice hub's (hub/test_page_query_counts.py), the
IRD's and CPPM's (ird/test_page_query_counts.py), the partner API
(api/test_endpoint_query_counts.py; its list has an exact count in api/test_concern_read.py) and
the admin's lists and records (test_admin_query_counts.py). Routes measured beside their
feature are in MEASURED_BESIDE_FEATURES below; every other route is in NOT_MEASURED with the
reason, and test_every_route_is_measured_or_says_why_not keeps the lists whole as routes come."""

from importlib import import_module
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from ird.models import Ird
from referrals.models import Referral
from referrals.services import screening
from tests.factories import make_referral
from tests.hub.conftest import referral_review, review_and_submit
from tests.page_costs import Page, assert_the_same_for_one_row_as_for_four, support_proposed

pytestmark = pytest.mark.django_db


def _referral(ctx) -> Referral:
    return make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])


def _proposed(ctx) -> None:
    support_proposed(ctx, _referral(ctx))


def _child_protection(ctx) -> Ird:
    referral = _referral(ctx)
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=ctx["social_worker"],
        outcome="child_protection",
        reasons="Bruising seen at nursery.",
        risk_analysis="High.",
        needs_analysis="Safety.",
        cumulative_harm_analysis="Earlier concerns considered.",
    )
    screening.screening_approve(decision=decision, approved_by=ctx["team_manager"])
    return Ird.objects.get(referral=referral)


def _concern_about_the_child(ctx) -> None:
    make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"], children=[ctx["child"]])


def _first_concern(ctx) -> Referral:
    """The concern whose page is measured: the first made about the child."""
    if "first" not in ctx:
        ctx["first"] = make_referral(
            team=ctx["duty_team"], received_by=ctx["social_worker"], children=[ctx["child"]]
        )
    return ctx["first"]


def _earlier_concern(ctx) -> None:
    """Another concern about the child: one more row of its history of involvement."""
    _first_concern(ctx)
    _concern_about_the_child(ctx)


def _reviewed(ctx) -> None:
    """A referral of the duty team whose quality review the hub submitted."""
    review_and_submit(referral_review(_referral(ctx)), ctx["hub_reviewer"], score=4)


def _ird_page(ctx) -> str:
    if "ird" not in ctx:
        ctx["ird"] = _child_protection(ctx)
    return f"/ird/{ctx['ird'].pk}/"


def _ird_child(ctx) -> None:
    """One more child the IRD considers: a brother or sister on a concern of their own."""
    _ird_page(ctx)
    referral = ctx["ird"].referral
    make_referral(
        team=ctx["duty_team"],
        received_by=ctx["social_worker"],
        children=[referral.children.first()],
    )


PAGES = {
    "home, social worker": Page("social_worker", lambda ctx: "/", _referral, route="home"),
    "home, team manager": Page("team_manager", lambda ctx: "/", _proposed, route="home"),
    "home, service manager": Page("service_manager", lambda ctx: "/", _referral, route="home"),
    "team work": Page("team_manager", lambda ctx: "/team/work/", _proposed, route="team_work"),
    "notifications": Page(
        "team_manager", lambda ctx: "/notifications/", _proposed, route="notifications"
    ),
    "search": Page(
        "social_worker",
        lambda ctx: "/search/",
        _referral,
        method="post",
        data={"query": "Smith"},
        route="search",
    ),
    "person page": Page(
        "social_worker",
        lambda ctx: f"/people/{ctx['child'].pk}/",
        _concern_about_the_child,
        route="person_detail",
    ),
    "IRD list": Page("team_manager", lambda ctx: "/ird/", _child_protection, route="ird:list"),
    "home, hub reviewer": Page("hub_reviewer", lambda ctx: "/", _referral, route="home"),
    "hub queue": Page("hub_reviewer", lambda ctx: "/hub/", _referral, route="hub:queue"),
    "referral page, the children's history": Page(
        "social_worker",
        lambda ctx: f"/referrals/{_first_concern(ctx).pk}/",
        _earlier_concern,
        route="referral_detail",
    ),
    "hub team feedback": Page(
        "team_manager", lambda ctx: "/hub/team-feedback/", _reviewed, route="hub:team_feedback"
    ),
    "IRD page, its earlier concerns": Page(
        "team_manager", _ird_page, _ird_child, route="ird:detail"
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    assert_the_same_for_one_row_as_for_four(PAGES[name], request, client, "hub_reviewer")


# --- Every route is measured, or says why not ---------------------------------------------------

TESTS = Path(__file__).parent

# Routes measured by a test of their own, beside their feature ("file::test").
MEASURED_BESIDE_FEATURES = {
    "referral_new": (
        "tests/referrals/test_pages.py::"
        "test_an_intake_through_the_pages_stays_within_its_query_budget",
        "tests/referrals/test_matching.py::"
        "test_fixed_number_of_queries_however_many_similar_people",
    ),
    "ird:live": (
        "tests/ird/test_page_query_counts.py::"
        "test_the_live_records_render_costs_the_same_with_one_row_of_each_as_with_four",
    ),
    "ird:statistics": ("tests/ird/test_statistics.py::test_the_page_takes_fixed_queries",),
    "ird:register": ("tests/ird/test_cppm_pages.py::test_the_register_page_takes_fixed_queries",),
    "ird:core_group": ("tests/ird/test_core_group_pages.py::test_the_page_takes_fixed_queries",),
    "ird:cppms_due": (
        "tests/ird/test_cppm_moves.py::"
        "test_a_team_manager_sees_the_teams_cppms_due_in_fixed_queries",
    ),
}

_POST_CHANGE = "a POST that makes one change and redirects"


def _refused_shows(page: str) -> str:
    return f"{_POST_CHANGE}; refused, it shows {page}, measured"


# Routes no table measures, and why: none of them shows rows that grow.
NOT_MEASURED = {
    "healthz": "a probe: no rows",
    "readyz": "a probe: no rows",
    "metrics": "a fixed set of counters and queue lengths",
    "login": "signing in: the one person signing in",
    "logout": "signing out",
    "mfa_verify": "signing in: the one person's second factor",
    "mfa_enrol": "signing in: the one person's new authenticator",
    "mfa_passkey_begin": "signing in with a passkey: one challenge",
    "mfa_passkey_complete": "signing in with a passkey: one answer",
    "mfa_passkey_messages": "the passkey script's fixed messages",
    "passkey_register_begin": "one new passkey (the list, sign_in_methods, is measured)",
    "passkey_register_complete": "one new passkey (the list, sign_in_methods, is measured)",
    "passkey_name": "one passkey's name",
    "passkey_remove": "one passkey removed",
    "partner_api:feedback_acknowledge": "writes one acknowledgement and answers with it",
    "partner_api:measure_detail": "one emergency measure",
    "partner_api:measure_reporter_told": "marks one measure and answers with it",
    "partner_api:schema": "the OpenAPI schema: no rows",
    "partner_api:docs": "the schema's reader: no rows",
    "ird_api:ird_action": "one IRD action, read or updated",
    "hub:review_claim": _POST_CHANGE,
    "hub:review_release": _POST_CHANGE,
    "hub:audit_open": _POST_CHANGE + " (to the round's page, measured)",
    "hub:audit_summary": _refused_shows("the round's page"),
    "referral_close": _POST_CHANGE,
    "feedback_acknowledge": _POST_CHANGE,
    "screening_review": _refused_shows("the referral's page"),
    "match_decide": _POST_CHANGE,
    "relationship_new": _refused_shows("the person's page"),
    "chronology_event_new": _refused_shows("the person's page"),
    "person_edit": "one person's details",
    "referrer_feedback": "the one piece of feedback its e-mailed link names",
    "break_glass": "one person's break-glass form",
    "person_restriction": "one person's restriction",
    "break_glass_review": "one break-glass entry reviewed",
    "emergency_measure_new": "one measure's form (the referral's children: one choice list)",
    "emergency_measure_reporter_told": _POST_CHANGE,
    "subject_access_new": "opens one request about one person",
    "subject_access_item": "one item of a request",
    "subject_access_extend": _POST_CHANGE,
    "subject_access_submit": _POST_CHANGE,
    "subject_access_approve": _POST_CHANGE,
    "disposal_prepare": _POST_CHANGE + " (to the lists, measured)",
    "disposal_approve": _POST_CHANGE,
    "ird:procedure_review": _refused_shows("the procedure's page"),
    "ird:convene": "a form about one referral: the reason to convene",
    "ird:action": "one action's form",
    "ird:cppm_outcome": _refused_shows("the CPPM's page"),
    "ird:cppm_record": _refused_shows("the CPPM's page"),
    "ird:cppm_reschedule": _refused_shows("the CPPM's page"),
    "ird:cppm_cancel": _refused_shows("the CPPM's page"),
    "ird:follow_up": _POST_CHANGE,
    **{
        f"ird:{name}": _refused_shows("the IRD's page")
        for name in ("initial_discussion", "repeat", "cancel", "child", "start")
    },
    **{
        f"ird:{name}": _refused_shows("the record")
        for name in (
            "section",
            "attendance",
            "attendance_left",
            "absence",
            "details",
            "lead",
            "decision",
            "decision_remove",
            "action_add",
            "conclude",
            "sign_off",
            "addendum",
            "circulate",
        )
    },
    **{
        f"ird:{name}": _refused_shows("the core group's page")
        for name in (
            "core_group_meeting",
            "core_group_member",
            "core_group_member_leave",
            "plan_action_add",
            "plan_action",
        )
    },
}

# The admin (tests/test_admin_query_counts.py): every list, and every record page with inline
# rows, is measured there; the rest show one record, or Django's own pages.
ADMIN_MEASURED = (
    "tests/test_admin_query_counts.py::test_every_admin_list_costs_the_same_for_one_row_as_for_more",
    "tests/test_admin_query_counts.py::"
    "test_every_admin_record_costs_the_same_for_one_inline_row_as_for_four",
)
ADMIN_NOT_MEASURED = {
    "_add": "a blank form",
    "_change": "one record's form, without inline rows",
    "_delete": "confirms deleting one record",
    "_history": "Django's log of changes to one record, read with its users in one statement",
    "_password_change": "one account's password form",
    "_config": "one authenticator's settings",
    "_qrcode": "one authenticator's QR code",
}
ADMIN_DJANGO_PAGES = {
    "admin:index": "the list of models",
    "admin:app_list": "the list of one app's models",
    "admin:login": "signing in",
    "admin:logout": "signing out",
    "admin:password_change": "the person's own password form",
    "admin:password_change_done": "a message",
    "admin:jsi18n": "the admin script's fixed messages",
    "admin:view_on_site": "a redirect to one record",
    "admin:autocomplete": "search results named by their own columns (one statement a page)",
}


def _named_routes(patterns=None, namespace: str = "") -> set[str]:
    """Every route reverse() can name (the unnamed ones are the admin's and the API's
    catch-alls and redirects)."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            names |= _named_routes(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def _tables() -> list[Page]:
    """Every row of every query-count table (a dict of Pages in a test_*query_counts.py)."""
    pages = []
    for path in sorted(TESTS.rglob("test_*query_counts.py")):
        module = import_module(".".join(path.relative_to(TESTS.parent).with_suffix("").parts))
        for value in vars(module).values():
            if (
                isinstance(value, dict)
                and value
                and all(isinstance(v, Page) for v in value.values())
            ):
                pages.extend(value.values())
    return pages


def _admin_measured() -> set[str]:
    measured = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        measured.add(f"{prefix}_changelist")
        if model_admin.inlines:
            measured.add(f"{prefix}_change")
    return measured


def _admin_why_not(route: str) -> str | None:
    if route in ADMIN_DJANGO_PAGES:
        return ADMIN_DJANGO_PAGES[route]
    return next((why for suffix, why in ADMIN_NOT_MEASURED.items() if route.endswith(suffix)), None)


def test_every_route_is_measured_or_says_why_not():
    routes = _named_routes()
    in_tables = {page.route for page in _tables()}
    measured = in_tables | set(MEASURED_BESIDE_FEATURES) | _admin_measured()
    admin_reasons = {
        route for route in routes - measured if route.startswith("admin:") and _admin_why_not(route)
    }

    assert routes - measured - set(NOT_MEASURED) - admin_reasons == set()
    assert (set(NOT_MEASURED) | set(MEASURED_BESIDE_FEATURES)) - routes == set(), "stale names"
    assert set(NOT_MEASURED) & measured == set(), "measured after all: take it off NOT_MEASURED"
    assert in_tables <= routes


def test_each_test_measuring_a_route_beside_its_feature_exists():
    for reference in [
        *ADMIN_MEASURED,
        *(t for ts in MEASURED_BESIDE_FEATURES.values() for t in ts),
    ]:
        path, name = reference.split("::")
        assert f"def {name}(" in (TESTS.parent / path).read_text(), reference
