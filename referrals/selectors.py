"""Reads for pages, each in a fixed number of queries whatever the number of rows."""

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from referrals import chi, extensions, name_matching, restrictions
from referrals.models import (
    CumulativeHarmFlag,
    Deadline,
    Notification,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    Role,
    ScreeningDecision,
)

LIST_LIMIT = 50


def _referral_rows(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    return queryset.select_related("team", "source_agency").prefetch_related(
        "categories",
        Prefetch("child_links", queryset=ReferralChild.objects.select_related("person")),
    )


@dataclass
class HomeLists:
    mine: list[Referral]
    awaiting_screening: list[Referral]
    awaiting_approval: list[Referral]
    harm_flags: list[CumulativeHarmFlag]


def home_lists(user) -> HomeLists:
    open_referrals = Referral.objects.exclude(status=Referral.Status.CLOSED)
    # Team staff see their team's queues; a service manager (or someone without a team) sees all.
    team_filter = (
        Q() if user.role == Role.SERVICE_MANAGER or not user.team_id else Q(team_id=user.team_id)
    )
    mine = open_referrals.filter(
        Q(received_by=user) | Q(screening_decisions__proposed_by=user)
    ).distinct()
    awaiting_screening = open_referrals.filter(team_filter, status=Referral.Status.RECEIVED)
    awaiting_approval = open_referrals.filter(
        team_filter, screening_decisions__state=ScreeningDecision.State.PROPOSED
    )
    # Restricted children this user may not see stay off their lists (restrictions.py).
    hidden = restrictions.hidden_people(user)
    mine = mine.exclude(child_links__person_id__in=hidden)
    awaiting_screening = awaiting_screening.exclude(child_links__person_id__in=hidden)
    awaiting_approval = awaiting_approval.exclude(child_links__person_id__in=hidden)
    flags = (
        CumulativeHarmFlag.objects.filter(status=CumulativeHarmFlag.Status.OPEN)
        .exclude(person_id__in=hidden)
        .select_related("person", "rule", "triggered_by")
    )
    if team_filter:
        flags = flags.filter(triggered_by__team_id=user.team_id)
    return HomeLists(
        mine=list(_referral_rows(mine)[:LIST_LIMIT]),
        # Immediate risk first, then oldest first: the order they should be worked in.
        awaiting_screening=list(
            _referral_rows(awaiting_screening).order_by("-immediate_risk", "received_at")[
                :LIST_LIMIT
            ]
        ),
        awaiting_approval=list(
            _referral_rows(awaiting_approval).order_by("received_at")[:LIST_LIMIT]
        ),
        harm_flags=list(flags[:LIST_LIMIT]),
    )


def referral_detail(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Everything the referral page shows, in a fixed number of queries."""
    return referrals.select_related("team", "source_agency", "received_by").prefetch_related(
        "categories",
        Prefetch(
            "child_links", queryset=ReferralChild.objects.select_related("person", "proposed_match")
        ),
        Prefetch("adult_links", queryset=ReferralAdult.objects.select_related("person")),
        Prefetch(
            "screening_decisions",
            queryset=ScreeningDecision.objects.select_related("proposed_by", "reviewed_by"),
        ),
        Prefetch(
            "harm_flags", queryset=CumulativeHarmFlag.objects.select_related("rule", "person")
        ),
    )


def person_page(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.select_related("merged_into", "restriction").prefetch_related(
        Prefetch("relationships", queryset=Relationship.objects.select_related("relative")),
        Prefetch("relative_of", queryset=Relationship.objects.select_related("person")),
        Prefetch("harm_flags", queryset=CumulativeHarmFlag.objects.select_related("rule")),
    )


def people_connected_to(person: Person) -> list[Person]:
    """Everyone named in the same referrals as `person`: the people a relationship can be
    recorded with from the person's page."""
    referral_ids = ReferralChild.objects.filter(person=person).values("referral_id")
    adult_referral_ids = ReferralAdult.objects.filter(person=person).values("referral_id")
    return list(
        Person.objects.filter(
            Q(referral_links__referral_id__in=referral_ids)
            | Q(referral_links__referral_id__in=adult_referral_ids)
            | Q(adult_links__referral_id__in=referral_ids)
            | Q(adult_links__referral_id__in=adult_referral_ids),
            merged_into__isnull=True,
        )
        .exclude(pk=person.pk)
        .distinct()
        .order_by("last_name", "first_name")
    )


REFERENCE_PATTERN = re.compile(r"^[A-Za-z]{1,6}-\d{4}-\d{1,6}$")


@dataclass
class SearchResults:
    referrals: list[Referral]
    people: list[Person]
    withheld: list[Person] = ()  # restricted records that match: shown without any detail


def withhold_restricted(results: "SearchResults", hidden: set) -> "SearchResults":
    """Restricted people this user may not see are listed without name or details (opening
    one leads to the break-glass page); referrals about them are left out."""
    return SearchResults(
        referrals=[
            referral
            for referral in results.referrals
            if not any(link.person_id in hidden for link in referral.child_links.all())
        ],
        people=[person for person in results.people if person.pk not in hidden],
        withheld=[person for person in results.people if person.pk in hidden],
    )


def search(
    *, people: QuerySet[Person], referrals: QuerySet[Referral], query: str, date_of_birth=None
) -> SearchResults:
    """A reference finds its referral; a CHI number its person; otherwise names (sound-alike
    surnames included) narrowed by date of birth when given."""
    query = query.strip()
    if query and REFERENCE_PATTERN.match(query):
        found = _referral_rows(referrals.filter(reference__iexact=query))
        return SearchResults(referrals=list(found), people=[])
    people = people.filter(merged_into__isnull=True)
    digits = chi.normalise_chi(query)
    if query and digits.isdigit() and len(digits) == 10:
        people = people.filter(chi_number=digits)
    elif query:
        for word in query.split():
            key = name_matching.name_key(word)
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(known_as__icontains=word)
                | Q(last_name_key=key)
                | Q(first_name_key=key)
            )
    if date_of_birth:
        people = people.filter(date_of_birth=date_of_birth)
    return SearchResults(
        referrals=[], people=list(people.order_by("last_name", "first_name")[:LIST_LIMIT])
    )


@dataclass
class TeamWork:
    overdue: list
    due_soon: list


def team_work(user, *, now, soon) -> TeamWork:
    """Open deadlines of the manager's team (all teams for a service manager), overdue first."""
    live = Deadline.objects.filter(state__in=["open", "breached"]).select_related(
        "timescale", "owner", "team", "referral"
    )
    if user.role != Role.SERVICE_MANAGER:
        live = live.filter(team_id=user.team_id)
    return TeamWork(
        overdue=list(live.filter(due_at__lte=now).order_by("due_at")[:200]),
        due_soon=list(live.filter(due_at__gt=now, due_at__lte=soon).order_by("due_at")[:200]),
    )


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def steps_owed(user, *, now, horizon) -> list[Deadline]:
    """The open steps this person owns that are overdue or fall due before `horizon`, most
    urgent first: whatever their role, the first thing their home page shows."""
    return list(
        Deadline.objects.filter(owner=user, state__in=["open", "breached"], due_at__lte=horizon)
        .select_related("timescale", "owner", "team", "referral")
        .order_by("due_at")[:LIST_LIMIT]
    )


@dataclass(frozen=True)
class EarlierReferral:
    referral: Referral
    categories: list[str]
    decision: ScreeningDecision | None  # the newest, whatever its state
    records: list[str]  # what other apps hold about it (its IRDs), one line each


@dataclass(frozen=True)
class Involvement:
    """What a social worker needs to see of a person's past before choosing their record."""

    referrals: list[EarlierReferral]
    open_flags: list[CumulativeHarmFlag]


INVOLVEMENT_LIMIT = 10  # earlier referrals shown per person; the chronology has the rest


def involvement_of(person_ids) -> dict:
    """Each person's earlier referrals (newest first: categories, screening decision, IRDs) and
    open cumulative harm flags, for all of them at once in a fixed number of queries."""
    links = (
        ReferralChild.objects.filter(person_id__in=person_ids)
        .select_related("referral")
        .prefetch_related(
            "referral__categories",
            Prefetch(
                "referral__screening_decisions",
                queryset=ScreeningDecision.objects.order_by("-proposed_at"),
            ),
        )
        .order_by("-referral__received_at")
    )
    by_person: dict = {person_id: [] for person_id in person_ids}
    for link in links:
        shown = by_person.setdefault(link.person_id, [])
        if len(shown) < INVOLVEMENT_LIMIT:
            shown.append(link.referral)
    records = extensions.referral_summaries(
        [referral.pk for shown in by_person.values() for referral in shown]
    )
    flags: dict = {}
    for flag in CumulativeHarmFlag.objects.filter(
        person_id__in=person_ids, status=CumulativeHarmFlag.Status.OPEN
    ).select_related("rule"):
        flags.setdefault(flag.person_id, []).append(flag)
    return {
        person_id: Involvement(
            referrals=[
                EarlierReferral(
                    referral=referral,
                    categories=[category.label for category in referral.categories.all()],
                    decision=next(iter(referral.screening_decisions.all()), None),
                    records=records.get(referral.pk, []),
                )
                for referral in shown
            ],
            open_flags=flags.get(person_id, []),
        )
        for person_id, shown in by_person.items()
    }
