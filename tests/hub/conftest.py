"""Practice hub fixtures: the hub's team and settings, reviewers, and a way to make a referral
and find its review."""

import pytest

from hub import services
from hub.models import AuditPanelMember, HubSettings, Review, Rubric
from referrals.api import services as api_services
from referrals.models import Role
from referrals.services import screening
from tests.api.conftest import PartnerClient
from tests.factories import StaffFactory, TeamFactory, make_referral


@pytest.fixture
def hub_team(social_work):
    return TeamFactory(agency=social_work, name="Practice hub", locality="Moray")


@pytest.fixture
def hub_settings(hub_team):
    services.reference_data_ensure()
    settings = HubSettings.current()
    settings.hub_team = hub_team
    settings.save()
    return settings


@pytest.fixture
def other_reviewer(social_work):
    return StaffFactory(role=Role.HUB_REVIEWER, team=None, agency=social_work)


@pytest.fixture
def police_auditor(police):
    staff = StaffFactory(role=Role.IRD_PARTICIPANT, team=TeamFactory(agency=police))
    AuditPanelMember.objects.create(staff=staff)
    return staff


def referral_review(referral) -> Review:
    return Review.objects.get(referral=referral, kind=Review.Kind.REFERRAL)


def decision_review(referral) -> Review:
    return Review.objects.get(referral=referral, kind=Review.Kind.DECISION)


def all_scores(review: Review, score: int = 4, comment: str = "") -> dict:
    rubric = review.rubric or services.rubric_in_use(review.kind)
    return {c.pk: services.Score(score, comment) for c in rubric.criteria.all()}


def review_and_submit(
    review: Review, reviewer, *, score: int = 4, overall: int | None = None, factors=(), **kwargs
) -> Review:
    services.review_claim(review=review, reviewer=reviewer)
    review.refresh_from_db()
    return services.review_submit(
        review=review,
        reviewer=reviewer,
        scores=all_scores(review, score),
        overall=overall or score,
        factor_ids=[f.pk for f in factors],
        **kwargs,
    )


def barrier(label: str, kind: str = Rubric.Kind.REFERRAL):
    rubric = services.rubric_in_use(kind)
    return rubric.factors.get(label=label)


def approved_decision(referral, worker, manager, outcome="support"):
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=worker,
        outcome=outcome,
        reasons="Reasons.",
        risk_analysis="Risk.",
        needs_analysis="Needs.",
        cumulative_harm_analysis="Considered.",
        advice_given="Signposted." if outcome == "no_further_action" else "",
    )
    return screening.screening_approve(decision=decision, approved_by=manager)


@pytest.fixture
def referral(hub_settings, social_worker, team_manager):
    return make_referral(team=social_worker.team, received_by=social_worker)


@pytest.fixture
def police_api(police, duty_team):
    client = api_services.client_create(name="Police Scotland iVPD", agency=police)
    return PartnerClient(api_services.token_issue(client=client)[1])
