"""Issue 11: an IRD decision code retired (valid-to passed) or not yet in use cannot be recorded;
records that used it keep it."""

import datetime

import pytest
from django.utils import timezone

from ird import selectors, services
from ird.errors import IrdRefused
from ird.models import DecisionCode

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("dates", ["retired", "not_yet"])
def test_a_code_out_of_its_dates_is_neither_offered_nor_recorded(started_ird, recorder, dates):
    code = DecisionCode.objects.first()
    today = timezone.localdate()
    if dates == "retired":
        code.valid_to = today - datetime.timedelta(days=1)
    else:
        code.valid_from = today + datetime.timedelta(days=1)
    code.save()

    assert code not in selectors.decision_codes_in_use()
    with pytest.raises(IrdRefused, match="not in use"):
        services.decision_add(ird=started_ird, by=recorder, code=code, rationale="Because.")


def test_a_decision_recorded_before_its_code_was_retired_stays(started_ird, recorder):
    code = DecisionCode.objects.first()
    decision = services.decision_add(ird=started_ird, by=recorder, code=code, rationale="Because.")
    DecisionCode.objects.filter(pk=code.pk).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )

    decision.refresh_from_db()
    assert decision.code.label == code.label
