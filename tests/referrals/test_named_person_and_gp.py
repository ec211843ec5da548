"""Issue 12: a child's named person, GP and school, recorded at intake (page and partner API),
corrected on the person page, shown on the person page and the IRD, and handled like every
other personal detail (subject access, anonymisation)."""

import pytest
from django.urls import reverse

from referrals.models import AuditEntry, ChronologyEntry, Person
from referrals.services.disposal import _anonymise_person
from tests.factories import PersonFactory
from tests.referrals.test_pages import child_row, intake_data

pytestmark = pytest.mark.django_db
NAMED = "Mrs Rae, health visitor, 01343 123456"
GP = "Elgin Health Centre"


def test_intake_records_the_named_person_and_gp(client, social_worker, social_work):
    client.force_login(social_worker)
    row = child_row(named_person=NAMED, gp_practice=GP, school="West End Primary")
    step_two = client.post("/referrals/new/", intake_data(social_work, children=[row]))
    assert step_two.status_code == 200

    saved = client.post(
        "/referrals/new/",
        {"action": "confirm", "payload": step_two.context["payload"], "match-child-0": "new"},
    )

    assert saved.status_code == 302
    child = Person.objects.get(first_name="Ava", last_name="Smith")
    assert (child.named_person, child.gp_practice, child.school) == (NAMED, GP, "West End Primary")


def test_correcting_them_is_audited_and_the_old_value_kept(client, social_worker):
    child = PersonFactory(named_person="Mr Old", gp_practice="Old Surgery")
    client.force_login(social_worker)
    form = client.get(reverse("person_edit", args=[child.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(named_person=NAMED, gp_practice=GP, date_of_birth=child.date_of_birth.isoformat())

    response = client.post(reverse("person_edit", args=[child.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    child.refresh_from_db()
    assert (child.named_person, child.gp_practice) == (NAMED, GP)
    change = ChronologyEntry.objects.get(person=child, kind=ChronologyEntry.Kind.DETAILS_CHANGED)
    assert (
        "Named person was Mr Old" in change.summary
        and "GP practice was Old Surgery" in change.summary
    )
    assert AuditEntry.objects.filter(object_id=str(child.pk), action="change").exists()
    page = client.get(reverse("person_detail", args=[child.pk])).content.decode()
    assert NAMED in page and GP in page


def test_anonymisation_leaves_neither():
    child = PersonFactory(named_person=NAMED, gp_practice=GP)

    _anonymise_person(child)

    child.refresh_from_db()
    assert (child.named_person, child.gp_practice) == ("", "")
