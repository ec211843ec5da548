"""Load the demo: one agency of each kind, teams, a user for every role and about fifty
referrals, some children referred several times so chronologies and cumulative harm show.

Idempotent: agencies, teams and users are matched by code or username, and each demo referral
carries a fixed intake token, so a second run adds nothing."""

import random
import uuid
from datetime import date, timedelta
from unittest import mock

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from referrals import chi, second_factor
from referrals.models import (
    Agency,
    ConcernCategory,
    EscalationContact,
    Person,
    Referral,
    Role,
    Staff,
    Team,
)
from referrals.progress_bar import progress
from referrals.services import intake, screening

DEMO_PASSWORD = "demo-referrals-2026"
TOKEN_NAMESPACE = uuid.UUID("6f1c1a52-2f44-4c55-9a1e-5b0c8f3a9d10")

AGENCIES = [
    ("social-work", "Moray Council Children's Social Work", Agency.Kind.SOCIAL_WORK),
    ("police", "Police Scotland (North East Division)", Agency.Kind.POLICE),
    ("health", "NHS Grampian", Agency.Kind.HEALTH),
    ("education", "Moray Council Education", Agency.Kind.EDUCATION),
]
TEAMS = [
    ("social-work", "Duty and intake team", "Elgin", True),
    ("social-work", "Children and families team (Forres)", "Forres", False),
    ("social-work", "Children and families team (Buckie)", "Buckie", False),
    ("social-work", "Practice hub", "Moray", False),
    ("police", "Public protection unit", "Elgin", False),
    ("health", "Child protection health team", "Moray", False),
    ("education", "Elgin schools", "Elgin", False),
]
# username, first, last, role, agency code, team, is_staff
USERS = [
    ("sw.duty", "Morag", "Grant", Role.SOCIAL_WORKER, "social-work", "Duty and intake team"),
    (
        "sw.forres",
        "Callum",
        "Reid",
        Role.SOCIAL_WORKER,
        "social-work",
        "Children and families team (Forres)",
    ),
    ("tm.duty", "Fiona", "Stewart", Role.TEAM_MANAGER, "social-work", "Duty and intake team"),
    (
        "tm.forres",
        "Euan",
        "Munro",
        Role.TEAM_MANAGER,
        "social-work",
        "Children and families team (Forres)",
    ),
    ("sm.children", "Alison", "Cameron", Role.SERVICE_MANAGER, "social-work", None),
    ("hub.reviewer", "Iona", "MacLeod", Role.HUB_REVIEWER, "social-work", "Practice hub"),
    ("ird.police", "Gordon", "Fraser", Role.IRD_PARTICIPANT, "police", "Public protection unit"),
    (
        "ird.health",
        "Kirsty",
        "Ross",
        Role.IRD_PARTICIPANT,
        "health",
        "Child protection health team",
    ),
    ("ird.education", "Lorna", "Duncan", Role.IRD_PARTICIPANT, "education", "Elgin schools"),
    ("cpc.qa", "Douglas", "Murray", Role.COMMITTEE, "social-work", None),
    ("audit.officer", "Kirsty", "Paterson", Role.AUDITOR, "social-work", None),
    ("ig.officer", "Euan", "Robertson", Role.INFORMATION_GOVERNANCE, "social-work", None),
    ("admin", "Site", "Administrator", Role.ADMINISTRATOR, "social-work", None),
]

SURNAMES = [
    "Smith",
    "Mackenzie",
    "Robertson",
    "Thomson",
    "Anderson",
    "Paterson",
    "Ross",
    "Campbell",
    "Wilson",
    "Duncan",
    "Innes",
    "Gordon",
    "Sutherland",
    "Hay",
    "Milne",
    "Watt",
    "Forbes",
    "Davidson",
]
FIRST_NAMES = [
    "Ava",
    "Isla",
    "Olivia",
    "Freya",
    "Emily",
    "Sophie",
    "Jack",
    "Noah",
    "Leo",
    "Harris",
    "Lewis",
    "Finlay",
    "Rory",
    "Ellie",
    "Millie",
    "Callum",
    "Archie",
    "Eilidh",
    "Lucy",
    "Oscar",
]
ADULT_NAMES = ["Karen", "Lisa", "Gemma", "Steven", "Craig", "Mark", "Nicola", "Scott"]
STREETS = [
    "High Street",
    "Moss Street",
    "South Road",
    "Pinefield Crescent",
    "Reidhaven Street",
    "Victoria Crescent",
    "Tolbooth Street",
    "Seafield Road",
]
TOWNS = [
    ("Elgin", "IV30"),
    ("Forres", "IV36"),
    ("Buckie", "AB56"),
    ("Keith", "AB55"),
    ("Lossiemouth", "IV31"),
]
STORIES = {
    "neglect": "Child arrived at school hungry and in the same clothes all week; "
    "home conditions reported as poor by the health visitor.",
    "domestic_abuse": "Police attended a domestic incident at the family home overnight; "
    "the children were present.",
    "parental_substance_misuse": "Parent found under the influence while sole carer; "
    "neighbour raised concern.",
    "parental_mental_health": "Parent disclosed low mood and thoughts of self-harm at GP "
    "appointment; young children at home.",
    "emotional_abuse": "Teacher reports child is frightened to go home and is repeatedly "
    "belittled by a carer at pick-up.",
    "physical_abuse": "Bruising to the upper arm seen at nursery; explanation inconsistent.",
    "non_engaging_family": "Family missed three health appointments and refused home visits.",
}


