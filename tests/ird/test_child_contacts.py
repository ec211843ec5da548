"""Issue 12: the IRD shows each child's school, named person and GP."""

import pytest
from django.urls import reverse

from referrals.models import Person

pytestmark = pytest.mark.django_db
NAMED = "Mrs Rae, health visitor, 01343 123456"
GP = "Elgin Health Centre"


def test_the_ird_shows_them_for_each_child(client, signed_ird, recorder):
    person = signed_ird.children.first().person
    Person.objects.filter(pk=person.pk).update(named_person=NAMED, gp_practice=GP)
    client.force_login(recorder)

    page = client.get(reverse("ird:detail", args=[signed_ird.pk])).content.decode()

    assert f"Named person: {NAMED}" in page and f"GP: {GP}" in page
