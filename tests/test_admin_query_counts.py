"""Issue 14 (P7): the admin's pages cost the same statements whatever the rows they show. Every
registered model's list is fetched filtered to one row and then to four (or to as many as there
are, at least two). The rows come from the demonstration data and a small generated volume
(every kind of record the system keeps), with the kinds neither makes added here. The hub's
settings are one row by design (a singleton). Every record page with inline rows is fetched
with one row of each inline and again with four."""

import datetime
import io

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from hub.models import Criterion, Factor, Review, ReviewClaim, Rubric
from ird.models import (
    Cppm,
    CppmInvitation,
    DecisionCode,
    Invitation,
    Ird,
    IrdDecision,
    ProcedureReview,
    ProcedureVersion,
    QualityReview,
)
from ird.services import procedure_start
from referrals.api import services as api_services
from referrals.api.models import (
    ApiClient,
    ApiToken,
    IdempotencyKey,
    SubmittedConcern,
    WebhookDelivery,
    WebhookEvent,
)
from referrals.models import (
    Agency,
    ClosureDay,
    Deadline,
    DeadlineAlert,
    LegalHold,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
    Staff,
)
from referrals.services import screening
from tests.factories import PersonFactory, StaffFactory, make_referral

SINGLETONS = {"hub.HubSettings"}

pytestmark = pytest.mark.django_db


