"""Issue 16: one loader installs every app's timescales (referrals, hub, ird), whose tables
gave the ladder in hours (two of them) or as durations (ird's): each installed timescale has
the ladder its table gives, and an administrator's edit is never overwritten."""

from datetime import timedelta

import pytest

from hub import reference_data as hub_data
from ird import reference_data as ird_data
from referrals import reference_data
from referrals.models import Timescale

pytestmark = pytest.mark.django_db


def _hours(value) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(hours=value)


@pytest.mark.parametrize(
    "table", [reference_data.TIMESCALES, hub_data.TIMESCALES, ird_data.TIMESCALES]
)
def test_every_table_installs_its_ladder(table):
    Timescale.objects.all().delete()
    reference_data.ensure_timescales(Timescale)
    hub_data.ensure_hub_timescales(Timescale)
    ird_data.ensure_timescales(Timescale)

    for kind, _label, amount, unit, warn, manager, service_manager, _source in table:
        installed = Timescale.objects.get(kind=kind)
        assert (installed.amount, installed.unit) == (amount, unit)
        assert (
            installed.warning_before,
            installed.escalate_to_manager_after,
            installed.escalate_to_service_manager_after,
        ) == (_hours(warn), _hours(manager), _hours(service_manager)), kind
        assert installed.task, kind


def test_an_edited_timescale_is_kept():
    Timescale.objects.filter(kind="screening").update(amount=3, task="Screen it")

    reference_data.ensure_timescales(Timescale)

    edited = Timescale.objects.get(kind="screening")
    assert (edited.amount, edited.task) == (3, "Screen it")
