"""The one seam between the core and its two apps: referrals/ never imports hub/ or ird/.

Every crossing is a hook: a function an app adds to `registry` in its `hooks.py` (`register`,
called once from its AppConfig.ready()) under one of the Protocols below, and that the core
calls through the function of the same name here. `grep -rn "extensions\\." referrals` shows
every place the core reaches into an app; `registry.add(` in hub/hooks.py and ird/hooks.py
shows what each app answers.

Domain events (writes): called inside the transaction of the change they announce, so a hook's
writes commit or roll back with it; hooks run in INSTALLED_APPS order (hub before ird).
  ReferralReceived, ScreeningApproved, ReferralDisposing, KeptApartDisposing.
Reads: a hook never writes (the page that calls it audits the read once, as it always does).
Hooks that take a batch (of referral or person ids) are called once per page, never per row,
and answer in a fixed number of queries.

To add a hook: write its Protocol and the core's calling function here, next to its kin; write
the function in the app's hooks.py (or a module it imports) and add it in that `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar


class Registry:
    """The hooks added under each Protocol, in the order the apps added them."""

    def __init__(self) -> None:
        self._hooks: dict[type, list[Callable]] = {}

    def add(self, kind: type[H], function: H) -> None:
        if not callable(function):
            raise TypeError(f"a {kind.__name__} hook must be callable")
        added = self._hooks.setdefault(kind, [])
        if function not in added:  # ready() may run twice in tests
            added.append(function)

    def hooks(self, kind: type[H]) -> tuple[H, ...]:
        return tuple(self._hooks.get(kind, ()))


H = TypeVar("H")
registry = Registry()


# --- Domain events ----------------------------------------------------------------------------


class ReferralReceived(Protocol):
    """A referral was recorded (web form or partner API); `actor` is the staff member or API
    client the audit log names. hub queues its quality review; ird opens an IRD request at once
    for a concern of immediate risk or one asking for an IRD."""

    def __call__(self, *, referral, actor) -> None: ...


class ScreeningApproved(Protocol):
    """A manager approved a screening decision. hub queues the decision for review; ird opens
    an IRD request for a child protection outcome."""

    def __call__(self, *, referral, decision) -> None: ...


class ReferralDisposing(Protocol):
    """A closed referral past its retention period is about to be deleted or anonymised
    (`method` "delete"/"anonymise"): each app does the same to its own records about it."""

    def __call__(self, *, referral, method: str) -> None: ...


class KeptApartDisposing(Protocol):
    """An app's records about a referral kept on a clock of their own (KeptApartRecords) are
    past retention: the app deletes those of `record_type` completed on or before
    `completed_by` (a date)."""

    def __call__(self, *, referral_id, record_type: str, completed_by: date) -> None: ...


def referral_received(*, referral, actor) -> None:
    for hook in registry.hooks(ReferralReceived):
        hook(referral=referral, actor=actor)


def screening_approved(*, referral, decision) -> None:
    for hook in registry.hooks(ScreeningApproved):
        hook(referral=referral, decision=decision)


def referral_disposing(*, referral, method: str) -> None:
    for hook in registry.hooks(ReferralDisposing):
        hook(referral=referral, method=method)


def kept_apart_disposing(*, referral_id, record_type: str, completed_by: date) -> None:
    for hook in registry.hooks(KeptApartDisposing):
        hook(referral_id=referral_id, record_type=record_type, completed_by=completed_by)


# --- Reads: related records, navigation and permissions, report sections ---------------------


class ReferralLinks(Protocol):
    """Records about the referral, shown on its page (ird: IRDs, CPPMs, core groups)."""

    def __call__(self, user, referral) -> list[RelatedRecord]: ...


class ReferralActions(Protocol):
    """What this user may start from the referral page in another app ("Convene an IRD now")."""

    def __call__(self, user, referral) -> list[ActionLink]: ...


class ConcernIrds(Protocol):
    """{referral_id: dict}: each partner API concern's `ird`, the IRD the agency takes part
    in, for a whole page of concerns."""

    def __call__(self, referral_ids, agency_id) -> dict: ...


class IrdDecisions(Protocol):
    """[(code, label, count)]: decisions taken at IRDs about `referrals` signed off in
    [since, until), counted in the database (a section of hub's committee reports)."""

    def __call__(self, referrals, since, until) -> list[tuple[str, str, int]]: ...


class HomeSections(Protocol):
    """The work this user owes in an app, on their home page."""

    def __call__(self, user, now) -> list[HomeSection]: ...


class ReferralSummaries(Protocol):
    """{referral_id: [line]}: one line per record an app keeps about each of a batch of
    referrals ("IRD-2026-000003, signed off 3 May 2026: ..."), for the history at intake."""

    def __call__(self, referral_ids) -> dict: ...


class Navigation(Protocol):
    """The menu links an app offers this user, decided by the app's own access rules (the core
    never guesses them)."""

    def __call__(self, user) -> list[NavigationEntry]: ...


class RecordsAbout(Protocol):
    """[(object_type, object_id)]: the audit log's names for an app's records about these
    referrals, so that "who saw this child" finds every read of them."""

    def __call__(self, referral_ids) -> list[tuple[str, str]]: ...


class QualityScope(Protocol):
    """Referral ids (a queryset) an app's quality work puts in front of this hub reviewer or
    committee member now. Need to know: they read nothing else."""

    def __call__(self, user): ...


class SubjectRecords(Protocol):
    """What an app holds about a person, for a subject access request."""

    def __call__(self, person) -> list[SubjectRecord]: ...


class KeptWith(Protocol):
    """{referral_id: {record type}}: retention classes of an app's records that go with each
    referral, so the referral waits for them too."""

    def __call__(self, referral_ids) -> dict: ...


class KeptApartRecords(Protocol):
    """An app's records about referrals kept on a retention clock of their own, one line per
    referral and class (hub: its reviews)."""

    def __call__(self) -> list[KeptApart]: ...


class RegisterStatuses(Protocol):
    """{person_id: RegisterStatus} for those of these people on the child protection register
    now (ird keeps the register)."""

    def __call__(self, person_ids) -> dict: ...


# --- What the core calls, and the records hooks answer with ----------------------------------


@dataclass(frozen=True)
class RelatedRecord:
    heading: str  # "Inter-agency referral discussion"
    title: str  # "IRD-2026-000003"
    status: str  # "Scheduled"
    detail: str = ""  # "Scheduled for 3 May 2026 10:00"
    url: str = ""  # empty where this user may not open it


def referral_links(user, referral) -> list[RelatedRecord]:
    found: list[RelatedRecord] = []
    for function in registry.hooks(ReferralLinks):
        found.extend(function(user, referral))
    return found


def concern_irds(referral_ids, agency_id) -> dict:
    """One call per page of concerns, never one per row."""
    found: dict = {}
    for function in registry.hooks(ConcernIrds):
        for referral_id, ird in function(referral_ids, agency_id).items():
            found.setdefault(referral_id, ird)
    return found


def ird_decisions(referrals, since, until) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for function in registry.hooks(IrdDecisions):
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


def home_sections(user, now) -> list[HomeSection]:
    found: list[HomeSection] = []
    for function in registry.hooks(HomeSections):
        found.extend(function(user, now))
    return sorted(found, key=lambda section: section.order)


def referral_summaries(referral_ids) -> dict:
    found: dict = {}
    for function in registry.hooks(ReferralSummaries):
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


def navigation(user) -> list[NavigationEntry]:
    found: list[NavigationEntry] = []
    for function in registry.hooks(Navigation):
        found.extend(function(user))
    return found


def records_about(referral_ids) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for function in registry.hooks(RecordsAbout):
        found.extend(function(referral_ids))
    return found


def quality_scope(user):
    """Every app's quality scope for this user, as a queryset of referral ids (empty when no
    app gives them any)."""
    from django.db.models import Q  # noqa: PLC0415

    from referrals.models import Referral  # noqa: PLC0415 - the registry imports no models

    condition = Q(pk__in=[])
    for function in registry.hooks(QualityScope):
        condition |= Q(pk__in=function(user))
    return Referral.objects.filter(condition).values("pk")


@dataclass(frozen=True)
class ActionLink:
    label: str  # "Convene an IRD now"
    url: str
    hint: str = ""


def referral_actions(user, referral) -> list[ActionLink]:
    found: list[ActionLink] = []
    for function in registry.hooks(ReferralActions):
        found.extend(function(user, referral))
    return found


@dataclass(frozen=True)
class SubjectRecord:
    source_type: str  # the audit log's object_type: "ird"
    source_id: str
    heading: str  # "IRD IRD-2026-000003, signed off 4 May 2026"
    occurred_at: datetime | None
    text: str  # the record as it reads now, plain text


def subject_records(person) -> list[SubjectRecord]:
    found: list[SubjectRecord] = []
    for function in registry.hooks(SubjectRecords):
        found.extend(function(person))
    return found


def kept_with(referral_ids) -> dict[object, set[str]]:
    """One call for a whole listing, never one per referral."""
    found: dict = {}
    for function in registry.hooks(KeptWith):
        for referral_id, record_types in function(referral_ids).items():
            found.setdefault(referral_id, set()).update(record_types)
    return found


@dataclass(frozen=True)
class KeptApart:
    referral_id: object
    record_type: str  # a RetentionClass.RecordType value: "hub_review"
    completed_at: datetime  # the latest completion among them: they go together


def kept_apart() -> list[KeptApart]:
    found: list[KeptApart] = []
    for function in registry.hooks(KeptApartRecords):
        found.extend(function())
    return found


@dataclass(frozen=True)
class RegisterStatus:
    """A child on the child protection register now."""

    registered_on: date
    temporary: bool = False  # registered here while on another authority's register
    categories: tuple[str, ...] = ()  # the concern categories' labels
    review_due_on: date | None = None  # the next review (or transfer) CPPM


def register_status(person_ids) -> dict:
    """One call per page, never one per row: {person_id: RegisterStatus} for the registered."""
    ids = list(person_ids)
    found: dict = {}
    if not ids:
        return found
    for function in registry.hooks(RegisterStatuses):
        for person_id, status in function(ids).items():
            found.setdefault(person_id, status)
    return found


class EmergencyMeasureRecorders(Protocol):
    """Whether an app lets this user record an emergency measure for the referral beyond its
    team (ird: a participant invited to one of its IRDs under way)."""

    def __call__(self, user, referral) -> bool: ...


def may_record_emergency_measure(user, referral) -> bool:
    return any(hook(user, referral) for hook in registry.hooks(EmergencyMeasureRecorders))


class VolumeSteps(Protocol):
    """Volume data for the bench and `manage.py generate_volume` (referrals.volume): an app adds
    its own records about the generated referrals (hub its reviews, ird its IRDs); `bars(label,
    total)` gives it a progress bar, or None."""

    def __call__(self, generated, bars) -> None: ...


def volume_steps() -> tuple:
    return registry.hooks(VolumeSteps)
