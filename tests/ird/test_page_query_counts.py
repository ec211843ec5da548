"""Issue 14 (P7): the IRD's own pages cost the same statements whatever they show (the shared
measure is tests/page_costs.py): the IRD page, the record under way and its printable copy with
one action, attendee and decision, then four of each; the record's revisions; the calendar
files and the scheduling form with one more person invited each time; the CPPM's page; the
procedure pages; the statistics CSV; the quality review page of a signed-off record with one
addendum and four. The live record's stream renders the record once per change for every
watcher: that render is measured here too. (The IRD list, home, statistics, register, CPPMs due
and core group pages are in tests/test_query_counts.py and beside their features.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ird import live, services
from ird.models import (
    CppmInvitation,
    DecisionCode,
    Invitation,
    ProcedureReview,
    RecordSection,
)
from referrals.models import Role
from tests.factories import StaffFactory, TeamFactory, make_referral
from tests.ird.conftest import approve_child_protection
from tests.page_costs import (
    Page,
    assert_the_same_for_one_row_as_for_four,
    child_named,
    page_context,
    the_referral,
)

pytestmark = pytest.mark.django_db


def _recorded(ctx) -> None:
    """One more action, attendee and decision on the record under way."""
    ird, recorder, police = ctx["started_ird"], ctx["recorder"], ctx["police"]
    n = ird.actions.count()
    services.action_add(
        ird=ird,
        by=recorder,
        description=f"Action {n}",
        owner_agency=police,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    services.attendance_add(
        ird=ird,
        by=recorder,
        agency=police,
        name=f"Officer {n}",
        role="Detective constable",
        joined_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    taken = ird.decisions.values_list("code", flat=True)
    code = DecisionCode.objects.exclude(pk__in=taken).order_by("display_order").first()
    services.decision_add(ird=ird, by=recorder, code=code, rationale="Agreed.")


def _section_saved(ctx) -> None:
    """One more revision: the recorder saves the discussion again."""
    ird = ctx["started_ird"]
    section = RecordSection.objects.get(ird=ird, key=RecordSection.Key.DISCUSSION)
    services.section_save(
        ird=ird,
        key=section.key,
        text=f"{section.text} More was said.",
        by=ctx["recorder"],
        based_on=section.version,
    )


def _invited(ctx, ird_key: str = "scheduled_ird") -> None:
    """One more person from health invited to the scheduled IRD."""
    Invitation.objects.create(
        ird=ctx[ird_key],
        staff=StaffFactory(team=TeamFactory(agency=ctx["health"])),
        agency=ctx["health"],
        role_in_ird="Health visitor",
        invited_at=timezone.now(),
    )


def _invited_to_the_cppm(ctx) -> None:
    CppmInvitation.objects.create(
        cppm=ctx["meeting"],
        staff=StaffFactory(team=TeamFactory(agency=ctx["health"])),
        agency=ctx["health"],
        role_in_cppm="School nurse",
        invited_at=timezone.now(),
    )


def _addendum(ctx) -> None:
    services.addendum_add(
        ird=ctx["signed_ird"],
        by=ctx["recorder"],
        reason="A date was wrong",
        text="The medical was on Tuesday.",
    )


def _procedure(ctx) -> None:
    count = ctx["procedures"] = ctx.get("procedures", 0) + 1
    ctx["procedure"] = services.procedure_start(
        by=ctx["committee_member"],
        title="IRD procedure",
        version=f"3.{count}",
        effective_from=timezone.localdate() - datetime.timedelta(days=count),
        text="Convene within a working day.",
    )


def _procedure_reviewed(ctx) -> None:
    """One more review of the procedure (the trial extended again)."""
    if "procedure" not in ctx:
        _procedure(ctx)
    ProcedureReview.objects.create(
        procedure=ctx["procedure"],
        outcome=ProcedureReview.Outcome.EXTEND,
        notes="More time to see it work.",
        extended_until=timezone.localdate() + datetime.timedelta(days=30),
        reviewed_by=ctx["committee_member"],
        reviewed_at=timezone.now(),
    )


def _participant(ctx) -> None:
    """One more member of staff who could chair or be invited."""
    StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=ctx["health"]))


def _ird_requested(ctx) -> None:
    referral = make_referral(team=ctx["duty_team"], received_by=ctx["social_worker"])
    approve_child_protection(referral, ctx["social_worker"], ctx["team_manager"])


def _ird(key: str, suffix: str = ""):
    return lambda ctx: f"/ird/{ctx[key].pk}/{suffix}"


PAGES = {
    "IRD page, the record under way": Page(
        "recorder", _ird("started_ird"), _recorded, route="ird:detail"
    ),
    "record under way": Page(
        "recorder", _ird("started_ird", "record/"), _recorded, route="ird:record"
    ),
    "printable record": Page(
        "recorder", _ird("started_ird", "record/print/"), _recorded, route="ird:print"
    ),
    "record revisions": Page(
        "recorder", _ird("started_ird", "record/revisions/"), _section_saved, route="ird:revisions"
    ),
    "calendar file, the invited": Page(
        "recorder", _ird("scheduled_ird", "calendar.ics"), _invited, route="ird:calendar"
    ),
    "scheduling form, the invited": Page(
        "team_manager", _ird("scheduled_ird", "schedule/"), _invited, route="ird:schedule"
    ),
    "quality review, addenda": Page(
        "committee_member", _ird("signed_ird", "quality/"), _addendum, route="ird:quality"
    ),
    "CPPM page, the invited": Page(
        "team_manager",
        lambda ctx: f"/ird/cppm/{ctx['meeting'].pk}/",
        _invited_to_the_cppm,
        route="ird:cppm_detail",
    ),
    "CPPM calendar file, the invited": Page(
        "social_worker",
        lambda ctx: f"/ird/cppm/{ctx['meeting'].pk}/calendar.ics",
        _invited_to_the_cppm,
        route="ird:cppm_calendar",
    ),
    "procedures": Page(
        "committee_member", lambda ctx: "/ird/procedures/", _procedure, route="ird:procedures"
    ),
    "procedure, its reviews": Page(
        "committee_member",
        lambda ctx: f"/ird/procedures/{ctx['procedure'].pk}/",
        _procedure_reviewed,
        route="ird:procedure_detail",
    ),
    "temporary registration form, the referral's children": Page(
        "team_manager",
        lambda ctx: f"/ird/register/temporary/{the_referral(ctx).pk}/",
        child_named,
        route="ird:register_temporary",
    ),
    "CPPM scheduling form, the staff to invite": Page(
        "team_manager",
        lambda ctx: f"/ird/cppm/new/{ctx['signed_ird'].referral.pk}/",
        _participant,
        route="ird:cppm_new",
    ),
    "statistics CSV": Page(
        "service_manager",
        lambda ctx: "/ird/statistics.csv",
        _ird_requested,
        route="ird:statistics_csv",
    ),
}

# The fixtures each page's rows hang on (tests/ird/conftest.py).
FIXTURES = {
    "ird:detail": ["started_ird"],
    "ird:record": ["started_ird"],
    "ird:print": ["started_ird"],
    "ird:revisions": ["started_ird"],
    "ird:calendar": ["scheduled_ird"],
    "ird:schedule": ["scheduled_ird"],
    "ird:quality": ["signed_ird"],
    "ird:cppm_detail": ["meeting"],
    "ird:cppm_calendar": ["meeting"],
    "ird:cppm_new": ["signed_ird"],
}


@pytest.mark.parametrize("name", list(PAGES))
def test_an_ird_page_costs_the_same_queries_for_one_row_as_for_four(name, request, client):
    page = PAGES[name]
    assert_the_same_for_one_row_as_for_four(
        page,
        request,
        client,
        "recorder",
        "police",
        "health",
        "committee_member",
        *FIXTURES.get(page.route, []),
    )


def test_the_live_records_render_costs_the_same_with_one_row_of_each_as_with_four(
    request, started_ird
):
    """Every change re-renders the record once for all its watchers (ird/live.py)."""
    ctx = page_context(request, "recorder", "police", "started_ird")

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert live.render_update(started_ird.pk) is not None
        return len(queries)

    _recorded(ctx)
    one = cost()
    for _ in range(3):
        _recorded(ctx)
    assert cost() == one
