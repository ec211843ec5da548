"""Actions agreed at the IRD: each with an owning agency, a due date within the year (close of
business, council time) and its deadline; only the owning agency updates it, at the version
it read, and a done or cancelled action is never changed again."""

from datetime import date, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ird import access
from ird.errors import (
    ActionConflict,
    IrdRefused,
)
from ird.models import (
    Ird,
    IrdAction,
)
from ird.services.common import (
    ACTION_DUE_TIME,
    ACTION_DUE_WITHIN,
    _included_children,
    _lock,
    _record_changed,
    ird_url,
    open_deadline,
)
from ird.services.record import _recording
from referrals import (
    audit,
    chronology,
    deadlines,
)
from referrals.errors import IllegalTransition, NotPermitted
from referrals.models import (
    Agency,
    ChronologyEntry,
    Staff,
)
from referrals.working_days import LONDON


def action_due_at(due_date: date) -> datetime:
    return datetime.combine(due_date, ACTION_DUE_TIME, tzinfo=LONDON)


@transaction.atomic
def action_add(
    *,
    ird: Ird,
    by,
    description: str,
    owner_agency: Agency,
    due_date: date,
    owner: Staff | None = None,
    holds_cppm: bool = False,
) -> IrdAction:
    """An action agreed at the IRD, tracked to its due date by the timescales engine."""
    ird = _lock(ird)
    _recording(ird, by)
    if not description.strip():
        raise IrdRefused("Describe the action.")
    if owner is not None and owner.agency_id != owner_agency.pk:
        raise IrdRefused(f"{owner} does not work for {owner_agency.name}.")
    today = timezone.localdate()
    if due_date < today:
        raise IrdRefused("The due date of an action cannot be in the past.")
    if due_date > today + ACTION_DUE_WITHIN:
        raise IrdRefused(
            "An action agreed at an IRD is due within a year: "
            f"set a due date by {today + ACTION_DUE_WITHIN:%d %B %Y}."
        )
    now = timezone.now()
    action = IrdAction.objects.create(
        ird=ird,
        description=description,
        owner_agency=owner_agency,
        owner=owner,
        due_date=due_date,
        holds_cppm=holds_cppm,
        created_by=by,
    )
    open_deadline(
        "ird_action",
        subject_type="ird_action",
        subject_id=str(action.pk),
        url=ird_url(ird),
        referral=ird.referral,
        owner=owner,
        team=owner.team if owner is not None and owner.team_id else ird.referral.team,
        starts_at=now,
        due_at=max(action_due_at(due_date), now),
    )
    _record_changed(
        ird,
        key="actions",
        by=by,
        now=now,
        text=f"Action for {owner_agency.name}"
        f"{' (' + owner.get_full_name() + ')' if owner else ''}, due "
        f"{due_date:%d %b %Y}: {description}",
    )
    audit.record(
        actor=by, action=audit.Action.CHANGE, subject=ird, detail={"action": str(action.pk)}
    )
    return action


def _actor_label(by) -> str:
    if getattr(by, "is_api_client", False):
        return str(by)
    return by.get_full_name() or by.username


@transaction.atomic
def action_update(
    *, action: IrdAction, by, status: str, completion_note: str = "", expected_version: int
) -> IrdAction:
    """The owning agency reports on its action. `expected_version` is the version the form or
    the partner's ETag was read at; the UPDATE is conditional on it, so of two updates from the
    same version exactly one wins and the other is refused (ActionConflict)."""
    ird = Ird.objects.select_related("referral").get(pk=action.ird_id)
    current = IrdAction.objects.get(pk=action.pk)
    _check_action_update(ird, current, by, status, completion_note, expected_version)
    now = timezone.now()
    finished = status != IrdAction.Status.OPEN and current.status == IrdAction.Status.OPEN
    updated = IrdAction.objects.filter(pk=action.pk, version=expected_version).update(
        status=status,
        completion_note=completion_note or current.completion_note,
        completed_at=now if finished else current.completed_at,
        completed_by_label=_actor_label(by) if finished else current.completed_by_label,
        version=F("version") + 1,
        updated_at=now,
    )
    if not updated:
        raise ActionConflict(
            "This action was updated by someone else at the same moment: "
            "read it again and repeat your change if it is still needed."
        )
    action = IrdAction.objects.select_related("owner_agency", "owner").get(pk=action.pk)
    if finished:
        _action_finished(ird, action, by, now)
    change = (
        f"Action {action.get_status_display().lower()} ({_actor_label(by)}): "
        f"{action.description[:200]}"
        + (f" Note: {action.completion_note}" if action.completion_note else "")
    )
    if getattr(by, "is_api_client", False):
        # A partner system is no staff account to name as a revision's author: the audit row
        # below names it, and the watchers still see the change.
        Ird.objects.filter(pk=ird.pk).update(record_version=F("record_version") + 1, updated_at=now)
    else:
        _record_changed(ird, key="actions", by=by, now=now, text=change)
    audit.record(
        actor=by,
        action=audit.Action.CHANGE,
        subject=action,
        object_type="irdaction",
        detail={"ird": str(ird.pk), "status": status, "version": action.version},
    )
    return action


def _check_action_update(ird, current, by, status, completion_note, expected_version) -> None:
    """Who may update it (the owning agency, staff or its API client), at the version read, an
    open action only, and a note to say what was done."""
    if getattr(by, "is_api_client", False):
        allowed = access.agency_may_update_action(by.agency_id, current)
    else:
        allowed = access.viewer(by, ird).can_update_action(current)
    if not allowed:
        raise NotPermitted("Only the agency that owns this action updates it.")
    if status not in IrdAction.Status.values:
        raise IrdRefused("Choose open, done or cancelled.")
    if current.version != expected_version:
        raise ActionConflict(
            "This action was updated by someone else since you read it: "
            "read it again and repeat your change if it is still needed."
        )
    if current.status != IrdAction.Status.OPEN and status != current.status:
        raise IllegalTransition(  # 409: the action's state, not the request, is the obstacle
            f"This action is {current.get_status_display().lower()}: it cannot "
            "be changed again. Agree a new action instead."
        )
    if status == IrdAction.Status.DONE and not (completion_note or current.completion_note).strip():
        raise IrdRefused("Say what was done (completion note).")


def _action_finished(ird, action: IrdAction, by, now) -> None:
    """Done: its deadline met (and the CPPM's, where the action held it) and a chronology entry
    for the children; cancelled: its deadline cancelled."""
    if action.status != IrdAction.Status.DONE:
        deadlines.deadline_cancel(
            kind="ird_action", subject_type="ird_action", subject_id=str(action.pk)
        )
        return
    deadlines.deadline_meet(kind="ird_action", subject_type="ird_action", subject_id=str(action.pk))
    if action.holds_cppm:
        deadlines.deadline_meet(
            kind="cppm", subject_type="referral", subject_id=str(ird.referral_id)
        )
    chronology.chronology_add(
        people=_included_children(ird),
        kind=ChronologyEntry.Kind.ACTION,
        summary=f"IRD {ird.reference} action done ({action.owner_agency.name}): "
        f"{action.description[:200]}",
        occurred_at=now,
        referral=ird.referral,
        recorded_by=by if not getattr(by, "is_api_client", False) else None,
    )
