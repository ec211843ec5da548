"""What every IRD service shares: locking an IRD and saving it at the next version, its
referral's step on the core's lifecycle, its deadlines, who is invited, chronicling and
notifying. The rules of each step live in the modules beside this one."""

import logging
from datetime import datetime, time, timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ird.models import (
    FollowUpItem,
    Ird,
    RecordSection,
    Revision,
)
from ird.reference_data import ensure_timescales
from referrals import (
    chronology,
    deadlines,
    lifecycle,
    notifications,
)
from referrals.errors import EditConflict
from referrals.models import (
    Agency,
    ChronologyEntry,
    Notification,
    Staff,
    Timescale,
)
from referrals.services import progress

logger = logging.getLogger(__name__)

Status = Ird.Status
MUST_TAKE_PART = (Agency.Kind.POLICE, Agency.Kind.HEALTH, Agency.Kind.SOCIAL_WORK)
ACTION_DUE_TIME = time(17, 0)  # close of business on the due date, council time
# An IRD agrees the next steps for a child's safety; work further off belongs in the child's
# plan. The limit also keeps a due date's warning and escalations far from any calendar's end.
ACTION_DUE_WITHIN = timedelta(days=366)
REVIEW_DUE_TIME = time(9, 0)
RESEND_AFTER = timedelta(minutes=5)
REQUIRED_SECTIONS = {
    RecordSection.Key.RISK_AND_NEED: "Write the analysis of risk and need.",
    RecordSection.Key.DECISION_REASONS: "Write the reasons for the decisions.",
}
CONFIRM_SIGN_OFF = "Confirm that the record is accurate and complete before signing it off."
FOLLOW_UP_ALWAYS = [code for code in FollowUpItem.Code.values if code != FollowUpItem.Code.MEDICAL]


def ird_url(ird: Ird, name: str = "ird:detail") -> str:
    return reverse(name, args=[ird.pk])


def local_text(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M") if moment else ""


def _lock(ird: Ird, expected_version: int | None = None) -> Ird:
    locked = Ird.objects.select_for_update(of=("self",)).select_related("referral").get(pk=ird.pk)
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict(
            f"{locked.reference} was changed by someone else while you were working on it. "
            "Check the IRD as it is now and submit again."
        )
    return locked


def _save(ird: Ird, *fields: str, record: bool = True) -> None:
    """Save the named fields and move the versions on, so open forms and watchers know."""
    ird.version = F("version") + 1
    extra = ["version", "updated_at"]
    if record:
        ird.record_version = F("record_version") + 1
        extra.append("record_version")
    ird.save(update_fields=[*fields, *extra])
    ird.refresh_from_db(fields=["version", "record_version"])


def _record_changed(ird: Ird, *, key: str, text: str, by, now: datetime) -> None:
    """A structured part of the record changed: a revision line and the watchers' version."""
    Ird.objects.filter(pk=ird.pk).update(record_version=F("record_version") + 1, updated_at=now)
    ird.refresh_from_db(fields=["record_version"])
    Revision.objects.create(
        ird=ird, key=key, version=ird.record_version, text=text, author=by, saved_at=now
    )


def open_deadline(kind: str, **fields):
    # The IRD timescales come from a data migration; should one be missing (a flushed test
    # database), its default is put back rather than losing the deadline.
    return deadlines.deadline_open(
        kind=kind, restore=lambda: ensure_timescales(Timescale, kinds={kind}), **fields
    )


def _referral_step(ird: Ird, kind: str, *, owner, starts_at: datetime):
    """IRD held and IRD record are steps of the referral: closing the referral cancels them."""
    subject = deadlines.referral_subject(ird.referral)
    subject["url"] = ird_url(ird)
    return open_deadline(kind, starts_at=starts_at, owner=owner, team=ird.referral.team, **subject)


def _referral_step_done(ird: Ird, kind: str) -> None:
    deadlines.deadline_meet(kind=kind, subject_type="referral", subject_id=str(ird.referral_id))


def _invited_staff(ird: Ird) -> list[Staff]:
    return [
        invitation.staff
        for invitation in ird.invitations.filter(removed_at__isnull=True).select_related("staff")
    ]


def _included_children(ird: Ird):
    return [child.person for child in ird.children.filter(included=True).select_related("person")]


def _chronicle(
    ird: Ird, *, by, summary: str, target: str | None = None, occurred_at: datetime | None = None
) -> None:
    """Move the referral on (if `target` and the lifecycle allows it) and note the step in the
    chronology of every child the IRD covers."""
    occurred_at = occurred_at or timezone.now()
    referral = ird.referral
    noted: set = set()
    if target and lifecycle.can_move(referral.status, target):
        # referral_progress notes it in the chronology of the referral's own children.
        noted = set(referral.children.values_list("pk", flat=True))
        ird.referral = progress.referral_progress(
            referral=referral, target=target, by=by, summary=summary, occurred_at=occurred_at
        )
    covered = _included_children(ird) or list(referral.children.all())
    people = [person for person in covered if person.pk not in noted]
    if people:
        chronology.chronology_add(
            people=people,
            kind=ChronologyEntry.Kind.IRD,
            summary=summary,
            occurred_at=occurred_at,
            referral=referral,
            recorded_by=by,
        )


def notify_people(people, *, title: str, ird: Ird, url: str = "", email: bool = False):
    notifications.notify(
        people,
        kind=Notification.Kind.GENERAL,
        title=title,
        referral=ird.referral,
        url=url or ird_url(ird),
        email=email,
    )
