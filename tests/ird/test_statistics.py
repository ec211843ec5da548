"""Child protection statistics for the committee (issue 11): the 1 August to 31 July year as
the default period, registrations, de-registrations, CPPMs by type, concerns per conference
and the median days from concern to IRD to CPPM, counted in a fixed number of queries; the
page and its CSV return (audited as an export, rate-limited) for the committee and service
managers only; a bad period is a form error, never a server error."""

import csv
import io
import itertools
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ird import statistics
from ird.models import Cppm, Ird, Registration
from referrals.models import AuditEntry, ConcernCategory
from referrals.working_days import LONDON
from tests.factories import PersonFactory, make_referral

pytestmark = pytest.mark.django_db
YEAR = (date(2025, 8, 1), date(2026, 7, 31))
_numbers = itertools.count(1)


@pytest.mark.parametrize(
    ("today", "year"),
    [
        (date(2026, 9, 15), (date(2026, 8, 1), date(2027, 7, 31))),
        (date(2027, 3, 1), (date(2026, 8, 1), date(2027, 7, 31))),
        (date(2026, 8, 1), (date(2026, 8, 1), date(2027, 7, 31))),
        (date(2026, 7, 31), (date(2025, 8, 1), date(2026, 7, 31))),
        (date(2025, 1, 1), (date(2024, 8, 1), date(2025, 7, 31))),
    ],
)
def test_the_statistics_year_runs_1_august_to_31_july(today, year):
    assert statistics.statistics_year(today) == year


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def meeting(referral, chair, kind, held_at, ird=None) -> Cppm:
    return Cppm.objects.create(
        reference=f"CPPM-T-{next(_numbers)}",
        referral=referral,
        ird=ird,
        kind=kind,
        status=Cppm.Status.HELD,
        scheduled_for=held_at,
        held_at=held_at,
        chair=chair,
        coordinator=chair,
    )


def journey(
    by, *, received: date, ird_after: int, cppm_after: int, categories=("neglect",), kind="initial"
) -> Registration:
    """A concern, its first IRD held `ird_after` days later and a CPPM held `cppm_after` days
    after the concern that registered the child under `categories`."""
    child = PersonFactory()
    referral = make_referral(
        team=by.team, received_by=by, children=[child], received_at=at(received)
    )
    ird = Ird.objects.create(
        reference=f"IRD-T-{next(_numbers)}",
        referral=referral,
        requested_at=at(received),
        started_at=at(received + timedelta(days=ird_after)),
    )
    cppm = meeting(referral, by, kind, at(received + timedelta(days=cppm_after)), ird)
    registration = Registration.objects.create(
        person=child,
        referral=referral,
        registered_on=cppm.held_at.date(),
        registered_at=cppm,
        recorded_by=by,
    )
    registration.categories.set(ConcernCategory.objects.filter(code__in=categories))
    return registration


@pytest.fixture
def year_of_work(team_manager):
    """Three children registered in the 2025-26 year (one with two concerns, one with three),
    one de-registered at a review, one temporary registration, a review and a transfer CPPM,
    and work outside the year that must not count."""
    first = journey(team_manager, received=date(2025, 9, 1), ird_after=1, cppm_after=21)
    journey(
        team_manager,
        received=date(2025, 10, 1),
        ird_after=2,
        cppm_after=26,
        categories=("neglect", "domestic_abuse"),
        kind="pre_birth",
    )
    journey(
        team_manager,
        received=date(2026, 1, 5),
        ird_after=10,
        cppm_after=40,
        categories=("neglect", "domestic_abuse", "emotional_abuse"),
    )
    review = meeting(first.referral, team_manager, "review", at(date(2026, 3, 1)))
    Registration.objects.filter(pk=first.pk).update(ended_on=date(2026, 3, 1), ended_at=review)
    meeting(first.referral, team_manager, "transfer", at(date(2026, 4, 1)))
    Registration.objects.create(
        person=PersonFactory(),
        temporary=True,
        from_authority="Highland Council",
        registered_on=date(2026, 5, 1),
        recorded_by=team_manager,
    )
    # Outside the year: registered in July 2025, an initial CPPM held on 1 August 2026.
    journey(team_manager, received=date(2025, 6, 1), ird_after=1, cppm_after=30)
    journey(team_manager, received=date(2026, 7, 20), ird_after=1, cppm_after=12)


def test_the_figures_for_a_year(year_of_work):
    found = statistics.child_protection_statistics(*YEAR)

    assert (found.registrations, found.temporary_registrations, found.deregistrations) == (3, 1, 1)
    assert found.conferences == {"initial": 2, "pre_birth": 1, "review": 1, "transfer": 1}
    assert (found.registered_at_conference, found.one_concern, found.multiple_concerns) == (3, 1, 2)
    assert found.concerns[0] == ("neglect", "Neglect", 3)
    assert ("domestic_abuse", "Domestic abuse", 2) in found.concerns
    assert found.journeys == 3
    assert found.median_concern_to_ird == 2.0
    assert found.median_ird_to_cppm == 24.0  # 20, 24 and 30 days
    assert found.median_concern_to_cppm == 26.0


