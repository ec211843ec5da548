"""Demo IRDs on top of seed_demo: one scheduled IRD with police, health, education and social
work invited, one held and signed off with actions and follow-up, and an IRD procedure version
in its trial (ending soon, so its review reminder shows). After the signed-off IRD, an initial
child protection planning meeting registered the child, and the review CPPM is scheduled.

Idempotent: the two IRDs belong to the two newest child protection referrals of the duty team,
and each is moved on only while it is still requested; the procedure version is found by its
number. Each step is replayed at its own time, as seed_demo does."""

from datetime import datetime, time, timedelta
from unittest import mock

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ird import core_group, cppm, services
from ird.models import CoreGroup, Cppm, DecisionCode, Ird, IrdChild, ProcedureVersion
from ird.reference_data import ensure_ird_reference_data
from referrals.models import Agency, ConcernCategory, Referral, ScreeningDecision, Staff
from referrals.working_days import LONDON

SENIORITY = {"tm.duty": "first_line_manager"}
PROCEDURE_VERSION = "2.0"
PROCEDURE_TEXT = """\
1. Convening. Police, health or social work convene an IRD as soon as reasonably practicable \
after learning that a child may be at risk of significant harm.
2. Participants. Police, health and social work take part; education where essential.
3. Teleconference. The IRD is held by teleconference and recorded live by the agreed recorder.
4. Record. The record shows when and why the IRD started, who attended, what each agency \
shared, the decisions with reasons, actions with owners and due dates, and the lead \
professional. The chair signs it off the same or the next working day.
5. Review. This version is on trial for three months and then reviewed by the child \
protection committee."""


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


