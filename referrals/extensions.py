"""Where hub/ and ird/ add to what the core shows, without referrals/ importing them.

An app registers its functions in its AppConfig.ready(); the core calls whatever is registered
and shows nothing more when nothing is. Registered functions only read: they never write (the
page that calls them audits the read once, as it always does).

referral_links   (user, referral) -> list[RelatedRecord]: records about the referral, shown on
                 the referral page (ird/ adds its IRDs).
concern_irds     (referral_ids, agency_id) -> {referral_id: dict}: each partner API concern's
                 `ird`, the IRD the agency takes part in, for a whole page of concerns in a
                 fixed number of queries (ird/ registers it).
ird_decisions    (referrals, since, until) -> list[(code, label, count)]: the decisions taken at
                 IRDs about `referrals` signed off in [since, until), counted in the database
                 (ird/ registers it; the committee's reports in hub/ show it).
referral_summaries (referral_ids) -> {referral_id: [str]}: what other apps hold about each of a
                 batch of referrals, in one line each (ird/ adds its IRDs and their decisions);
                 the history of involvement at intake shows it.
navigation       (user) -> list[NavigationEntry]: the menu links an app offers this user, by
                 its own access rules (hub/ its queue, audits, reports, team feedback; ird/ IRDs).
records_about    (referral_ids) -> [(object_type, object_id)]: the audit log's names for an
                 app's records about these referrals (ird/ its IRDs), for "who saw this child".
quality_scope    (user) -> referral ids: what a hub reviewer's or the committee's quality work
                 puts in front of them (hub/: its queue, their claims, the audits they grade).
referral_actions (user, referral) -> list[ActionLink]: what this user may start from the
                 referral page in another app (ird/ offers "Convene an IRD now").
home_sections    (user, now) -> list[HomeSection]: the work a user owes in an app, shown on
                 their home page (IRDs today, actions owed, reviews to claim, audits to grade).
subject_records  (person) -> list[SubjectRecord]: what an app holds about a person, gathered for
                 a subject access request (ird/ the records of the IRDs that covered them).
kept_with        (referral_ids) -> {referral_id: set[record type]}: the retention classes of an
                 app's records that go with each referral, so the referral waits for them too
                 (ird/: "ird_record" for a referral with IRDs).
kept_apart       () -> list[KeptApart]: an app's records about referrals kept on a retention
                 clock of their own, one line per referral and class (hub/: its reviews).
register_status  (person_ids) -> {person_id: RegisterStatus}: whether each child is on the
                 child protection register now, for a whole page in a fixed number of queries
                 (ird/ keeps the register); shown wherever a child is named.
emergency_measure_recorders (user, referral) -> bool: whether an app lets this user record an
                 emergency measure for the referral beyond its team (ird/: a participant
                 invited to one of its IRDs under way).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class RelatedRecord:
    heading: str  # "Inter-agency referral discussion"
    title: str  # "IRD-2026-000003"
    status: str  # "Scheduled"
    detail: str = ""  # "Scheduled for 3 May 2026 10:00"
    url: str = ""  # empty where this user may not open it


_referral_links: list[Callable] = []


def register_referral_links(function: Callable) -> None:
    if function not in _referral_links:
        _referral_links.append(function)


def referral_links(user, referral) -> list[RelatedRecord]:
    found: list[RelatedRecord] = []
    for function in _referral_links:
        found.extend(function(user, referral))
    return found


_concern_irds: list[Callable] = []


def register_concern_irds(function: Callable) -> None:
    if function not in _concern_irds:
        _concern_irds.append(function)


def concern_irds(referral_ids, agency_id) -> dict:
    """One call per page of concerns, never one per row."""
    found: dict = {}
    for function in _concern_irds:
        for referral_id, ird in function(referral_ids, agency_id).items():
            found.setdefault(referral_id, ird)
    return found


_ird_decisions: list[Callable] = []


def register_ird_decisions(function: Callable) -> None:
    if function not in _ird_decisions:
        _ird_decisions.append(function)


def ird_decisions(referrals, since, until) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for function in _ird_decisions:
        found.extend(function(referrals, since, until))
    return found


@dataclass(frozen=True)
class HomeItem:
    title: str  # "IRD-2026-000003"
    detail: str = ""  # "Today 10:00, teleconference"
    url: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class HomeSection:
    """A block of someone's home page: the work their role owes, newest or most urgent first."""

    heading: str  # "IRDs today"
    items: tuple[HomeItem, ...]
    empty: str  # what the block says when there is nothing to do
    more_url: str = ""  # the full list, where there is one
    more_label: str = ""
    order: int = 50  # lower comes first; overdue work uses 10


_home_sections: list[Callable] = []


def register_home_sections(function: Callable) -> None:
    """`function(user, now) -> list[HomeSection]`: the work this user owes in an app, in a fixed
    number of queries whatever the rows."""
    if function not in _home_sections:
        _home_sections.append(function)


def home_sections(user, now) -> list[HomeSection]:
    found: list[HomeSection] = []
    for function in _home_sections:
        found.extend(function(user, now))
    return sorted(found, key=lambda section: section.order)


_referral_summaries: list[Callable] = []


def register_referral_summaries(function: Callable) -> None:
    """`function(referral_ids) -> dict[referral_id, list[str]]`: one line per record an app keeps
    about each referral ("IRD-2026-000003, signed off 3 May 2026: child protection
    investigation"), for a whole batch of referrals in a fixed number of queries."""
    if function not in _referral_summaries:
        _referral_summaries.append(function)


