"""The range every date and time input is held to (referrals.validation, 1900 to 2100), and the
strict reading of version numbers; then, as properties, that no date a person or partner
system sends to the core's pages and API is a 5xx (issue 15)."""

import datetime

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import SplitDateTimeField
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from referrals.api import services as api_services
from referrals.api.fields import StrictDateField, StrictDateTimeField
from referrals.forms import DateInput, DateTimeInput
from referrals.models import ClosureDay, Referral
from referrals.validation import (
    DATE_RANGE_MESSAGE,
    DATETIME_RANGE_MESSAGE,
    BoundedDateField,
    BoundedDateTimeField,
    in_date_range,
    parse_version,
)
from tests.api.conftest import CONCERNS, PartnerClient, concern_body
from tests.referrals.test_pages import adult_row, child_row, intake_data
from tests.strategies import aware_datetime_texts, date_texts, datetime_texts

UTC = datetime.UTC
FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
PROPERTIES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- The range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        FIRST,
        LAST,
        datetime.datetime(1900, 1, 1, tzinfo=UTC),
        datetime.datetime(
            2100, 12, 31, 23, 59, tzinfo=datetime.timezone(-datetime.timedelta(hours=12))
        ),
        None,
    ],
)
def test_from_1900_to_2100_is_accepted(value):
    in_date_range(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime.date.min, DATE_RANGE_MESSAGE),
        (datetime.date(1899, 12, 31), DATE_RANGE_MESSAGE),
        (datetime.date(2101, 1, 1), DATE_RANGE_MESSAGE),
        (datetime.date.max, DATE_RANGE_MESSAGE),
        (datetime.datetime.max.replace(tzinfo=UTC), DATETIME_RANGE_MESSAGE),
        (datetime.datetime(1899, 12, 31, 23, 59), DATETIME_RANGE_MESSAGE),
    ],
)
def test_outside_1900_to_2100_is_refused_with_a_clear_message(value, message):
    with pytest.raises(ValidationError) as refused:
        in_date_range(value)
    assert refused.value.messages == [message]


def test_a_date_picker_offers_only_the_range():
    class Form(forms.Form):
        day = BoundedDateField(widget=DateInput())
        moment = BoundedDateTimeField(widget=DateTimeInput())

    page = str(Form())
    assert 'type="date" name="day" min="1900-01-01" max="2100-12-31"' in page
    assert 'min="1900-01-01T00:00" max="2100-12-31T23:59"' in page


@given(text=st.one_of(st.text(max_size=30), st.integers().map(str)))
@example(text="\u00b9")
@example(text="\u00b2\u00b3")
@example(text="\u0661")
@example(text="9" * 5000)
def test_a_version_is_ascii_digits_or_nothing(text):
    ascii_digits = text.isascii() and text.isdigit() and len(text) <= 18
    assert parse_version(text) == (int(text) if ascii_digits else None)


@given(text=date_texts())
def test_a_form_date_is_in_range_or_a_form_error(text):
    try:
        value = BoundedDateField(required=False).clean(text)
    except ValidationError:
        return
    assert value is None or FIRST <= value <= LAST


@given(text=datetime_texts())
def test_a_form_time_is_in_range_or_a_form_error(text):
    try:
        value = BoundedDateTimeField(required=False).clean(text)
    except ValidationError:
        return
    assert value is None or FIRST <= value.date() <= LAST


@given(text=date_texts(), past_only=st.booleans())
def test_an_api_date_is_in_range_or_a_400(text, past_only):
    try:
        value = StrictDateField(past_only=past_only).run_validation(text)
    except serializers.ValidationError:
        return
    assert FIRST <= value <= LAST


@given(text=aware_datetime_texts(), past_only=st.booleans())
@example(text="9999-12-31T23:59:59-01:00", past_only=False)  # past the end in UTC
@example(text="0001-01-01T00:00:00+01:00", past_only=True)  # before the start in UTC
def test_an_api_time_is_in_range_or_a_400(text, past_only):
    try:
        value = StrictDateTimeField(past_only=past_only).run_validation(text)
    except serializers.ValidationError as error:
        assert all(str(message) for message in error.detail)
        return
    # In range in its own offset, so at most a day either side in UTC.
    day = datetime.timedelta(days=1)
    assert value.tzinfo is UTC and FIRST - day <= value.date() <= LAST + day


# --- The core's pages and API -----------------------------------------------------------------


@pytest.fixture
def worker_client(client, social_worker, settings):
    # Property tests search far more than a person may: lift the limit here only.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "100000/min"}
    client.force_login(social_worker)
    return client


