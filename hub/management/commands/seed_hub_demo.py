"""Load the practice hub's demo data on top of `seed_demo`: the hub's settings and audit panel,
completed quality reviews with their feedback (scores improving over the year, some late),
decision reviews, last period's practice audit round (graded, learning summary sent) and this
period's round, open for grading.

Idempotent: only reviews still queued are completed, and an audit round exists once per
period. History is replayed at its own time (each step at the moment it happened), and the
notifications it makes are marked read and e-mailed so a demo starts without a flood."""

import random
import uuid
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from hub import sampling, services
from hub.models import (
    AuditAssignment,
    AuditPanelMember,
    AuditRound,
    HubSettings,
    Review,
    Rubric,
)
from referrals.management.commands.seed_demo import TOKEN_NAMESPACE
from referrals.models import Notification, Referral, Staff, Team
from referrals.services.feedback import feedback_acknowledge

REVIEWED_REFERRALS = 44  # the newest six demo referrals stay in the queue
PANEL = ["hub.reviewer", "cpc.qa", "ird.police", "ird.health", "ird.education"]
FINDINGS = [
    "The chronology is current and shows the pattern of concerns clearly.",
    "Risk is described but not analysed: the chronology is listed, not weighed.",
    "The child was seen and their words recorded; the parents' views are missing.",
    "Good information sharing with health; education was not asked.",
]
LEARNING = [
    "Analyse the chronology, do not only list it.",
    "Record the child's own words, and the parents' views.",
    "Ask every agency that knows the family, including the school.",
    "Record the lawful basis for sharing in every referral.",
]
SUMMARY = (
    "Chronologies are kept up to date, and children are seen promptly. Analysis of risk is "
    "the weakest area: too many records list events without weighing what they mean "
    "together, which is where cumulative harm and neglect are missed. Record the child's own "
    "words, ask every agency that knows the family, and record the basis for sharing."
)


