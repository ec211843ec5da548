"""Deadlines: opened when a step starts, met when it is done, swept every minute until then.

Each deadline moves up levels as its moments pass: warned before it is due, overdue (owner
told), escalated to the team manager, then to the service manager. The sweep acts on a level
once: a DeadlineAlert row per deadline and level (unique in the database) records it, with
one in-app notification per recipient, and its e-mail goes out from a task queued after commit.
hub/ and ird/ open their own deadlines here with their own subject_type and url.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from referrals import memo, metrics, notifications, queueing, tasks
from referrals.models import (
    Agency,
    ClosureDay,
    Deadline,
    DeadlineAlert,
    EscalationContact,
    Notification,
    Referral,
    Role,
    Staff,
    Timescale,
)
from referrals.working_days import (
    WORKING_HOURS,
    add_working_time,
    due_time,
    in_reminder_hours,
)

logger = logging.getLogger(__name__)

Level = Deadline.Level
LIVE_STATES = [Deadline.State.OPEN, Deadline.State.BREACHED]
SWEEP_BATCH = 200
SWEEP_MAX_BATCHES = 50
EMAIL_RETRY_AFTER = timedelta(minutes=5)


def closure_days() -> frozenset[date]:
    return memo.remembered(
        "closure_days", lambda: frozenset(ClosureDay.objects.values_list("date", flat=True))
    )


def _timescale(kind: str) -> Timescale | None:
    one = Timescale.objects.filter(kind=kind)
    if not memo.remembering():
        return one.first()
    # An intake opens several steps' deadlines (screening, the hub's review, the IRD's): the
    # few timescales are read in one query. One missing is asked for alone, as `restore` may
    # have just put it back.
    every = memo.remembered("timescales", lambda: {t.kind: t for t in Timescale.objects.all()})
    return every.get(kind) or one.first()


def referral_subject(referral: Referral) -> dict:
    return {
        "referral": referral,
        "subject_type": "referral",
        "subject_id": str(referral.pk),
        "url": reverse("referral_detail", args=[referral.pk]),
    }


def level_moments(
    deadline: Deadline, closures: frozenset[date] | None = None
) -> dict[int, datetime | None]:
    """When each level falls due, from the timescale as it is now (open deadlines follow an
    edit of the ladder; timescale_changed moves their stored next action). A level is never
    earlier than the one below it, so none is ever skipped, whatever the ladder says. A step
    counted in working days escalates in working time too (days as working days, hours as
    working hours); others, and urgent steps, in elapsed time. Outside working hours a reminder
    waits for the next working morning, unless the step is urgent."""
    timescale = deadline.timescale
    in_working_time = not deadline.urgent and timescale.unit == Timescale.Unit.WORKING_DAYS
    quiet = not deadline.urgent and settings.REMINDER_HOURS is not None
    if closures is None and (in_working_time or quiet):
        closures = closure_days()

    def after_due(delay: timedelta) -> datetime:
        if not in_working_time:
            return deadline.due_at + delay
        hours = settings.REMINDER_HOURS or WORKING_HOURS
        return add_working_time(deadline.due_at, delay, hours, closures)

    manager = after_due(timescale.escalate_to_manager_after)
    moments = {
        Level.WARNED: deadline.warn_at,
        Level.DUE: deadline.due_at,
        Level.MANAGER: manager,
        Level.SERVICE_MANAGER: max(manager, after_due(timescale.escalate_to_service_manager_after)),
    }
    if not quiet:
        return moments
    start, end = settings.REMINDER_HOURS
    return {
        level: in_reminder_hours(moment, start, end, closures) if moment else None
        for level, moment in moments.items()
    }


def _warn_at(timescale: Timescale, due_at: datetime, starts_at: datetime) -> datetime | None:
    """When the owner is warned: "warn before" ahead of the due time, never before the start."""
    if not timescale.warning_before:
        return None
    warn_at = due_at - timescale.warning_before
    return warn_at if warn_at > starts_at else None


def _next_action(deadline: Deadline, closures: frozenset[date] | None = None) -> datetime | None:
    later = [
        moment
        for level, moment in level_moments(deadline, closures).items()
        if level > deadline.level and moment is not None
    ]
    return min(later) if later else None


_gathering: ContextVar[list[Deadline] | None] = ContextVar("deadlines_gathering", default=None)


@contextmanager
def gathered():
    """Deadlines opened inside the block are written when it ends, in one INSERT: an intake
    opens the screening deadline, the hub's review and perhaps the IRD's, each app through its
    own hook. A gathered deadline has its key already (rows may point at it) but is not yet in
    the database, so nothing inside the block may read it back or save it again. Use inside
    the change's transaction; if the block fails, nothing is written."""
    with memo.scoped(_gathering, list) as pending:  # nested: None, the outer block writes them
        yield
    if pending:
        Deadline.objects.bulk_create(pending)


