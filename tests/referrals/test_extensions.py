"""The one seam: the core reaches hub/ and ird/ only through referrals.seam.registry."""

from unittest import mock

import pytest

from hub import hooks as hub_hooks
from ird import hooks as ird_hooks
from ird import services as ird_services
from referrals import seam
from referrals.models import ScreeningDecision
from referrals.seam import Registry
from referrals.services.screening import screening_approve, screening_propose
from tests.factories import make_referral


def _hook(*args, **kwargs):
    return ["answered"]


def test_a_hook_is_added_once_and_answers_in_the_order_added():
    registry = Registry()
    other = mock.Mock(return_value=[])
    registry.add(seam.Navigation, _hook)
    registry.add(seam.Navigation, other)
    registry.add(seam.Navigation, _hook)  # AppConfig.ready may run twice
    assert registry.hooks(seam.Navigation) == (_hook, other)
    assert registry.hooks(seam.ReferralLinks) == ()


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError):
        Registry().add(seam.Navigation, "hub.hooks.navigation")


def test_hub_and_ird_answer_the_core_s_events_from_their_hooks_modules():
    registry = Registry()
    hub_hooks.register(registry)
    ird_hooks.register(registry)
    assert registry.hooks(seam.ScreeningApproved) == (
        hub_hooks.screening_approved,
        ird_services.on_screening_approved,
    )
    assert registry.hooks(seam.ReferralDisposing)[0].__module__ == "hub.disposal"
    assert registry.hooks(seam.KeptWith)[0].__module__ == "ird.disposal"


def test_the_live_registry_holds_each_app_s_hooks_once():
    hooks = seam.registry.hooks(seam.Navigation)
    assert len(hooks) == len(set(hooks))
    assert hub_hooks.navigation in hooks and ird_hooks.navigation in hooks


@pytest.mark.django_db
def test_an_approved_child_protection_screening_calls_the_registry(social_worker, team_manager):
    referral = make_referral(team=social_worker.team, received_by=social_worker)
    decision = screening_propose(
        referral=referral,
        proposed_by=social_worker,
        outcome=ScreeningDecision.Outcome.CHILD_PROTECTION,
        reasons="Disclosure at school.",
        risk_analysis="Significant harm likely.",
        needs_analysis="Safety plan needed.",
    )
    heard = mock.Mock()
    with mock.patch.object(seam.registry, "hooks", return_value=(heard,)):
        screening_approve(decision=decision, approved_by=team_manager)
    heard.assert_called_once_with(referral=referral, decision=decision)
