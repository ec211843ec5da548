"""Referrals from the public, the family or the child, and anonymous ones: a source that needs
no agency, with the referrer's contact details optional, and none at all when anonymous
(issue 12)."""

import pytest

from referrals.models import Agency, Referral
from referrals.referrers import referrer_problems
from tests.referrals.test_pages import (  # noqa: F401 - fixtures and helpers
    intake_data,
    step_two,
    sw_client,
    text,
)


def source(code: str) -> Agency:
    return Agency.objects.get(code=code)


@pytest.mark.parametrize("code", ["public", "family", "child-or-young-person"])
def test_a_community_referrer_may_stay_unnamed(db, code):
    assert referrer_problems(source(code)) == {}


def test_an_agency_referrer_must_be_named(social_work):
    assert referrer_problems(social_work, name="  ") == {
        "referrer_name": "Enter the referrer's name."
    }


def test_an_anonymous_concern_names_nobody(db):
    problems = referrer_problems(source("anonymous"), name="Jo Bloggs", phone="01343 000000")

    assert set(problems) == {"referrer_name", "referrer_phone"}
    assert problems["referrer_name"] == (
        "An anonymous concern names nobody: leave the referrer's name empty."
    )


def _save(client, data):
    payload = step_two(client, data).context["payload"]
    return client.post(
        "/referrals/new/", {"action": "confirm", "payload": payload, "match-child-0": "new"}
    )


def test_a_neighbour_s_concern_is_recorded_without_a_name(sw_client):  # noqa: F811
    response = _save(
        sw_client, intake_data(source("public"), referrer_name="", referrer_role="Neighbour")
    )

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.source_agency.code == "public"
    assert referral.referrer_name == "" and referral.referrer_role == "Neighbour"


def test_an_anonymous_concern_with_a_name_is_refused_naming_the_field(sw_client):  # noqa: F811
    response = sw_client.post(
        "/referrals/new/",
        intake_data(source("anonymous"), referrer_name="Jo Bloggs", referrer_email="jo@x.org"),
    )

    assert response.status_code == 400
    page = text(response)
    assert "An anonymous concern names nobody: leave the referrer's name empty." in page
    assert "leave the referrer's e-mail empty" in page
    assert not Referral.objects.exists()


def test_an_anonymous_concern_is_recorded(sw_client):  # noqa: F811
    response = _save(
        sw_client, intake_data(source("anonymous"), referrer_name="", referrer_role="")
    )

    assert response.status_code == 302
    assert Referral.objects.get().source_agency.anonymous


def test_an_agency_referral_without_a_name_is_still_refused(sw_client, police):  # noqa: F811
    response = sw_client.post("/referrals/new/", intake_data(police, referrer_name=""))

    assert response.status_code == 400
    assert "Enter the referrer's name." in text(response)


def test_the_referrer_s_manager_s_e_mail_is_kept(sw_client, police):  # noqa: F811
    _save(sw_client, intake_data(police, referrer_manager_email="sergeant@police.example"))

    assert Referral.objects.get().referrer_manager_email == "sergeant@police.example"