def deadline_open(**step) -> Deadline:
    """`due_at`, when given, is a due time agreed for this one step (an IRD action's due
    date, the end of a procedure's trial); otherwise the timescale computes it. `restore`, if
    given, puts back the app's default timescale should it be missing (a flushed database).
    The arguments are `_deadline_for`'s."""
    deadline = _deadline_for(**step)
    pending = _gathering.get()
    if pending is not None:
        pending.append(deadline)
    else:
        deadline.save()
    return deadline


def deadlines_open(steps: list[dict]) -> list[Deadline]:
    """Several steps that open at once (an emergency measure's end and telling the reporter),
    each as `deadline_open` takes it, in one INSERT."""
    return Deadline.objects.bulk_create([_deadline_for(**step) for step in steps])


def _deadline_for(
    *,
    kind: str,
    subject_type: str,
    subject_id: str,
    url: str,
    starts_at: datetime,
    referral: Referral | None = None,
    owner: Staff | None = None,
    team=None,
    due_at: datetime | None = None,
    subject_label: str = "",
    urgent: bool | None = None,
    restore: Callable[[], object] | None = None,
) -> Deadline:
    timescale = _timescale(kind)
    if timescale is None and restore is not None:
        restore()
        timescale = _timescale(kind)
    if timescale is None:
        raise Timescale.DoesNotExist(f"No timescale {kind!r}: add it in the admin.")
    closures = closure_days()
    if due_at is None:
        due_at = due_time(starts_at, timescale.amount, timescale.unit, closures)
    deadline = Deadline(
        timescale=timescale,
        referral=referral,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label[:120],
        # A referral reporting immediate risk makes every one of its steps urgent.
        urgent=bool(referral and referral.immediate_risk) if urgent is None else urgent,
        url=url,
        owner=owner,
        team=team,
        starts_at=starts_at,
        warn_at=_warn_at(timescale, due_at, starts_at),
        due_at=due_at,
    )
    deadline.next_action_at = _next_action(deadline, closures)
    return deadline


def live_deadlines(*, subject_type: str, subject_id: str, kind: str | None = None) -> QuerySet:
    found = Deadline.objects.filter(
        subject_type=subject_type, subject_id=subject_id, state__in=LIVE_STATES
    )
    return found.filter(timescale__kind=kind) if kind else found


def deadline_meet(*, kind: str, subject_type: str, subject_id: str) -> int:
    """The step is done: its deadline stops chasing (a late one keeps its breached_at)."""
    return live_deadlines(subject_type=subject_type, subject_id=subject_id, kind=kind).update(
        state=Deadline.State.MET,
        completed_at=timezone.now(),
        next_action_at=None,
        updated_at=timezone.now(),
    )


def deadline_extend(*, kind: str, subject_type: str, subject_id: str, due_at: datetime) -> int:
    """A later due time agreed for a step not yet due (a subject access request extended):
    the warning and escalations move with it."""
    extended = 0
    for deadline in live_deadlines(subject_type=subject_type, subject_id=subject_id, kind=kind):
        deadline.due_at = due_at
        deadline.warn_at = _warn_at(deadline.timescale, due_at, deadline.starts_at)
        deadline.next_action_at = _next_action(deadline)
        deadline.save(update_fields=["due_at", "warn_at", "next_action_at", "updated_at"])
        extended += 1
    return extended