@pytest.mark.django_db
@PROPERTIES
@given(
    field=st.sampled_from(["occurred_at", "date_of_birth", "expected_date_of_delivery", "adult"]),
    date=date_texts(),
    time=datetime_texts(),
)
@example(field="expected_date_of_delivery", date="9999-12-31", time="")
@example(field="occurred_at", date="", time="0001-01-01T00:00")
def test_no_intake_date_is_a_server_error(worker_client, social_work, field, date, time):
    """One date at a time, the rest valid; when step one takes it, the confirmation and the
    new referral's page too."""
    child = child_row()
    adult = adult_row()
    concern = {}
    if field == "occurred_at":
        concern["occurred_at"] = time
    elif field == "date_of_birth":
        child["date_of_birth"] = date
    elif field == "expected_date_of_delivery":
        child.update(date_of_birth="", unborn="on", expected_date_of_delivery=date)
    else:
        adult["date_of_birth"] = date
    data = intake_data(social_work, children=[child], adults=[adult], **concern)
    step_one = worker_client.post("/referrals/new/", data)
    assert step_one.status_code in {200, 400}
    if step_one.status_code == 200:
        confirm = worker_client.post(
            "/referrals/new/",
            {
                "action": "confirm",
                "payload": step_one.context["payload"],
                "match-child-0": "new",
                "match-adult-0": "new",
            },
        )
        assert confirm.status_code in {302, 400}
        if confirm.status_code == 302:
            assert worker_client.get(confirm["Location"]).status_code == 200


@pytest.mark.django_db
@PROPERTIES
@given(born=date_texts())
def test_no_date_of_birth_searched_for_is_a_server_error(worker_client, born):
    response = worker_client.post("/search/", {"query": "Smith", "date_of_birth": born})
    assert response.status_code in {200, 400}


@pytest.fixture
def police_api(police, duty_team):
    client = api_services.client_create(name="Police Scotland iVPD", agency=police)
    return PartnerClient(api_services.token_issue(client=client)[1], address="10.0.0.21")


@pytest.mark.django_db
@PROPERTIES
@given(
    field=st.sampled_from(["occurred_at", "date_of_birth", "expected_date_of_delivery", "adult"]),
    date=date_texts(),
    time=aware_datetime_texts(),
)
@example(field="occurred_at", date="", time="9999-12-31T23:59:59-01:00")
@example(field="expected_date_of_delivery", date="9999-12-31", time="")
@example(field="adult", date="0001-01-01", time="9999-12-31T23:59:59-23:59")
def test_no_date_a_partner_sends_is_a_server_error(police_api, field, date, time):
    """One date at a time in a concern, the rest valid; and `time` as the lists' filters."""
    child = {"first_name": "Ava", "last_name": "Smith", "date_of_birth": "2018-03-15"}
    adult = {"first_name": "Jo", "last_name": "Smith", "relationship": "parent"}
    concern = {}
    if field == "occurred_at":
        concern["occurred_at"] = time
    elif field == "date_of_birth":
        child["date_of_birth"] = date
    elif field == "expected_date_of_delivery":
        child.update(date_of_birth=None, unborn=True, expected_date_of_delivery=date)
    else:
        adult["date_of_birth"] = date
    body = concern_body(children=[child], adults=[adult], **concern)
    before = Referral.objects.count()
    response = police_api.submit(body)
    assert response.status_code in {201, 400}, response.json()
    assert Referral.objects.count() == before + (response.status_code == 201)
    assert police_api.get(CONCERNS, {"updated_since": time}).status_code in {200, 400}
    assert police_api.get("/api/v1/events/", {"since": time}).status_code in {200, 400}


def _form_classes(base=forms.BaseForm):
    for form_class in base.__subclasses__():
        yield form_class
        yield from _form_classes(form_class)


def test_every_date_typed_into_a_page_is_held_to_the_range():
    assert get_resolver().url_patterns  # importing every view, and so every form
    dated = {
        f"{form_class.__module__}.{form_class.__name__}.{name}": field
        for form_class in set(_form_classes())
        if form_class.__module__.split(".")[0] in {"referrals", "hub", "ird"}
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField | SplitDateTimeField)
    }
    assert {"ird.forms.ScheduleForm.scheduled_for", "hub.forms.ReportFilterForm.end"} <= set(dated)
    assert [name for name, field in dated.items() if in_date_range not in field.validators] == []


# --- The admin --------------------------------------------------------------------------------

OUR_APPS = {"referrals", "hub", "ird", "partner_api"}


@pytest.mark.django_db
def test_every_date_typed_in_the_admin_is_held_to_the_range(rf, administrator):
    request = rf.get("/")
    request.user = administrator
    unbounded = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS or not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue
        for name, field in model_admin.get_form(request).base_fields.items():
            dated = isinstance(field, forms.DateField | forms.DateTimeField | SplitDateTimeField)
            if dated and in_date_range not in field.validators:
                unbounded.append(f"{model.__name__}.{name}")
    assert unbounded == []


@pytest.mark.django_db
def test_a_closure_day_in_9999_is_a_form_error_in_the_admin(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:referrals_closureday_add")

    refused = client.post(url, {"date": "9999-12-31", "name": "Local holiday"})
    accepted = client.post(url, {"date": "2026-09-28", "name": "Local holiday"})

    assert refused.status_code == 200 and DATE_RANGE_MESSAGE in refused.content.decode()
    assert accepted.status_code == 302
    assert list(ClosureDay.objects.values_list("date", flat=True)) == [datetime.date(2026, 9, 28)]
