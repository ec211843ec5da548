"""Receiving a concern: the one entry point for the intake form and the partner API."""

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from referrals import (
    audit,
    chronology,
    cumulative_harm,
    deadlines,
    extensions,
    memo,
    notifications,
    references,
)
from referrals.models import (
    Agency,
    ChronologyEntry,
    ConcernCategory,
    Notification,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Team,
)


@dataclass
class PersonFields:
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    unborn: bool = False
    expected_date_of_delivery: date | None = None
    chi_number: str = ""
    sex: str = Person.Sex.UNKNOWN
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    school: str = ""
    named_person: str = ""
    gp_practice: str = ""


@dataclass
class ChildIntake:
    """A child named in the concern. `existing` is the record a social worker chose (or the
    partner API matched by CHI); `to_confirm` a likely match still awaiting a social worker."""

    details: PersonFields
    existing: Person | None = None
    match_score: int | None = None
    to_confirm: Person | None = None
    # The child's link to the referral, set when the concern is recorded: callers that must
    # name the links in the order the children came (the partner API) need not read them back.
    link: ReferralChild | None = field(default=None, compare=False, repr=False)


@dataclass
class AdultIntake:
    details: PersonFields
    relationship: str = ""
    existing: Person | None = None


@dataclass
class Concern:
    channel: str
    source_agency: Agency
    referrer_name: str
    summary: str
    immediate_risk: bool
    categories: list[ConcernCategory]
    sharing_basis: str
    received_at: datetime | None = None
    occurred_at: datetime | None = None
    referrer_role: str = ""
    referrer_phone: str = ""
    referrer_email: str = ""
    referrer_manager_email: str = ""
    consent_sought: bool = False
    consent_given: bool | None = None
    reason_consent_not_sought: str = ""
    external_reference: str = ""
    intake_token: UUID | None = None
    ird_requested: bool = False
    children: list[ChildIntake] = field(default_factory=list)
    adults: list[AdultIntake] = field(default_factory=list)


@dataclass(frozen=True)
class PersonToMatch:
    """A person named on the form, the existing records that may be them (matching.Candidate)
    and what the social worker chose: a record's id, "new", or nothing yet."""

    field: str
    name: str  # shown back to the social worker only
    candidates: tuple
    choice: str


def records_choose(people: list[PersonToMatch]) -> tuple[dict, dict]:
    """Each person's chosen record ({field: Candidate, or None for a new record}) and, instead,
    what must be chosen again ({field: message}): a new record is refused where a candidate
    shares the CHI number, and no record may stand for two people on one form."""
    chosen: dict = {}
    errors: dict = {}
    taken: set[str] = set()
    for person in people:
        allowed = {str(candidate.person.pk): candidate for candidate in person.candidates}
        if person.choice == "new":
            if any(candidate.certain for candidate in person.candidates):
                errors[person.field] = (
                    f"A record with {person.name}'s CHI number already exists: choose that record."
                )
            else:
                chosen[person.field] = None
        elif person.choice not in allowed:
            errors[person.field] = f"Choose the record for {person.name}, or a new record."
        elif person.choice in taken:
            errors[person.field] = (
                f"You chose the same record for two people: choose again for {person.name}."
            )
        else:
            chosen[person.field] = allowed[person.choice]
            taken.add(person.choice)
    return chosen, errors


def partner_concern_team() -> Team | None:
    """The team that receives concerns from partner agencies (None until one is set up)."""
    return Team.objects.filter(receives_partner_concerns=True).order_by("name", "pk").first()


def intake_team(user) -> Team:
    """The team a referral entered by this staff member goes to: their own, else the team that
    receives partner concerns, else the first of their agency's."""
    if user.team_id:
        return user.team
    return (
        partner_concern_team() or Team.objects.filter(agency=user.agency).order_by("name").first()
    )


@transaction.atomic
def referral_receive(*, concern: Concern, team: Team, received_by=None, actor=None) -> Referral:
    """Record a concern with its children and adults, add it to each child's chronology, raise
    cumulative harm flags and tell the team's managers of immediate risk.

    `received_by` is the social worker who typed it in (None for a partner system); `actor` is
    who the audit log names (defaults to `received_by`)."""
    # Receivers (hub/, ird/) ask for the same reference data again; the audit rows of the
    # referral, its new people and what receivers open are written together at the end, and so
    # are the deadlines opened (screening, the hub's review, the IRD's).
    with memo.one_change(), audit.gathered(), deadlines.gathered():
        return _receive(concern=concern, team=team, received_by=received_by, actor=actor)


