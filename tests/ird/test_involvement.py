"""The history of involvement at intake names each earlier referral's IRDs and, once held,
their decisions (ird/ fills the core's referral_summaries extension)."""

from django.utils import timezone

from referrals import selectors


def test_an_earlier_referral_s_irds_and_decisions_are_in_the_history(signed_ird, cp_referral):
    child = cp_referral.children.get()

    [earlier] = selectors.involvement_of([child.pk])[child.pk].referrals

    [line] = earlier.records
    assert line.startswith(f"{signed_ird.reference}: Signed off")
    assert "decided" in line


def test_a_requested_ird_is_named_without_decisions(requested_ird, cp_referral):
    child = cp_referral.children.get()

    [earlier] = selectors.involvement_of([child.pk])[child.pk].referrals

    assert earlier.records == [f"{requested_ird.reference}: {_requested(requested_ird)}"]


def _requested(ird) -> str:
    return f"Requested {timezone.localtime(ird.requested_at):%d %b %Y %H:%M}"