def demo_chi(rng: random.Random, date_of_birth: date, female: bool) -> str:
    while True:
        middle = f"{rng.randint(0, 99):02d}"
        sex_digit = rng.choice("02468" if female else "13579")
        prefix = f"{date_of_birth:%d%m%y}{middle}{sex_digit}"
        check = chi.chi_mod11_check_digit(prefix)
        if check is not None:
            return f"{prefix}{check}"


class Command(BaseCommand):
    help = "Load demo agencies, teams, users for every role and sample referrals (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            agencies = self._agencies()
            teams = self._teams(agencies)
            users = self._users(agencies, teams)
            # Monitored mailboxes for the partners' overdue IRD actions (admin: Escalation
            # contacts); the demo prints their e-mail to the console.
            for code in ("police", "health", "education"):
                EscalationContact.objects.get_or_create(
                    agency=agencies[code], team=None, mailbox=f"child-protection@{code}.example"
                )
        created = self._referrals(agencies, teams, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} users, {created} new referrals "
                f"({Referral.objects.count()} in all)."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _first, _last, role, agency, _team in USERS:
            self.stdout.write(f"  {username:<14} {Role(role).label} ({agency})")
        self.stdout.write(
            "Then the code of their authenticator: `.venv/bin/python manage.py demo_code USERNAME`"
            " prints it, or add the key of `manage.py demo_code USERNAME --key` to an app."
        )
        call_command("seed_ird_demo", stdout=self.stdout)  # ird/: demo IRDs and procedure
        call_command("seed_hub_demo", stdout=self.stdout)  # hub/: reviews, feedback, audits

    def _agencies(self):
        return {
            code: Agency.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]
            for code, name, kind in AGENCIES
        }

    def _teams(self, agencies):
        teams = {}
        for code, name, locality, partner in TEAMS:
            teams[name] = Team.objects.get_or_create(
                agency=agencies[code],
                name=name,
                defaults={"locality": locality, "receives_partner_concerns": partner},
            )[0]
        return teams

    def _users(self, agencies, teams):
        users = {}
        for username, first, last, role, agency, team in USERS:
            user = Staff.objects.filter(username=username).first()
            if user is None:
                user = Staff(
                    username=username,
                    first_name=first,
                    last_name=last,
                    role=role,
                    agency=agencies[agency],
                    team=teams.get(team),
                    email=f"{username}@example.org",
                    is_staff=role == Role.ADMINISTRATOR,
                    is_superuser=role == Role.ADMINISTRATOR,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
            if not second_factor.is_enrolled(user):
                # A known authenticator key: `manage.py demo_code USERNAME` prints the code.
                second_factor.enrol_demo(user)
            users[username] = user
        manager = users["sm.children"]
        Team.objects.filter(agency=agencies["social-work"], service_manager__isnull=True).update(
            service_manager=manager
        )
        return users

    def _referrals(self, agencies, teams, users) -> int:
        rng = random.Random(2026)
        categories = {c.code: c for c in ConcernCategory.objects.all()}
        today = timezone.localdate()
        families = []
        for index in range(18):
            surname = SURNAMES[index]
            town, district = TOWNS[index % len(TOWNS)]
            postcode = (
                f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            )
            address = (f"{rng.randint(1, 80)} {rng.choice(STREETS)}", town, postcode)
            children = []
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                born = today - timedelta(days=rng.randint(200, 16 * 365))
                first = rng.choice(FIRST_NAMES)
                female = first in {
                    "Ava",
                    "Isla",
                    "Olivia",
                    "Freya",
                    "Emily",
                    "Sophie",
                    "Ellie",
                    "Millie",
                    "Eilidh",
                    "Lucy",
                }
                children.append(
                    {
                        "first_name": first,
                        "last_name": surname,
                        "date_of_birth": born,
                        "chi_number": demo_chi(rng, born, female) if rng.random() < 0.8 else "",
                        "sex": Person.Sex.FEMALE if female else Person.Sex.MALE,
                        "address_line1": address[0],
                        "town": address[1],
                        "postcode": address[2],
                    }
                )
            families.append({"children": children, "adult": (rng.choice(ADULT_NAMES), surname)})

        created = 0
        sources = [
            agencies["police"],
            agencies["health"],
            agencies["education"],
            agencies["social-work"],
        ]
        bar = progress("Demo referrals", 50, self.stdout)
        for number in range(50):
            bar.advance()
            token = uuid.uuid5(TOKEN_NAMESPACE, f"demo-referral-{number}")
            if Referral.objects.filter(intake_token=token).exists():
                continue
            # The first families are referred again and again: that is where cumulative harm
            # and long chronologies show.
            family = families[number % 6] if number % 3 == 0 else families[number % 18]
            codes = rng.sample(list(STORIES), k=rng.choice([1, 1, 2]))
            if number % 3 == 0 and number % 6 == 0:
                codes = ["neglect"] + [c for c in codes if c != "neglect"][:1]
            received_at = timezone.now() - timedelta(
                days=(50 - number) * 7 + rng.randint(0, 5), hours=rng.randint(0, 8)
            )
            source = sources[number % len(sources)]
            self._one_referral(
                number=number,
                token=token,
                family=family,
                codes=codes,
                categories=categories,
                received_at=received_at,
                source=source,
                teams=teams,
                users=users,
            )
            created += 1
        bar.finish()
        return created

    def _one_referral(
        self, *, number, token, family, codes, categories, received_at, source, teams, users
    ):
        team = (
            teams["Duty and intake team"]
            if number % 2
            else teams["Children and families team (Forres)"]
        )
        worker = users["sw.duty"] if number % 2 else users["sw.forres"]
        manager = users["tm.duty"] if number % 2 else users["tm.forres"]
        children = []
        for child in family["children"]:
            existing = Person.objects.filter(
                first_name=child["first_name"],
                last_name=child["last_name"],
                date_of_birth=child["date_of_birth"],
                merged_into__isnull=True,
            ).first()
            children.append(
                intake.ChildIntake(
                    details=intake.PersonFields(**child),
                    existing=existing,
                    match_score=100 if existing else None,
                )
            )
        first, last = family["adult"]
        adult = Person.objects.filter(
            first_name=first, last_name=last, date_of_birth__isnull=True
        ).first()
        concern = intake.Concern(
            channel=Referral.Channel.PHONE if source.code != "police" else Referral.Channel.EMAIL,
            source_agency=source,
            referrer_name={
                "police": "PC Jamie Innes",
                "health": "Health visitor Anne Watt",
                "education": "Mrs Elaine Hay, depute head",
                "social-work": "Out of hours social worker",
            }[source.code],
            summary=" ".join(STORIES[code] for code in codes),
            immediate_risk=number % 7 == 0,
            categories=[categories[code] for code in codes],
            sharing_basis=Referral.SharingBasis.SAFEGUARDING,
            reason_consent_not_sought="Seeking consent could place the child at greater risk.",
            received_at=received_at,
            occurred_at=received_at - timedelta(hours=6),
            intake_token=token,
            children=children,
            adults=[
                intake.AdultIntake(
                    details=intake.PersonFields(first_name=first, last_name=last),
                    relationship="parent",
                    existing=adult,
                )
            ],
        )
        # Replay history: each step happens at its own time in the past, not at load time.
        with mock.patch("django.utils.timezone.now", return_value=received_at):
            referral = intake.referral_receive(concern=concern, team=team, received_by=worker)
        if number >= 46:
            return  # the newest referrals await screening
        decided_at = received_at + timedelta(hours=20)
        outcome = ["no_further_action", "support", "welfare_assessment", "child_protection"][
            number % 4
        ]
        with mock.patch("django.utils.timezone.now", return_value=decided_at):
            decision = screening.screening_propose(
                referral=referral,
                proposed_by=worker,
                outcome=outcome,
                reasons="Information gathered from partner agencies and previous records.",
                risk_analysis="Risk judged against the National Risk Framework.",
                needs_analysis="Needs considered against the wellbeing indicators (SHANARRI).",
                cumulative_harm_analysis="The pattern of concerns has been considered; "
                "see chronology.",
                advice_given="Family signposted to the family support service."
                if outcome == "no_further_action"
                else "",
            )
        if number >= 42:
            return  # these await a manager's approval
        with mock.patch("django.utils.timezone.now", return_value=decided_at + timedelta(hours=3)):
            screening.screening_approve(decision=decision, approved_by=manager, comment="Agreed.")
        if number < 30 and outcome != "child_protection":
            with mock.patch(
                "django.utils.timezone.now", return_value=decided_at + timedelta(days=10)
            ):
                screening.referral_close(
                    referral=referral,
                    closed_by=worker,
                    reason="Support in place; no further social work role.",
                )