def test_an_even_number_of_journeys_takes_the_middle_two(team_manager):
    journey(team_manager, received=date(2025, 9, 1), ird_after=1, cppm_after=20)
    journey(team_manager, received=date(2025, 9, 1), ird_after=4, cppm_after=30)
    found = statistics.child_protection_statistics(*YEAR)
    assert (found.median_concern_to_ird, found.median_concern_to_cppm) == (2.5, 25.0)


def test_an_empty_period_has_no_medians():
    found = statistics.child_protection_statistics(*YEAR)
    assert found.registrations == 0 and found.median_concern_to_cppm is None


def statistics_queries(start, end) -> int:
    with CaptureQueriesContext(connection) as queries:
        statistics.child_protection_statistics(start, end)
    return len(queries)


def test_the_figures_take_a_fixed_number_of_queries(team_manager):
    journey(team_manager, received=date(2025, 9, 1), ird_after=1, cppm_after=21)
    one = statistics_queries(*YEAR)
    for day in range(1, 8):
        journey(
            team_manager,
            received=date(2025, 10, day),
            ird_after=day,
            cppm_after=20 + day,
            categories=("neglect", "physical_abuse"),
        )
    assert statistics_queries(*YEAR) == one == 5


# --- The page and the CSV -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("committee_member", 200),
        ("service_manager", 200),
        ("team_manager", 403),
        ("social_worker", 403),
        ("police_participant", 403),
        ("hub_reviewer", 403),
        ("administrator", 403),
    ],
)
def test_who_reads_the_statistics(client, request, role, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("ird:statistics")).status_code == expected
    assert client.get(reverse("ird:statistics_csv")).status_code == expected


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(reverse("ird:statistics")).status_code == 302
    assert client.get(reverse("ird:statistics_csv")).status_code == 302


def test_the_page_shows_the_statistics_year_by_default(client, committee_member):
    client.force_login(committee_member)
    with time_machine.travel(datetime(2026, 9, 15, 10, tzinfo=LONDON), tick=False):
        response = client.get(reverse("ird:statistics"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 August 2026 to 31 July 2027" in body
    assert 'value="2026-08-01"' in body and 'value="2027-07-31"' in body
    row = AuditEntry.objects.get(object_type="cp_statistics")
    assert (row.action, row.detail) == ("view", {"start": "2026-08-01", "end": "2027-07-31"})


def test_the_page_and_its_link_in_the_menu(client, committee_member, year_of_work):
    client.force_login(committee_member)
    response = client.get(reverse("ird:statistics"), {"start": "2025-08-01", "end": "2026-07-31"})
    body = response.content.decode()
    assert 'href="/ird/statistics/"' in body  # the menu
    assert "With more than one concern" in body
    assert "start=2025-08-01&amp;end=2026-07-31" in body  # the CSV link keeps the period


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "1899-12-31", "end": "2026-07-31"}, "Enter a date from 1900 to 2100."),
        ({"start": "2025-08-01", "end": "2101-01-01"}, "Enter a date from 1900 to 2100."),
        ({"start": "2026-07-31", "end": "2025-08-01"}, "must be after its start"),
        ({"start": "2026-07-31", "end": "2026-07-31"}, "must be after its start"),
        ({"start": "not a date", "end": "2026-07-31"}, "Enter a real date"),
        ({"start": "99999-01-01", "end": "2026-07-31"}, "Enter a real date"),
        ({"end": "2026-07-31"}, "Enter the first day of the period."),
    ],
)
def test_a_bad_period_is_a_form_error(client, service_manager, query, message):
    client.force_login(service_manager)
    for name in ("ird:statistics", "ird:statistics_csv"):
        response = client.get(reverse(name), query)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not AuditEntry.objects.filter(object_type="cp_statistics").exists()


def test_the_csv_return(client, committee_member, year_of_work, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "100000/min"}
    client.force_login(committee_member)
    response = client.get(
        reverse("ird:statistics_csv"), {"start": "2025-08-01", "end": "2026-07-31"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        "child-protection-statistics-2025-08-01-to-2026-07-31.csv"
        in (response["Content-Disposition"])
    )
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    values = dict(zip(header, row, strict=True))
    assert header[: len(statistics.RETURN_COLUMNS)] == statistics.RETURN_COLUMNS
    assert values["registrations"] == "3" and values["de_registrations"] == "1"
    assert values["conference_type_pre_birth"] == "1"
    assert values["children_with_multiple_concerns_per_conference"] == "2"
    assert values["concerns_identified_at_case_conference_neglect"] == "3"
    assert values["concerns_identified_at_case_conference_sexual_abuse"] == "0"
    assert values["median_days_concern_to_cppm"] == "26.0"
    export = AuditEntry.objects.get(object_type="cp_statistics")
    assert export.action == "export" and export.detail["share_route"] == "csv_export"


def test_the_csv_is_rate_limited(client, service_manager, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "2/min"}
    client.force_login(service_manager)
    statuses = [client.get(reverse("ird:statistics_csv")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_page_takes_fixed_queries(client, service_manager, team_manager):
    client.force_login(service_manager)
    journey(team_manager, received=date(2025, 9, 1), ird_after=1, cppm_after=21)
    query = {"start": "2025-08-01", "end": "2026-07-31"}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ird:statistics"), query).status_code == 200
        return len(queries)

    one = count()
    for day in range(1, 6):
        journey(team_manager, received=date(2025, 11, day), ird_after=day, cppm_after=30)
    assert count() == one