def timescale_changed(timescale: Timescale) -> int:
    """The ladder of a timescale was edited: its open deadlines follow it. The due time each
    was given stays (a commitment made when it opened); a warning not yet sent moves with the
    new "warn before", and every next action is worked out again. In batches, so that a
    timescale with many open deadlines never holds a long lock."""
    moved = 0
    closures = closure_days()
    live = Deadline.objects.filter(timescale=timescale, state__in=LIVE_STATES)
    last = None
    while True:
        with transaction.atomic():
            page = live.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            batch = list(page.select_for_update()[:SWEEP_BATCH])
            for deadline in batch:
                deadline.timescale = timescale
                if deadline.level < Level.WARNED:
                    deadline.warn_at = _warn_at(timescale, deadline.due_at, deadline.starts_at)
                deadline.next_action_at = _next_action(deadline, closures)
            Deadline.objects.bulk_update(batch, ["warn_at", "next_action_at"])
        moved += len(batch)
        if len(batch) < SWEEP_BATCH:
            return moved
        last = batch[-1].pk


def deadline_cancel(*, subject_type: str, subject_id: str, kind: str | None = None) -> int:
    return live_deadlines(subject_type=subject_type, subject_id=subject_id, kind=kind).update(
        state=Deadline.State.CANCELLED,
        completed_at=timezone.now(),
        next_action_at=None,
        updated_at=timezone.now(),
    )


def deadline_reassign(*, deadline: Deadline, owner: Staff | None, team=None) -> Deadline:
    deadline.owner = owner
    deadline.team = team or deadline.team
    deadline.save(update_fields=["owner", "team", "updated_at"])
    return deadline


# --- The sweep ------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None) -> list[int]:
    """Act on every deadline whose next moment has passed; returns the new alerts' ids.

    Batches commit one by one. On PostgreSQL rows are taken with FOR UPDATE SKIP LOCKED, so
    two sweeps running at once (two beats started by mistake) share the work instead of
    doing it twice; the unique (deadline, level) constraint makes a second alert impossible."""
    with metrics.SWEEP_SECONDS.time():
        created = _sweep(now or timezone.now())
    metrics.SWEEP_ALERTS.inc(len(created))
    return created


def _sweep(now: datetime) -> list[int]:
    closures = closure_days()  # working-day ladders count them, quiet hours or not
    created: list[int] = []
    for _ in range(SWEEP_MAX_BATCHES):
        with transaction.atomic():
            batch = list(
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(state__in=LIVE_STATES, next_action_at__lte=now)
                .select_related("timescale", "owner", "team", "referral")
                .order_by("next_action_at")[:SWEEP_BATCH]
            )
            for deadline in batch:
                created.extend(_act(deadline, now, closures))
        if len(batch) < SWEEP_BATCH:
            break
    _requeue_unsent_emails(now)
    return created


def _act(deadline: Deadline, now: datetime, closures: frozenset[date]) -> list[int]:
    passed = sorted(
        level
        for level, moment in level_moments(deadline, closures).items()
        if level > deadline.level and moment is not None and moment <= now
    )
    if Level.DUE in passed or deadline.due_at <= now:
        passed = [level for level in passed if level != Level.WARNED]  # too late to warn
    alerts = []
    for level in passed:
        alert, created = DeadlineAlert.objects.get_or_create(deadline=deadline, level=level)
        if created and _escalated_already(deadline, alert):
            # Several owners of one step (each committee member's procedure review): their
            # managers hear of it once per level, not once per owner.
            alert.emailed_at = now
            alert.save(update_fields=["emailed_at"])
        elif created:
            _notify(alert, deadline, level)
            _warn_of_missing_contact(deadline, level)
            transaction.on_commit(partial(_queue_email, alert.pk), robust=True)
            alerts.append(alert.pk)
    if passed:
        deadline.level = max(deadline.level, passed[-1])
    if deadline.due_at <= now and deadline.state == Deadline.State.OPEN:
        deadline.state = Deadline.State.BREACHED
        deadline.breached_at = deadline.due_at
    deadline.next_action_at = _next_action(deadline, closures)
    deadline.save(update_fields=["level", "state", "breached_at", "next_action_at", "updated_at"])
    return alerts


