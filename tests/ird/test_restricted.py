"""An IRD about a restricted child: those invited see it (their invitation is their
clearance); a coordinator or the committee not named on the restriction breaks the glass."""

from django.urls import reverse

from referrals import restrictions
from referrals.models import Restriction


def _restrict(referral, by, allowed=()):
    restrictions.restrict(
        person=referral.children.get(),
        by=by,
        reason=Restriction.Reason.PUBLIC_FIGURE,
        explanation="",
        allowed=list(allowed),
    )


def test_the_invited_see_the_ird_of_a_restricted_child(
    client, scheduled_ird, chair, service_manager
):
    _restrict(scheduled_ird.referral, service_manager)
    client.force_login(chair)

    assert client.get(reverse("ird:detail", args=[scheduled_ird.pk])).status_code == 200


def test_a_coordinator_not_named_breaks_the_glass(
    client, scheduled_ird, team_manager, service_manager
):
    _restrict(scheduled_ird.referral, service_manager)
    client.force_login(team_manager)

    response = client.get(reverse("ird:detail", args=[scheduled_ird.pk]))

    child = scheduled_ird.referral.children.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/people/{child.pk}/break-glass/")
