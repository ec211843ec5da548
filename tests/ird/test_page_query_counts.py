"""Issue 14 (P7): the IRD's own pages cost the same statements whatever they show: the record
under way with one action, attendee and decision, then with four of each; the IRD page and its
printable record likewise. (The IRD list, home, statistics, register, CPPMs due and core group
pages are measured in tests/test_query_counts.py and beside their features.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ird import services
from ird.models import DecisionCode

pytestmark = pytest.mark.django_db

PAGES = ["/ird/{id}/", "/ird/{id}/record/", "/ird/{id}/record/print/"]


def _more(ird, recorder, police, count: int) -> None:
    """`count` more actions, attendees and decisions on the record."""
    codes = list(DecisionCode.objects.order_by("display_order")[:4])
    for n in range(count):
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
    for code in codes[:count]:
        if not ird.decisions.filter(code=code).exists():
            services.decision_add(ird=ird, by=recorder, code=code, rationale="Agreed.")


@pytest.mark.parametrize("page", PAGES)
def test_an_ird_page_costs_the_same_with_one_row_of_each_as_with_four(
    page, client, started_ird, recorder, police
):
    client.force_login(recorder)
    url = page.format(id=started_ird.pk)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _more(started_ird, recorder, police, 1)
    cost()  # the first request after signing in also slides the session
    one = cost()
    _more(started_ird, recorder, police, 3)

    assert cost() == one