def _receive(*, concern: Concern, team: Team, received_by, actor) -> Referral:
    actor = actor if actor is not None else received_by
    received_at = concern.received_at or timezone.now()
    referral = Referral.objects.create(
        reference=references.next_reference(
            settings.REFERRAL_REFERENCE_PREFIX, "referral", received_at
        ),
        team=team,
        channel=concern.channel,
        source_agency=concern.source_agency,
        referrer_name=concern.referrer_name,
        referrer_role=concern.referrer_role,
        referrer_phone=concern.referrer_phone,
        referrer_email=concern.referrer_email,
        referrer_manager_email=concern.referrer_manager_email,
        occurred_at=concern.occurred_at,
        received_at=received_at,
        summary=concern.summary,
        immediate_risk=concern.immediate_risk,
        ird_requested=concern.ird_requested,
        consent_sought=concern.consent_sought,
        consent_given=concern.consent_given,
        reason_consent_not_sought=concern.reason_consent_not_sought,
        sharing_basis=concern.sharing_basis,
        received_by=received_by,
        external_reference=concern.external_reference,
        intake_token=concern.intake_token,
    )
    referral.categories.add(*concern.categories)  # a new referral: no SELECT of those it has
    audit.record(actor=actor, action=audit.Action.CREATE, subject=referral)

    children = []
    for position, child in enumerate(concern.children):
        person = child.existing or _person_create(child.details, actor=actor)
        if child.existing is not None:
            _fill_blanks(person, child.details, actor=actor)
        child.link = ReferralChild.objects.create(
            referral=referral,
            person=person,
            match=_match_kind(child),
            match_score=child.match_score,
            proposed_match=child.to_confirm,
            position=position,
        )
        children.append(person)

    relationships = []
    for position, adult in enumerate(concern.adults):
        person = adult.existing or _person_create(adult.details, actor=actor)
        ReferralAdult.objects.create(
            referral=referral, person=person, relationship=adult.relationship, position=position
        )
        if adult.relationship in Relationship.Kind.values:
            relationships += [
                Relationship(person=child, relative=person, kind=adult.relationship)
                for child in children
            ]
    # One INSERT; a relationship already on record (relationship_unique) is kept as it is.
    Relationship.objects.bulk_create(relationships, ignore_conflicts=True)

    categories = ", ".join(category.label for category in concern.categories)
    # Dated when the concern arrived (the agencies' knowledge); when the events happened, if
    # earlier and known, is said in words.
    happened = (
        f" about events of {timezone.localtime(concern.occurred_at):%d %B %Y}"
        if concern.occurred_at
        and timezone.localdate(concern.occurred_at) != timezone.localdate(received_at)
        else ""
    )
    chronology.chronology_add(
        people=children,
        kind=ChronologyEntry.Kind.CONCERN,
        summary=f"Concern from {concern.source_agency.name}{happened} ({categories}).",
        occurred_at=received_at,
        referral=referral,
        recorded_by=received_by,
    )
    cumulative_harm.flags_evaluate(referral=referral, children=children)
    deadlines.referral_step_open(referral, "screening", owner=received_by, starts_at=received_at)
    if concern.immediate_risk:
        notifications.notify(
            notifications.team_managers(team),
            kind=Notification.Kind.IMMEDIATE_RISK,
            title=f"Immediate risk: {referral.reference}",
            body="A referral reporting immediate risk has been received.",
            referral=referral,
        )
    # hub queues its quality review; ird opens an IRD request for immediate risk or on request
    extensions.referral_received(referral=referral, actor=actor)
    return referral


def _match_kind(child: ChildIntake) -> str:
    if child.existing is not None:
        return ReferralChild.Match.MATCHED
    if child.to_confirm is not None:
        return ReferralChild.Match.TO_CONFIRM
    return ReferralChild.Match.NEW_RECORD


def _person_create(details: PersonFields, *, actor) -> Person:
    person = Person.objects.create(**vars(details))
    audit.record(actor=actor, action=audit.Action.CREATE, subject=person)
    return person


def _fill_blanks(person: Person, details: PersonFields, *, actor) -> None:
    """A matched record gains what it lacked; what it already holds is never overwritten here."""
    changed = []
    for name, value in vars(details).items():
        if value and not getattr(person, name) and name not in {"unborn"}:
            setattr(person, name, value)
            changed.append(name)
    if changed:
        person.save(update_fields=changed)
        audit.record(
            actor=actor, action=audit.Action.CHANGE, subject=person, detail={"fields": changed}
        )