@contextmanager
def at(moment: datetime):
    """Everything inside happens at `moment`, as seed_demo replays its history."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _quietly(notifications, moment: datetime) -> None:
    """Seeded history was read and e-mailed long ago."""
    notifications.filter(read_at__isnull=True).update(read_at=moment, emailed_at=moment)


class Command(BaseCommand):
    help = "Load demo practice hub data: reviews with feedback and audit rounds (idempotent)."

    def handle(self, *args, **options):
        reviewer = Staff.objects.filter(username="hub.reviewer").first()
        committee = Staff.objects.filter(username="cpc.qa").first()
        if reviewer is None or committee is None:
            self.stderr.write("Run seed_demo first: the hub's demo needs its users.")
            return
        services.reference_data_ensure()
        with transaction.atomic():
            settings = HubSettings.current()
            if settings.hub_team_id is None:
                settings.hub_team = Team.objects.filter(name="Practice hub").first()
                settings.save(update_fields=["hub_team"])
            for staff in Staff.objects.filter(username__in=PANEL):
                AuditPanelMember.objects.get_or_create(staff=staff)
        reviewed = self._reviews(reviewer)
        decisions = self._decision_reviews(reviewer)
        rounds = self._audit_rounds(settings, committee)
        self.stdout.write(
            self.style.SUCCESS(
                f"Practice hub demo ready: {reviewed} referral reviews and {decisions} decision "
                f"reviews completed now, {Review.objects.filter(state='queued').count()} in the "
                f"queue; {rounds} audit round(s) opened."
            )
        )

    def _demo_referrals(self, count: int) -> list[tuple[int, Referral]]:
        found = []
        for number in range(count):
            token = uuid.uuid5(TOKEN_NAMESPACE, f"demo-referral-{number}")
            referral = Referral.objects.filter(intake_token=token).first()
            if referral is not None:
                found.append((number, referral))
        return found

    def _reviews(self, reviewer) -> int:
        done = 0
        rubric = services.rubric_in_use(Rubric.Kind.REFERRAL)
        supports = list(rubric.factors.filter(kind="support"))
        barriers = list(rubric.factors.filter(kind="barrier"))
        for number, referral in self._demo_referrals(REVIEWED_REFERRALS):
            review = Review.objects.filter(
                referral=referral, kind=Review.Kind.REFERRAL, state=Review.State.QUEUED
            ).first()
            if review is None:
                continue
            rng = random.Random(f"review-{number}")
            # Quality improves through the year, unevenly.
            level = min(6, max(1, round(2 + number / 14 + rng.choice([-1, 0, 0, 1]))))
            when = referral.received_at + timedelta(
                days=rng.choice([1, 2, 3, 4, 9]), hours=rng.randint(1, 6)
            )
            with transaction.atomic(), at(when):
                services.review_claim(review=review, reviewer=reviewer, now=when)
                review.refresh_from_db()
                scores = {
                    c.pk: services.Score(min(6, max(1, level + rng.choice([-1, 0, 1]))))
                    for c in review.rubric.criteria.all()
                }
                factors = rng.sample(supports, k=rng.randint(0, 2)) + rng.sample(
                    barriers, k=rng.randint(0, 3 if level < 4 else 1)
                )
                services.review_submit(
                    review=review,
                    reviewer=reviewer,
                    scores=scores,
                    overall=level,
                    now=when,
                    factor_ids=[f.pk for f in factors],
                    overall_comment="Thank you for this referral. "
                    + (
                        "It gives a clear picture of the concern."
                        if level >= 4
                        else "Say more about what the child said and what has happened before."
                    ),
                )
                _quietly(
                    Notification.objects.filter(
                        referral=referral, title__startswith="Practice hub"
                    ),
                    when,
                )
            if number < 30 and referral.received_by_id:
                later = when + timedelta(days=1)
                with at(later):
                    feedback_acknowledge(feedback=referral.feedback.get(), by=referral.received_by)
            done += 1
        return done

    def _decision_reviews(self, reviewer) -> int:
        done = 0
        for number, referral in self._demo_referrals(36):
            review = Review.objects.filter(
                referral=referral, kind=Review.Kind.DECISION, state=Review.State.QUEUED
            ).first()
            if review is None:
                continue
            rng = random.Random(f"decision-{number}")
            level = min(6, max(2, round(3 + number / 18 + rng.choice([-1, 0, 1]))))
            when = review.entered_at + timedelta(days=rng.choice([2, 5, 8, 16]))
            with transaction.atomic(), at(when):
                services.review_claim(review=review, reviewer=reviewer, now=when)
                review.refresh_from_db()
                services.review_submit(
                    review=review,
                    reviewer=reviewer,
                    overall=level,
                    now=when,
                    scores={
                        c.pk: services.Score(min(6, max(1, level + rng.choice([-1, 0]))))
                        for c in review.rubric.criteria.all()
                    },
                )
                _quietly(
                    Notification.objects.filter(
                        referral=referral, title__startswith="Practice hub"
                    ),
                    when,
                )
            done += 1
        return done

    def _audit_rounds(self, settings, committee) -> int:
        opened = 0
        today = timezone.localdate()
        current = sampling.audit_period_start(today, settings.audit_every_months)
        previous = sampling.months_before(current, settings.audit_every_months)
        if not AuditRound.objects.filter(period_start=previous).exists():
            self._past_round(previous, committee)
            opened += 1
        if not AuditRound.objects.filter(period_start=current).exists():
            services.audit_round_open(opened_by=committee)
            opened += 1
        return opened

    @transaction.atomic
    def _past_round(self, period_start, committee) -> None:
        start = timezone.make_aware(datetime.combine(period_start, time(9)))
        with at(start):
            audit_round, _ = services.audit_round_open(
                now=start, opened_by=committee, seed=20260101
            )
        rng = random.Random("past-audit")
        criteria = list(audit_round.rubric.criteria.all())
        assignments = AuditAssignment.objects.filter(record__round=audit_round).select_related(
            "auditor"
        )
        for number, assignment in enumerate(assignments):
            if number % 7 == 6:
                continue  # not every auditor finished in time
            when = start + timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 6))
            level = rng.choice([2, 3, 3, 4, 4, 5])
            with at(when):
                services.audit_assignment_submit(
                    assignment=assignment,
                    auditor=assignment.auditor,
                    now=when,
                    grades={
                        c.pk: services.Score(min(6, max(1, level + rng.choice([-1, 0, 1]))))
                        for c in criteria
                    },
                    findings=rng.choice(FINDINGS),
                    learning_points=rng.choice(LEARNING),
                )
        sent = start + timedelta(days=30)
        with at(sent):
            services.audit_summary_send(
                audit_round=audit_round, sent_by=committee, summary=SUMMARY, now=sent
            )
        _quietly(Notification.objects.filter(title__contains=str(audit_round)), sent)