def referral_summaries(referral_ids) -> dict:
    found: dict = {}
    for function in _referral_summaries:
        for referral_id, lines in function(referral_ids).items():
            found.setdefault(referral_id, []).extend(lines)
    return found


@dataclass(frozen=True)
class NavigationEntry:
    """A link in the header's menu. It is shown as current on `url` itself and on any page
    under one of `section` (for example every review under /hub/reviews/)."""

    label: str
    url: str
    order: int  # the core's links use 10-40 and 90; apps fit theirs between
    section: tuple[str, ...] = ()


_navigation: list[Callable] = []


def register_navigation(function: Callable) -> None:
    """`function(user) -> list[NavigationEntry]`: the links an app offers this user, decided
    by the app's own access rules (the core never guesses them)."""
    if function not in _navigation:
        _navigation.append(function)


def navigation(user) -> list[NavigationEntry]:
    found: list[NavigationEntry] = []
    for function in _navigation:
        found.extend(function(user))
    return found


_records_about: list[Callable] = []


def register_records_about(function: Callable) -> None:
    """`function(referral_ids) -> list[(object_type, object_id)]`: the audit log's names for
    the records an app keeps about these referrals (ird/ its IRDs), so that "who saw this child"
    finds every read of them."""
    if function not in _records_about:
        _records_about.append(function)


def records_about(referral_ids) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for function in _records_about:
        found.extend(function(referral_ids))
    return found


_quality_scope: list[Callable] = []


def register_quality_scope(function: Callable) -> None:
    """`function(user) -> QuerySet of referral ids`: the referrals an app's quality work puts
    in front of this hub reviewer or committee member now. Need to know: they read nothing else."""
    if function not in _quality_scope:
        _quality_scope.append(function)


def quality_scope(user):
    """Every app's quality scope for this user, as a queryset of referral ids (empty when no
    app gives them any)."""
    from django.db.models import Q  # noqa: PLC0415

    from referrals.models import Referral  # noqa: PLC0415 - the registry imports no models

    condition = Q(pk__in=[])
    for function in _quality_scope:
        condition |= Q(pk__in=function(user))
    return Referral.objects.filter(condition).values("pk")


@dataclass(frozen=True)
class ActionLink:
    label: str  # "Convene an IRD now"
    url: str
    hint: str = ""


_referral_actions: list[Callable] = []


def register_referral_actions(function: Callable) -> None:
    if function not in _referral_actions:
        _referral_actions.append(function)


def referral_actions(user, referral) -> list[ActionLink]:
    found: list[ActionLink] = []
    for function in _referral_actions:
        found.extend(function(user, referral))
    return found


@dataclass(frozen=True)
class SubjectRecord:
    source_type: str  # the audit log's object_type: "ird"
    source_id: str
    heading: str  # "IRD IRD-2026-000003, signed off 4 May 2026"
    occurred_at: datetime | None
    text: str  # the record as it reads now, plain text


_subject_records: list[Callable] = []


def register_subject_records(function: Callable) -> None:
    if function not in _subject_records:
        _subject_records.append(function)


def subject_records(person) -> list[SubjectRecord]:
    found: list[SubjectRecord] = []
    for function in _subject_records:
        found.extend(function(person))
    return found


_kept_with: list[Callable] = []


def register_kept_with(function: Callable) -> None:
    if function not in _kept_with:
        _kept_with.append(function)


def kept_with(referral_ids) -> dict[object, set[str]]:
    """One call for a whole listing, never one per referral."""
    found: dict = {}
    for function in _kept_with:
        for referral_id, record_types in function(referral_ids).items():
            found.setdefault(referral_id, set()).update(record_types)
    return found


@dataclass(frozen=True)
class KeptApart:
    referral_id: object
    record_type: str  # a RetentionClass.RecordType value: "hub_review"
    completed_at: datetime  # the latest completion among them: they go together


_kept_apart: list[Callable] = []


def register_kept_apart(function: Callable) -> None:
    if function not in _kept_apart:
        _kept_apart.append(function)


def kept_apart() -> list[KeptApart]:
    found: list[KeptApart] = []
    for function in _kept_apart:
        found.extend(function())
    return found


@dataclass(frozen=True)
class RegisterStatus:
    """A child on the child protection register now."""

    registered_on: date
    temporary: bool = False  # registered here while on another authority's register
    categories: tuple[str, ...] = ()  # the concern categories' labels
    review_due_on: date | None = None  # the next review (or transfer) CPPM


_register_status: list[Callable] = []


def register_register_status(function: Callable) -> None:
    if function not in _register_status:
        _register_status.append(function)


def register_status(person_ids) -> dict:
    """One call per page, never one per row: {person_id: RegisterStatus} for the registered."""
    ids = list(person_ids)
    found: dict = {}
    if not ids:
        return found
    for function in _register_status:
        for person_id, status in function(ids).items():
            found.setdefault(person_id, status)
    return found


_emergency_measure_recorders: list[Callable] = []


def register_emergency_measure_recorders(function: Callable) -> None:
    if function not in _emergency_measure_recorders:
        _emergency_measure_recorders.append(function)


def may_record_emergency_measure(user, referral) -> bool:
    return any(function(user, referral) for function in _emergency_measure_recorders)