def _admin_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def world(settings):
    settings.DEBUG = True  # generate_volume refuses otherwise
    with time_machine.travel(timezone.now(), tick=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command(
            "generate_volume",
            "--people",
            "40",
            "--referrals",
            "30",
            "--years",
            "1",
            "--force",
            stdout=io.StringIO(),
        )
    _kinds_neither_makes()
    settings.DEBUG = False
    # The statements logged while DEBUG was on fill the log to its limit, where a measure
    # would count nothing: empty it.
    reset_queries()


def _kinds_neither_makes() -> None:
    """Four rows of each kind the demonstration data and generate_volume leave out."""
    now = timezone.now()
    police = Agency.objects.get(code="police")
    committee = Staff.objects.filter(role=Role.COMMITTEE).first()
    people = list(Person.objects.order_by("pk")[:4])
    referrals = list(Referral.objects.order_by("pk")[:4])
    irds = list(Ird.objects.order_by("pk")[:4])
    staff = list(Staff.objects.order_by("pk")[:4])
    for n in range(4):
        Group.objects.create(name=f"Group {n}")
        client = api_services.client_create(
            name=f"Police system {n}", agency=police, webhook_url="https://example.org/hook"
        )
        api_services.token_issue(client=client)
        IdempotencyKey.objects.create(
            client=client, key=f"key-{n}", fingerprint="0" * 64, locked_at=now
        )
        SubmittedConcern.objects.create(
            referral=referrals[n],
            client=client,
            external_reference=f"EXT-{n}",
            submitted={},
            child_link_ids=[],
        )
        event = WebhookEvent.objects.create(
            client=client, event_type=WebhookEvent.Type.values[0], payload={}
        )
        WebhookDelivery.objects.create(
            event=event, url=client.webhook_url, status_code=200, succeeded=True
        )
        ClosureDay.objects.create(date=datetime.date(2031, 1, 2 + n), name="Council closure day")
        LegalHold.objects.create(
            person=people[n], reason="Court proceedings", set_by=committee, set_at=now
        )
        QualityReview.objects.create(
            ird=irds[n],
            reviewer=committee,
            reviewed_at=now,
            timeliness=4,
            attendance=4,
            completeness=4,
            rationale=4,
        )
        StaticDevice.objects.create(user=staff[n], name="Backup codes")
        sign_in = {
            "user_agent": "Firefox",
            "ip_address": f"10.0.0.{n}",
            "username": f"someone{n}",
            "http_accept": "text/html",
            "path_info": "/login/",
        }
        AccessAttempt.objects.create(**sign_in, get_data="", post_data="", failures_since_start=1)
        AccessLog.objects.create(**sign_in)
        AccessFailureLog.objects.create(**sign_in)
        if ProcedureVersion.objects.count() < 4:
            procedure_start(
                by=committee,
                title="IRD procedure",
                version=f"9.{n}",
                effective_from=timezone.localdate(),
                text="Convene within a working day.",
            )


def _cost(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def test_every_admin_list_costs_the_same_for_one_row_as_for_more(client, administrator, world):
    client.force_login(administrator)
    grown, too_few = {}, []
    for model, model_admin in _admin_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        keys = [str(pk) for pk in model_admin.get_queryset(None).values_list("pk", flat=True)[:4]]
        if len(keys) < 2:
            if meta.label not in SINGLETONS:
                too_few.append(meta.label)
            continue
        _cost(client, url)  # the first read of a list warms the admin's own caches
        field = f"{meta.pk.name}__in"
        one = _cost(client, f"{url}?{field}={keys[0]}")
        four = _cost(client, f"{url}?{field}={','.join(keys)}")
        if four != one:
            grown[meta.label] = (one, four)
    assert not grown, "\n".join(f"{k}: {v}" for k, v in grown.items())
    assert not too_few, "\n".join(too_few)


def _one_row_at_a_time(now):
    """For each admin inline: the record whose page is measured, and a maker of one more row
    of the inline on it (`n` counts the rows made)."""
    some_staff = list(Staff.objects.order_by("pk")[:4])
    worker = Staff.objects.filter(role=Role.SOCIAL_WORKER, team__isnull=False).first()
    manager = Staff.objects.filter(role=Role.TEAM_MANAGER, team=worker.team).first()
    agency = worker.agency
    codes = list(DecisionCode.objects.order_by("display_order"))
    fresh_referral = make_referral(team=worker.team, received_by=worker)

    def decision(referral, n):
        # Proposed, and returned before the next one: a referral's decisions grow by one.
        if n:
            screening.screening_return(
                decision=referral.current_decision, returned_by=manager, comment="Say more."
            )
        screening.screening_propose(
            referral=referral,
            proposed_by=worker,
            outcome="support",
            reasons="Support offered.",
            risk_analysis="Low.",
            needs_analysis="Food.",
        )
        referral.refresh_from_db()

    return {
        "hub.ReviewClaim": (
            Review.objects.first(),
            lambda review, n: ReviewClaim.objects.create(
                review=review,
                reviewer=some_staff[n],
                state=ReviewClaim.State.RELEASED,
                claimed_at=now,
                expires_at=now,
                ended_at=now,
            ),
        ),
        "hub.Criterion": (
            Rubric.objects.first(),
            lambda rubric, n: Criterion.objects.create(
                rubric=rubric, code=f"extra-{n}", label=f"Extra {n}", position=90 + n
            ),
        ),
        "hub.Factor": (
            Rubric.objects.first(),
            lambda rubric, n: Factor.objects.create(
                rubric=rubric, kind=Factor.Kind.values[0], label=f"Extra {n}", position=90 + n
            ),
        ),
        "ird.Invitation": (
            Ird.objects.first(),
            lambda ird, n: Invitation.objects.create(
                ird=ird, staff=StaffFactory(), agency=agency, invited_at=now
            ),
        ),
        "ird.IrdDecision": (
            Ird.objects.filter(decisions__isnull=True).first(),
            lambda ird, n: IrdDecision.objects.create(
                ird=ird, code=codes[n], rationale="Agreed.", recorded_by=worker, recorded_at=now
            ),
        ),
        "ird.CppmInvitation": (
            Cppm.objects.first(),
            lambda cppm, n: CppmInvitation.objects.create(
                cppm=cppm, staff=StaffFactory(), agency=agency, invited_at=now
            ),
        ),
        "ird.ProcedureReview": (
            ProcedureVersion.objects.first(),
            lambda procedure, n: ProcedureReview.objects.create(
                procedure=procedure,
                outcome=ProcedureReview.Outcome.EXTEND,
                notes="More time.",
                reviewed_by=worker,
                reviewed_at=now,
            ),
        ),
        "otp_static.StaticToken": (
            StaticDevice.objects.first(),
            lambda device, n: StaticToken.objects.create(device=device, token=f"code{n}"),
        ),
        "partner_api.ApiToken": (
            ApiClient.objects.create(name="Health system", agency=agency),
            lambda client, n: ApiToken.objects.create(
                client=client, prefix=f"{n}{client.pk}"[:8], key_hash=f"{n}" * 64, expires_at=now
            ),
        ),
        "partner_api.WebhookDelivery": (
            WebhookEvent.objects.create(
                client=ApiClient.objects.first(), event_type=WebhookEvent.Type.values[0], payload={}
            ),
            lambda event, n: WebhookDelivery.objects.create(event=event, url="https://example.org"),
        ),
        "referrals.DeadlineAlert": (
            Deadline.objects.filter(alerts__isnull=True).first(),
            lambda deadline, n: DeadlineAlert.objects.create(deadline=deadline, level=n + 1),
        ),
        "referrals.Relationship": (
            PersonFactory(),
            lambda person, n: Relationship.objects.create(
                person=person, relative=PersonFactory(), kind=Relationship.Kind.OTHER_RELATIVE
            ),
        ),
        "referrals.ReferralChild": (
            fresh_referral,
            lambda referral, n: ReferralChild.objects.create(
                referral=referral,
                person=PersonFactory(),
                match=ReferralChild.Match.NEW_RECORD,
                position=10 + n,
            ),
        ),
        "referrals.ReferralAdult": (
            fresh_referral,
            lambda referral, n: ReferralAdult.objects.create(
                referral=referral, person=PersonFactory(), relationship="carer", position=10 + n
            ),
        ),
        "referrals.ScreeningDecision": (
            make_referral(team=worker.team, received_by=worker),
            decision,
        ),
    }


def test_every_admin_record_costs_the_same_for_one_inline_row_as_for_four(
    client, administrator, world
):
    client.force_login(administrator)
    makers = _one_row_at_a_time(timezone.now())
    grown, unmeasured = {}, []
    for model, model_admin in _admin_models():
        meta = model._meta
        for inline in model_admin.inlines:
            label = inline.model._meta.label
            if label not in makers:
                unmeasured.append(label)
                continue
            record, make = makers[label]
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
            make(record, 0)
            _cost(client, url)  # the first read of a record warms the admin's own caches
            one = _cost(client, url)
            for n in range(1, 4):
                make(record, n)
            four = _cost(client, url)
            if four != one:
                grown[f"{meta.label} ({label})"] = (one, four)
    assert not grown, grown
    assert not unmeasured, unmeasured
