"""Retention: which records are due for disposal under their retention classes, and the legal
holds that stop it. Listing only; nothing here deletes or anonymises.

A closed referral is due when its own class and the class of every record that goes with it
(its IRDs: extensions.kept_with) have run out, and is anonymised if any of them says so. Records
another app keeps on a clock of their own (hub reviews: extensions.kept_apart) are listed on
their own line, due from their completion, whether or not the referral is closed."""

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from referrals import audit, extensions
from referrals.models import (
    AuditEntry,
    DisposalRecord,
    LegalHold,
    Person,
    Referral,
    ReferralChild,
    RetentionClass,
    Role,
    ScreeningDecision,
    Staff,
)

MANAGE = "referrals.manage_retention"


@dataclass(frozen=True)
class DueRecord:
    """Ids and dates only: the listing is e-mailed and must carry no personal details."""

    referral_id: str
    reference: str
    record_type: str
    due_on: datetime.date
    held: bool
    method: str = RetentionClass.Disposal.DELETE


def record_type(referral: Referral) -> str:
    """The retention class of a closed referral, by its approved screening decisions."""
    outcomes = {
        d.outcome for d in referral.screening_decisions.all() if d.state == d.State.APPROVED
    }
    if ScreeningDecision.Outcome.CHILD_PROTECTION in outcomes:
        return RetentionClass.RecordType.CHILD_PROTECTION
    if outcomes == {ScreeningDecision.Outcome.NO_FURTHER_ACTION}:
        return RetentionClass.RecordType.REFERRAL_NO_FURTHER_ACTION
    return RetentionClass.RecordType.REFERRAL_SUPPORT


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none: the day after 28 February
        return day.replace(year=day.year + years, month=3, day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` on, or that month's last day when it has none (31 Jan + 1: 28 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def shift(day: datetime.date, retention: RetentionClass, sign: int = 1) -> datetime.date:
    """`day` moved by the class's period: forward, the day its records are due; back (sign
    -1), the latest start whose period has ended by `day`."""
    period = sign * retention.period
    if retention.unit == RetentionClass.Unit.DAYS:
        return day + datetime.timedelta(days=period)
    if retention.unit == RetentionClass.Unit.MONTHS:
        return _add_months(day, period)
    return add_years(day, period)


def cutoff(retention: RetentionClass, now: datetime.datetime | None = None) -> datetime.datetime:
    """For records counted from their creation (audit log, idempotency keys): those written
    before this moment are past retention."""
    now = now or timezone.now()
    if retention.unit == RetentionClass.Unit.DAYS:
        return now - datetime.timedelta(days=retention.period)
    start = shift(timezone.localdate(now), retention, -1)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def trigger_date(
    referral: Referral, trigger: str, last_contact: dict[str, datetime.datetime]
) -> datetime.date | None:
    """The day the retention period starts; None when it cannot be known (a child's date of
    birth missing), so the record is never listed on a guess."""
    closed_on = timezone.localdate(referral.closed_at)
    people = [link.person for link in referral.child_links.all()]
    if trigger == RetentionClass.Trigger.CLOSURE:
        return closed_on
    if trigger == RetentionClass.Trigger.LAST_CONTACT:
        contacts = [last_contact[str(p.pk)] for p in people if str(p.pk) in last_contact]
        return max([closed_on, *(timezone.localdate(c) for c in contacts)])
    years = 18 if trigger == RetentionClass.Trigger.EIGHTEENTH_BIRTHDAY else 25
    if not people or any(p.date_of_birth is None for p in people):
        return None
    # Kept until the youngest child named reaches the birthday, and never before closure.
    return max(closed_on, *(add_years(p.date_of_birth, years) for p in people))


def held_people() -> set[str]:
    return {
        str(pk)
        for pk in LegalHold.objects.filter(lifted_at__isnull=True).values_list(
            "person_id", flat=True
        )
    }


def _anonymised():
    """Anonymised referrals stay (closed) but have nothing left to dispose of."""
    return DisposalRecord.objects.filter(state=DisposalRecord.State.ANONYMISED).values(
        "referral_id"
    )


def due_for_disposal(today: datetime.date | None = None) -> list[DueRecord]:
    """Every record whose retention has ended by `today`, in due order; those naming a person
    under legal hold (as child or adult) are listed as held."""
    today = today or timezone.localdate()
    classes = {c.record_type: c for c in RetentionClass.objects.all()}
    held = held_people()
    due = _referrals_due(today, classes, held) + _kept_apart_due(today, classes, held)
    return sorted(due, key=lambda r: (r.due_on, r.reference, r.record_type))


def _referrals_due(today, classes, held) -> list[DueRecord]:
    referrals = (
        Referral.objects.filter(status=Referral.Status.CLOSED, closed_at__isnull=False)
        .exclude(pk__in=_anonymised())
        .only("id", "reference", "closed_at")
        .prefetch_related(
            Prefetch(
                "child_links",
                queryset=ReferralChild.objects.select_related("person").only(
                    "referral_id", "person__id", "person__date_of_birth"
                ),
            ),
            "adult_links",
            "screening_decisions",
        )
    )
    last_contact = {
        str(row["person_id"]): row["last"]
        for row in ReferralChild.objects.values("person_id").annotate(
            last=Max("referral__received_at")
        )
    }
    referrals = list(referrals)
    kept_with = extensions.kept_with([r.pk for r in referrals])
    due = []
    for referral in referrals:
        kind = record_type(referral)
        covering = [kind, *sorted(kept_with.get(referral.pk, ()))]
        ends = [_ends(referral, classes.get(k), last_contact) for k in covering]
        if None in ends:
            continue  # no class configured, or no date of birth: kept, never disposed on a guess
        due_on = max(ends)
        if due_on > today:
            continue
        anonymise = any(classes[k].disposal == RetentionClass.Disposal.ANONYMISE for k in covering)
        method = RetentionClass.Disposal.ANONYMISE if anonymise else RetentionClass.Disposal.DELETE
        due.append(
            DueRecord(
                str(referral.pk),
                referral.reference,
                kind,
                due_on,
                bool(_named(referral) & held),
                method,
            )
        )
    return due


def _ends(referral, retention, last_contact) -> datetime.date | None:
    if retention is None:
        return None
    start = trigger_date(referral, retention.trigger, last_contact)
    return None if start is None else shift(start, retention)


def _named(referral: Referral) -> set[str]:
    return {str(link.person_id) for link in referral.child_links.all()} | {
        str(link.person_id) for link in referral.adult_links.all()
    }


def _kept_apart_due(today, classes, held) -> list[DueRecord]:
    """Records kept on their own clock (hub reviews), due from their latest completion."""
    due_lines = []
    for line in extensions.kept_apart():
        retention = classes.get(line.record_type)
        if retention is None:
            continue
        due_on = shift(timezone.localdate(line.completed_at), retention)
        if due_on <= today:
            due_lines.append((line, due_on, retention.disposal))
    referrals = Referral.objects.prefetch_related("child_links", "adult_links").in_bulk(
        [line.referral_id for line, _, _ in due_lines]
    )
    return [
        DueRecord(
            str(line.referral_id),
            referrals[line.referral_id].reference,
            line.record_type,
            due_on,
            bool(_named(referrals[line.referral_id]) & held),
            method,
        )
        for line, due_on, method in due_lines
        if line.referral_id in referrals
    ]


def place_hold(*, person: Person, reason: str, by) -> LegalHold:
    if not by.has_perm(MANAGE):
        raise PermissionDenied("Only information governance can place a legal hold.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the records must be kept."})
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if LegalHold.objects.filter(person=person, lifted_at__isnull=True).exists():
            raise ValidationError("This person's records are already under a legal hold.")
        hold = LegalHold.objects.create(
            person=person, reason=reason.strip(), set_by=by, set_at=timezone.now()
        )
        audit.record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            subject=hold,
            detail={"person": str(person.pk), "event": "legal_hold_placed"},
        )
    return hold


def lift_hold(*, hold: LegalHold, reason: str, by) -> LegalHold:
    if not by.has_perm(MANAGE):
        raise PermissionDenied("Only information governance can lift a legal hold.")
    if not reason.strip():
        raise ValidationError({"lift_reason": "Say why the hold is no longer needed."})
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.lifted_at is not None:
            raise ValidationError("This legal hold has already been lifted.")
        hold.lifted_at, hold.lifted_by, hold.lift_reason = timezone.now(), by, reason.strip()
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit.record(
            actor=by,
            action=AuditEntry.Action.CHANGE,
            subject=hold,
            detail={"person": str(hold.person_id), "event": "legal_hold_lifted"},
        )
    return hold


def email_due_listing(
    today: datetime.date | None = None, due: list[DueRecord] | None = None
) -> int:
    """The monthly listing for the information governance officers: references, classes and
    due dates only (`due`, when already worked out for today). Returns how many are due."""
    today = today or timezone.localdate()
    due = due_for_disposal(today) if due is None else due
    officers = list(
        Staff.objects.filter(role=Role.INFORMATION_GOVERNANCE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if officers:
        lines = [
            f"{r.reference}\t{r.record_type}\tdue {r.due_on:%d/%m/%Y}"
            + ("\tUNDER LEGAL HOLD: keep" if r.held else "")
            for r in due
        ]
        send_mail(
            subject=f"Records due for disposal, {today:%B %Y}: {len(due)}",
            message=(
                "These closed records have reached the end of their retention period. Nothing "
                "is disposed of until a manager approves.\n\n" + ("\n".join(lines) or "None.")
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=officers,
        )
    return len(due)
