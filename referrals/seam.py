"""The registry of the seam between the core and its two apps, and the Protocol of every hook.

Only hub/hooks.py and ird/hooks.py add to it (import-linter holds them to that), under one of
the Protocols below; the core calls the hooks through the functions of referrals.extensions.
Domain events (writes) are called inside the transaction of the change they announce, so a
hook's writes commit or roll back with it; reads never write, and hooks that take a batch of ids
are called once per page, never per row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # the records hooks answer with live beside the functions that call them
    from referrals.extensions import (
        ActionLink,
        HomeSection,
        KeptApart,
        NavigationEntry,
        RelatedRecord,
        SubjectRecord,
    )


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


class EmergencyMeasureRecorders(Protocol):
    """Whether an app lets this user record an emergency measure for the referral beyond its
    team (ird: a participant invited to one of its IRDs under way)."""

    def __call__(self, user, referral) -> bool: ...


class VolumeSteps(Protocol):
    """Volume data for the bench and `manage.py generate_volume` (referrals.volume): an app adds
    its own records about the generated referrals (hub its reviews, ird its IRDs); `bars(label,
    total)` gives it a progress bar, or None."""

    def __call__(self, generated, bars) -> None: ...


class PersonMerged(Protocol):
    """A duplicate person record was merged into the kept one (inside the merge's transaction):
    an app moves its own rows about the duplicate to the kept record (ird: IRD children, CPPM
    children, registrations), or refuses the merge with a MergeRefused saying why."""

    def __call__(self, *, keep, duplicate) -> None: ...
