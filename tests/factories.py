"""factory_boy factories. Referrals made here skip the intake service: use
`make_referral` when the test needs chronology, flags and audit as intake makes them."""

import datetime

import factory
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from referrals.models import (
    Agency,
    ConcernCategory,
    Deadline,
    Person,
    Referral,
    Role,
    Staff,
    Team,
    Timescale,
)
from referrals.services import intake, screening

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    code = "social-work"
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    kind = factory.LazyAttribute(
        lambda o: {
            "social-work": Agency.Kind.SOCIAL_WORK,
            "police": Agency.Kind.POLICE,
            "health": Agency.Kind.HEALTH,
            "education": Agency.Kind.EDUCATION,
        }.get(o.code, Agency.Kind.OTHER)
    )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    locality = "Elgin"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.SOCIAL_WORKER
    team = factory.SubFactory(TeamFactory)
    agency = factory.LazyAttribute(lambda o: o.team.agency if o.team else AgencyFactory())
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PasskeyFactory(factory.django.DjangoModelFactory):
    """A registered passkey as the database keeps it (the browser test registers real ones)."""

    class Meta:
        model = WebAuthnCredential

    user = factory.SubFactory(StaffFactory)
    name = factory.Sequence(lambda n: f"Passkey {n}")
    credential_id = factory.Sequence(lambda n: f"credential-{n}".encode())
    public_key = b"not a real key"
    aaguid = "00000000-0000-0000-0000-000000000000"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(2015, 3, 4)
    postcode = "IV30 1AB"


def category(code: str = "neglect") -> ConcernCategory:
    return ConcernCategory.objects.get(code=code)


def make_referral(
    *,
    team: Team,
    received_by: Staff | None = None,
    children=None,
    categories=("neglect",),
    received_at=None,
    immediate_risk=False,
    source_agency: Agency | None = None,
    adults=(),
) -> Referral:
    """A referral as the intake service records it. `children` are Person objects (existing
    records) or PersonFields (new records); default one new child."""
    child_intakes = []
    for child in children or [
        intake.PersonFields(
            first_name="Ava", last_name="Smith", date_of_birth=datetime.date(2016, 5, 1)
        )
    ]:
        if isinstance(child, Person):
            child_intakes.append(
                intake.ChildIntake(
                    details=intake.PersonFields(
                        first_name=child.first_name, last_name=child.last_name
                    ),
                    existing=child,
                )
            )
        else:
            child_intakes.append(intake.ChildIntake(details=child))
    concern = intake.Concern(
        channel=Referral.Channel.PHONE,
        source_agency=source_agency or team.agency,
        referrer_name="Anne Watt",
        summary="Child seen hungry at school.",
        immediate_risk=immediate_risk,
        categories=[category(code) for code in categories],
        sharing_basis=Referral.SharingBasis.SAFEGUARDING,
        received_at=received_at or timezone.now(),
        children=child_intakes,
        adults=list(adults),
    )
    return intake.referral_receive(concern=concern, team=team, received_by=received_by)


def overdue_deadlines(count: int, *, owner: Staff, label: str = "Worker test") -> list:
    """`count` deadlines of a one-hour timescale started three hours ago: past their due moment
    and their manager's escalation (two alerts each), not yet their service manager's. Made in
    one INSERT, as a sweep of many finds them."""
    timescale = Timescale.objects.create(
        kind=label.lower().replace(" ", "_"),
        label=label,
        amount=1,
        unit="hours",
        warning_before=datetime.timedelta(0),
        escalate_to_manager_after=datetime.timedelta(hours=1),
        escalate_to_service_manager_after=datetime.timedelta(days=30),
    )
    start = timezone.now() - datetime.timedelta(hours=3)
    return Deadline.objects.bulk_create(
        Deadline(
            timescale=timescale,
            subject_type="test",
            subject_id=str(n),
            url="/",
            owner=owner,
            team=owner.team,
            starts_at=start,
            due_at=start + datetime.timedelta(hours=1),
            next_action_at=start + datetime.timedelta(hours=1),
        )
        for n in range(count)
    )


def make_screened(referral: Referral, proposed_by: Staff, approved_by: Staff, outcome="support"):
    """The referral's screening decision proposed and approved (four eyes), as the pages do."""
    decision = screening.screening_propose(
        referral=referral,
        proposed_by=proposed_by,
        outcome=outcome,
        reasons="Family support accepted.",
        risk_analysis="Low.",
        needs_analysis="Routine.",
        cumulative_harm_analysis="None earlier.",
    )
    screening.screening_approve(decision=decision, approved_by=approved_by)
    return decision