class Command(BaseCommand):
    help = "Load demo IRDs and an IRD procedure version in trial (idempotent)."

    def handle(self, *args, **options):
        ensure_ird_reference_data()
        users = {
            user.username: user
            for user in Staff.objects.filter(
                username__in=[
                    "sw.duty",
                    "tm.duty",
                    "ird.police",
                    "ird.health",
                    "ird.education",
                    "cpc.qa",
                    "sm.children",
                ]
            )
        }
        if len(users) < 7:
            raise CommandError("Run seed_demo first: the demo users are missing.")
        referrals = list(
            Referral.objects.filter(
                team__name="Duty and intake team",
                screening_decisions__outcome=ScreeningDecision.Outcome.CHILD_PROTECTION,
                screening_decisions__state=ScreeningDecision.State.APPROVED,
            ).order_by("-received_at")[:2]
        )
        done = []
        if referrals:
            done.append(self._scheduled(referrals[0], users))
        if len(referrals) > 1:
            done.append(self._signed_off(referrals[1], users))
            done.append(self._registered(referrals[1], users))
            done.append(self._core_group(referrals[1], users))
        done.append(self._procedure(users["cpc.qa"]))
        for line in filter(None, done):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"IRD demo ready ({Ird.objects.count()} IRDs)."))

    def _participants(self, users):
        return services.Schedule(
            scheduled_for=timezone.now(),
            duration_minutes=60,
            chair=users["tm.duty"],
            recorder=users["sw.duty"],
            participants=[users["ird.police"], users["ird.health"], users["ird.education"]],
            dial_in="0800 012 3456",
            meeting_id="481 516 2342",
            pin="7319",
        )

    @transaction.atomic
    def _scheduled(self, referral, users) -> str:
        ird = Ird.objects.filter(referral=referral, status=Ird.Status.REQUESTED).first()
        if ird is None:
            return ""
        tomorrow = timezone.localdate() + timedelta(days=1)
        plan = self._participants(users)
        plan.scheduled_for = datetime.combine(tomorrow, time(10, 0), tzinfo=LONDON)
        self._decide_children(ird, users["tm.duty"])
        services.ird_schedule(ird=ird, by=users["tm.duty"], plan=plan)
        return f"  {ird.reference}: scheduled for {services.local_text(plan.scheduled_for)}."

    def _decide_children(self, ird, coordinator) -> None:
        for child in ird.children.filter(included__isnull=True):
            services.child_decide(child=child, by=coordinator, include=True)

    @transaction.atomic
    def _signed_off(self, referral, users) -> str:
        ird = Ird.objects.filter(referral=referral, status=Ird.Status.REQUESTED).first()
        if ird is None:
            return ""
        coordinator, chair, recorder = users["tm.duty"], users["tm.duty"], users["sw.duty"]
        start = max(ird.requested_at + timedelta(hours=3), timezone.now() - timedelta(days=6))
        with _at(start - timedelta(hours=2)):
            plan = self._participants(users)
            plan.scheduled_for = start
            self._decide_children(ird, coordinator)
            ird = services.ird_schedule(ird=ird, by=coordinator, plan=plan)
        with _at(start):
            ird = services.ird_start(
                ird=ird,
                by=recorder,
                reason="Child protection concern approved: injury to a child seen at nursery, "
                "explanation inconsistent.",
            )
        with _at(start + timedelta(minutes=40)):
            self._record(ird, users, start)
            ird = services.ird_conclude(ird=ird, by=recorder)
        with _at(start + timedelta(hours=2)):
            ird = services.ird_sign_off(ird=ird, by=chair, confirmed=True)
            for item in list(ird.follow_up.order_by("code"))[:4]:
                services.follow_up_done(item=item, by=recorder, note="Done on the day.")
            services.record_circulate(
                ird=ird,
                by=recorder,
                recipients=[invitation.staff for invitation in ird.invitations.all()],
                other_recipient="Named person, Elgin Academy",
                other_method="secure_email",
            )
        return f"  {ird.reference}: held and signed off."

    @transaction.atomic
    def _registered(self, referral, users) -> str:
        """An initial CPPM held two days after the IRD registered the child; the review CPPM
        is scheduled a fortnight ahead, so the register shows a review due."""
        ird = Ird.objects.filter(referral=referral, status=Ird.Status.SIGNED_OFF).first()
        if ird is None or Cppm.objects.filter(referral=referral).exists():
            return ""
        chair = users["tm.duty"]
        invitees = [users["ird.police"], users["ird.health"], users["sw.duty"]]
        now = timezone.now()
        scheduled_at = ird.signed_off_at + timedelta(hours=1)
        held_at = max(
            min(ird.signed_off_at + timedelta(days=2), now - timedelta(hours=3)),
            scheduled_at + timedelta(minutes=30),
        )
        with _at(scheduled_at):
            children = cppm.cppm_children(referral, Cppm.Kind.INITIAL)
            due = cppm.cppm_due_at(referral, Cppm.Kind.INITIAL, children)
            # The demo's concern was replayed months back: past its 28 days, the service
            # manager extends them, as guidance allows, with a safety plan and reasons.
            late = due is not None and held_at > due
            initial = cppm.cppm_schedule(
                referral=referral,
                by=users["sm.children"] if late else chair,
                plan=cppm.CppmPlan(
                    kind=Cppm.Kind.INITIAL,
                    scheduled_for=held_at,
                    chair=chair,
                    invitees=invitees,
                    place="Elgin family centre, room 2",
                    short_notice_reason="Injury to a pre-school child: the agencies agreed to "
                    "meet within the week.",
                    extension_reasons="The joint investigation finished late: the CPPM waited "
                    "for the medical examination's findings."
                    if late
                    else "",
                    interim_safety_plan="The child stays with her grandmother; nursery daily; "
                    "the social worker visits twice a week."
                    if late
                    else "",
                ),
            )
        with _at(held_at + timedelta(hours=2)):
            categories = list(
                ConcernCategory.objects.filter(code__in=["physical_abuse", "neglect"])
            )
            initial = cppm.cppm_outcome_record(
                cppm=initial,
                by=chair,
                outcome=cppm.Outcome(
                    quorate=True,
                    held_at=held_at,
                    register=list(initial.children.all()),
                    categories=categories,
                    lead_professional=users["sw.duty"],
                    reporter_referral=True,
                    reporter_note="Compulsory measures may be needed: the parents do not accept "
                    "the concerns.",
                ),
            )
            cppm.cppm_record_save(
                cppm=initial,
                by=chair,
                text="Attended by police, health and social work. The child is registered "
                "under physical abuse and neglect; the core group meets within 15 working days.",
                based_on=initial.version,
                issue=True,
            )
        review_at = datetime.combine(
            timezone.localdate() + timedelta(days=14), time(10, 0), tzinfo=LONDON
        )
        review = cppm.cppm_schedule(
            referral=referral,
            by=chair,
            plan=cppm.CppmPlan(
                kind=Cppm.Kind.REVIEW,
                scheduled_for=review_at,
                chair=chair,
                invitees=invitees,
                place="Elgin family centre, room 2",
            ),
        )
        return (
            f"  {initial.reference}: held, child registered; review {review.reference} on "
            f"{services.local_text(review_at)}."
        )

    @transaction.atomic
    def _core_group(self, referral, users) -> str:
        """The registered child's core group met a couple of days after the CPPM, agreed two
        actions for the plan (one already overdue) and set its next meeting three weeks on."""
        group = CoreGroup.objects.filter(referral=referral, meetings__isnull=True).first()
        if group is None:
            return ""
        lead = group.lead_professional
        now = timezone.now()
        formed = group.formed_at.held_at
        met_at = min(formed + timedelta(days=2), now - timedelta(hours=1))
        agencies = {agency.kind: agency for agency in Agency.objects.all()}
        with _at(met_at):
            meeting = core_group.meeting_record(
                group=group,
                by=lead,
                expected_version=group.version,
                held_on=timezone.localdate(),
                attended=list(group.members.all()),
                notes="Agreed the child's plan: the child stays with her grandmother, nursery "
                "every day, a medical follow-up, and the social worker visits twice a week.",
                next_meeting_on=timezone.localdate(now) + timedelta(days=21),
            )
            group.refresh_from_db()
            # Due the day after the meeting: overdue by now, so the plan shows one.
            core_group.plan_action_add(
                group=group,
                by=lead,
                expected_version=group.version,
                description="Book the paediatric follow-up appointment.",
                owner_agency=agencies[Agency.Kind.HEALTH],
                owner=users["ird.health"],
                due_date=timezone.localdate() + timedelta(days=1),
            )
            group.refresh_from_db()
            core_group.plan_action_add(
                group=group,
                by=lead,
                expected_version=group.version,
                description="Nursery shares the child's attendance and presentation weekly.",
                owner_agency=agencies[Agency.Kind.EDUCATION],
                owner=users["ird.education"],
                due_date=timezone.localdate(now) + timedelta(days=28),
            )
        return (
            f"  Core group from {group.formed_at.reference}: met {meeting.held_on:%d %b %Y}, "
            f"next meeting {meeting.next_meeting_on:%d %b %Y}; two plan actions, one overdue."
        )

    def _record(self, ird, users, start) -> None:
        recorder = users["sw.duty"]
        agencies = {agency.kind: agency for agency in Agency.objects.all()}
        for username in ("tm.duty", "sw.duty", "ird.police", "ird.health", "ird.education"):
            person = users[username]
            services.attendance_add(
                ird=ird,
                by=recorder,
                staff=person,
                name=person.get_full_name(),
                agency=person.agency,
                role=person.job_title or person.get_role_display(),
                seniority=SENIORITY.get(username, "practitioner"),
                joined_at=start,
                left_at=start + timedelta(minutes=35),
            )
        texts = {
            "info_police": "No previous police contact with the household. Mother's partner "
            "has a 2019 conviction for assault.",
            "info_health": "Health visitor last saw the child six weeks ago; growth normal. "
            "Two missed appointments since.",
            "info_social_work": "One previous referral (neglect), closed with support.",
            "info_education": "Nursery reports bruising to the upper arm on Monday and the "
            "child saying 'he grabbed me'.",
            "parental_responsibility": "Mother (lives with the child). Father (lives in "
            "Aberdeen, has contact at weekends).",
            "child_views": "At nursery the child said 'he grabbed me' and that they did not "
            "want to go home tonight.",
            "parents_views": "Mother says the bruise came from a fall in the park; not yet "
            "seen by the father.",
            "discussion": "Agencies agreed the account and the injury need a joint response.",
            "risk_and_need": "Risk of physical harm from the mother's partner; the child "
            "needs a medical examination and a safe place tonight.",
            "decision_reasons": "The child's disclosure and the injury meet the threshold for "
            "a joint investigation.",
            "next_steps": "Social work and police visit today; review at a further IRD if the "
            "medical findings change the picture.",
        }
        for section in ird.sections.all():
            if section.key in texts:
                services.section_save(
                    ird=ird,
                    key=section.key,
                    text=texts[section.key],
                    by=recorder,
                    based_on=section.version,
                )
        services.record_details_save(
            ird=ird, by=recorder, mode="teleconference", chronology_considered=True
        )
        services.lead_professional_name(ird=ird, by=recorder, lead=users["sw.duty"])
        for code in (
            "child_protection_investigation",
            "joint_investigative_interview",
            "medical_examination",
        ):
            services.decision_add(
                ird=ird,
                by=recorder,
                code=DecisionCode.objects.get(code=code),
                rationale="Agreed by police, health and social work.",
            )
        today = timezone.localdate()
        services.action_add(
            ird=ird,
            by=recorder,
            description="Joint investigative interview planned and held.",
            owner_agency=agencies[Agency.Kind.POLICE],
            owner=users["ird.police"],
            due_date=today + timedelta(days=7),
        )
        services.action_add(
            ird=ird,
            by=recorder,
            description="Arrange the paediatric medical examination.",
            owner_agency=agencies[Agency.Kind.HEALTH],
            owner=users["ird.health"],
            due_date=today + timedelta(days=1),
        )
        services.action_add(
            ird=ird,
            by=recorder,
            description="Convene the child protection planning meeting.",
            owner_agency=agencies[Agency.Kind.SOCIAL_WORK],
            owner=users["sw.duty"],
            due_date=today + timedelta(days=21),
            holds_cppm=True,
        )
        for child in ird.children.exclude(source=IrdChild.Source.REFERRAL):
            if child.included is None:
                services.child_decide(child=child, by=users["tm.duty"], include=True)

    @transaction.atomic
    def _procedure(self, committee_member) -> str:
        if ProcedureVersion.objects.filter(version=PROCEDURE_VERSION).exists():
            return ""
        effective = timezone.localdate() - timedelta(days=85)
        procedure = services.procedure_start(
            by=committee_member,
            title="Moray inter-agency referral discussion procedure",
            version=PROCEDURE_VERSION,
            effective_from=effective,
            text=PROCEDURE_TEXT,
            document_reference="CPC/IRD/2.0",
            trial_months=3,
        )
        return (
            f"  IRD procedure version {procedure.version}: in trial until "
            f"{procedure.trial_ends_on:%d %b %Y}."
        )