def _escalated_already(deadline: Deadline, alert: DeadlineAlert) -> bool:
    """An escalation (manager or service manager) already made for the same step of the
    same subject through another owner's deadline."""
    if alert.level < Level.MANAGER:
        return False
    return (
        DeadlineAlert.objects.filter(
            level=alert.level,
            deadline__timescale_id=deadline.timescale_id,
            deadline__subject_type=deadline.subject_type,
            deadline__subject_id=deadline.subject_id,
        )
        .exclude(pk=alert.pk)
        .exists()
    )


def _other_agency(deadline: Deadline) -> Agency | None:
    """The agency that owns the step when it is not social work (police, health, education own
    IRD actions); None for social work's own steps."""
    agency = deadline.team.agency if deadline.team_id else None
    if agency is None and deadline.owner_id:
        agency = deadline.owner.agency
    return agency if agency is not None and agency.kind != Agency.Kind.SOCIAL_WORK else None


def escalation_contacts(agency: Agency, team=None) -> list[EscalationContact]:
    """The agency's contacts: the team's own first, else the whole agency's."""
    contacts = list(EscalationContact.objects.filter(agency=agency).select_related("staff", "team"))
    own = [c for c in contacts if team is not None and c.team_id == team.pk]
    return own or [c for c in contacts if c.team_id is None]


def _service_managers(deadline: Deadline) -> list[Staff]:
    """The service manager over the step: its team's, or for another agency's step the
    referral's team's (social work leads); else every social work service manager."""
    team = deadline.team if deadline.team_id else None
    if _other_agency(deadline) is not None and deadline.referral_id:
        team = deadline.referral.team
    if team is not None and team.service_manager_id and team.service_manager.is_active:
        return [team.service_manager]
    return list(
        Staff.objects.filter(
            role=Role.SERVICE_MANAGER, is_active=True, agency__kind=Agency.Kind.SOCIAL_WORK
        )
    )


def recipients_for(deadline: Deadline, level: int) -> list[Staff]:
    """Owner first; then their manager; then the service manager. Another agency's step (an IRD
    action owned by police) escalates to that agency's escalation contacts and to the manager of
    the referral's team (social work leads the case). A superuser is never the fallback: with
    nobody else, the social work service managers are told."""
    other = _other_agency(deadline)

    def team_managers() -> list[Staff]:
        return notifications.team_managers(deadline.team) if deadline.team_id else []

    def contacts() -> list[Staff]:
        if other is None:
            return []
        return [c.staff for c in escalation_contacts(other, deadline.team) if c.staff_id]

    if level in {Level.WARNED, Level.DUE}:
        people = [deadline.owner] if deadline.owner and deadline.owner.is_active else []
        people = people or team_managers() or contacts()
    elif level == Level.MANAGER and other is not None:
        lead = notifications.team_managers(deadline.referral.team) if deadline.referral_id else []
        people = [*contacts(), *lead]
    elif level == Level.MANAGER:
        people = team_managers()
    else:
        people = _service_managers(deadline)
    people = [person for person in people if person.is_active]
    return people or _service_managers(deadline)


def _warn_of_missing_contact(deadline: Deadline, level: int) -> None:
    """Another agency's step escalated but the agency has no escalation contact: the service
    manager is told, so that one is set (shown too on the admin's Escalation contacts page)."""
    other = _other_agency(deadline)
    if level < Level.MANAGER or other is None or escalation_contacts(other, deadline.team):
        return
    title = f"No escalation contact for {other.name}: set one in the admin"
    for manager in _service_managers(deadline):
        if not Notification.objects.filter(
            recipient=manager, title=title, read_at__isnull=True
        ).exists():
            notifications.notify(
                [manager],
                kind=Notification.Kind.DEADLINE,
                title=title,
                body=f"Overdue work owned by {other.name} could not be escalated within it.",
                url="/admin/referrals/escalationcontact/",
            )


