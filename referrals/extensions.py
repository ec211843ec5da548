"""The one seam between the core and its two apps: referrals/ never imports hub/ or ird/.

Every crossing is a hook: a function an app adds to `seam.registry` in its `hooks.py`
(`register`, called once from its AppConfig.ready()) under one of the Protocols of
referrals/seam.py, and that the core calls through the function of the same name here, with the
records hooks answer with. `grep -rn "extensions\\." referrals` shows every place the core
reaches into an app; `registry.add(` in hub/hooks.py and ird/hooks.py shows what each app
answers; import-linter holds the Protocols to those two files.

Domain events (writes): called inside the transaction of the change they announce, so a hook's
writes commit or roll back with it; hooks run in INSTALLED_APPS order (hub before ird).
Reads: a hook never writes (the page that calls it audits the read once, as it always does).
Hooks that take a batch (of referral or person ids) are called once per page, never per row,
and answer in a fixed number of queries.

To add a hook: write its Protocol in referrals/seam.py and the core's calling function here,
next to its kin; write the function in the app's hooks.py (or a module it imports) and add it in
that `register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from referrals import seam

# --- Domain events ----------------------------------------------------------------------------


def referral_received(*, referral, actor) -> None:
    for hook in seam.registry.hooks(seam.ReferralReceived):
        hook(referral=referral, actor=actor)


def screening_approved(*, referral, decision) -> None:
    for hook in seam.registry.hooks(seam.ScreeningApproved):
        hook(referral=referral, decision=decision)


def referral_disposing(*, referral, method: str) -> None:
    for hook in seam.registry.hooks(seam.ReferralDisposing):
        hook(referral=referral, method=method)


def kept_apart_disposing(*, referral_id, record_type: str, completed_by: date) -> None:
    for hook in seam.registry.hooks(seam.KeptApartDisposing):
        hook(referral_id=referral_id, record_type=record_type, completed_by=completed_by)


def person_merged(*, keep, duplicate) -> None:
    for hook in seam.registry.hooks(seam.PersonMerged):
        hook(keep=keep, duplicate=duplicate)


# --- Reads: related records, navigation and permissions, report sections ---------------------


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
    for function in seam.registry.hooks(seam.ReferralLinks):
        found.extend(function(user, referral))
    return found


def concern_irds(referral_ids, agency_id) -> dict:
    """One call per page of concerns, never one per row."""
    found: dict = {}
    for function in seam.registry.hooks(seam.ConcernIrds):
        for referral_id, ird in function(referral_ids, agency_id).items():
            found.setdefault(referral_id, ird)
    return found


def ird_decisions(referrals, since, until) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for function in seam.registry.hooks(seam.IrdDecisions):
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
    for function in seam.registry.hooks(seam.HomeSections):
        found.extend(function(user, now))
    return sorted(found, key=lambda section: section.order)


def referral_summaries(referral_ids) -> dict:
    found: dict = {}
    for function in seam.registry.hooks(seam.ReferralSummaries):
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
    for function in seam.registry.hooks(seam.Navigation):
        found.extend(function(user))
    return found


def records_about(referral_ids) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for function in seam.registry.hooks(seam.RecordsAbout):
        found.extend(function(referral_ids))
    return found


def quality_scope(user):
    """Every app's quality scope for this user, as a queryset of referral ids (empty when no
    app gives them any)."""
    from django.db.models import Q  # noqa: PLC0415

    from referrals.models import Referral  # noqa: PLC0415 - the registry imports no models

    condition = Q(pk__in=[])
    for function in seam.registry.hooks(seam.QualityScope):
        condition |= Q(pk__in=function(user))
    return Referral.objects.filter(condition).values("pk")


@dataclass(frozen=True)
class ActionLink:
    label: str  # "Convene an IRD now"
    url: str
    hint: str = ""


def referral_actions(user, referral) -> list[ActionLink]:
    found: list[ActionLink] = []
    for function in seam.registry.hooks(seam.ReferralActions):
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
    for function in seam.registry.hooks(seam.SubjectRecords):
        found.extend(function(person))
    return found


def kept_with(referral_ids) -> dict[object, set[str]]:
    """One call for a whole listing, never one per referral."""
    found: dict = {}
    for function in seam.registry.hooks(seam.KeptWith):
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
    for function in seam.registry.hooks(seam.KeptApartRecords):
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
    for function in seam.registry.hooks(seam.RegisterStatuses):
        for person_id, status in function(ids).items():
            found.setdefault(person_id, status)
    return found


def may_record_emergency_measure(user, referral) -> bool:
    return any(hook(user, referral) for hook in seam.registry.hooks(seam.EmergencyMeasureRecorders))


def volume_steps() -> tuple:
    return seam.registry.hooks(seam.VolumeSteps)