def alert_title(deadline: Deadline, level: int) -> str:
    """ "Due soon: Record the screening decision for CW-2026-000123 (due ...)": the step as a
    task and its subject in words, never an internal code."""
    due = timezone.localtime(deadline.due_at).strftime("%d %b %Y %H:%M")
    what = f"{deadline.task} for {deadline.subject}" if deadline.subject else deadline.task
    return {
        Level.WARNED: f"Due soon: {what} (due {due})",
        Level.DUE: f"Overdue: {what} (was due {due})",
        Level.MANAGER: f"Escalated to you: {what} is overdue (was due {due})",
        Level.SERVICE_MANAGER: f"Escalated to service manager: {what} is overdue (was due {due})",
    }[level]


def _notify(alert: DeadlineAlert, deadline: Deadline, level: int) -> None:
    owner = deadline.owner.get_full_name() if deadline.owner_id else "the team"
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=person,
                kind=Notification.Kind.DEADLINE,
                alert=alert,
                title=alert_title(deadline, level),
                body=f"Owner: {owner}. {deadline.task}.",
                referral=deadline.referral,
                url=deadline.url,
            )
            for person in {p.pk: p for p in recipients_for(deadline, level)}.values()
        ],
        ignore_conflicts=True,
    )


def _queue_email(alert_id: int) -> None:
    # With the broker down the alert stays unsent and the next sweep queues it again.
    queueing.enqueue(tasks.send_deadline_alert_email, alert_id)


def _requeue_unsent_emails(now: datetime) -> None:
    """E-mail whose task never reached the broker (it was down at commit) goes out now."""
    stale = DeadlineAlert.objects.filter(
        emailed_at__isnull=True, created_at__lte=now - EMAIL_RETRY_AFTER
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for alert_id in stale:
        _queue_email(alert_id)
    for notification_id in notifications.unsent_emails(now - EMAIL_RETRY_AFTER):
        notifications.queue_email(notification_id)


@transaction.atomic
def alert_email(*, alert_id: int) -> None:
    """Send the alert's e-mail once; the lock and emailed_at make a redelivered task harmless."""
    alert = (
        DeadlineAlert.objects.select_for_update(of=("self",))
        .select_related("deadline__timescale", "deadline__referral")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or alert.emailed_at is not None:
        return
    addresses = sorted(
        {
            n.recipient.email
            for n in alert.notifications.select_related("recipient")
            if n.recipient.email
        }
    )
    other = _other_agency(alert.deadline) if alert.level >= Level.MANAGER else None
    if other is not None:  # monitored mailboxes of the agency that owns the step
        addresses = sorted(
            {*addresses, *(c.mailbox for c in escalation_contacts(other, alert.deadline.team))}
            - {""}
        )
    if addresses:
        link = f"{settings.SITE_URL.rstrip('/')}{alert.deadline.url}"
        # Only the reference and the link: no names or other personal details in e-mail.
        send_mail(
            subject=alert_title(alert.deadline, alert.level),
            message=f"{alert_title(alert.deadline, alert.level)}\n\nOpen it: {link}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=addresses,
        )
    alert.emailed_at = timezone.now()
    alert.save(update_fields=["emailed_at"])


# --- The referral's own steps -----------------------------------------------------------------


def referral_step_open(
    referral: Referral, kind: str, *, owner: Staff | None = None, starts_at: datetime | None = None
) -> Deadline:
    return deadline_open(
        kind=kind,
        starts_at=starts_at or timezone.now(),
        owner=owner,
        team=referral.team,
        **referral_subject(referral),
    )


def referral_step_done(referral: Referral, kind: str) -> int:
    return deadline_meet(kind=kind, subject_type="referral", subject_id=str(referral.pk))


def referral_steps_cancel(referral: Referral) -> int:
    return deadline_cancel(subject_type="referral", subject_id=str(referral.pk))
