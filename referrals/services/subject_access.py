"""Subject access requests (UK GDPR Art 15 and the ICO's guidance on children's rights).

The information governance officer opens a request with who is asking, on whose behalf and how
their identity was checked; it is due one calendar month from receipt (the `subject_access`
timescale), extendable once by up to two further months with a reason, before it falls due.
Everything the council holds about the person is gathered as it reads that day; each item is
disclosed, redacted (the passages chosen are blacked out) or withheld, with the reason the law
allows; a second officer approves; only then can the pack be produced
(referrals/disclosure_pack.py). Every step writes an audit row.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from referrals import audit, deadlines, extensions
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    DisclosureItem,
    Person,
    Referral,
    ScreeningDecision,
    SubjectAccessRequest,
)
from referrals.working_days import LONDON, add_calendar_months

MANAGE = "referrals.manage_subject_access"
TIMESCALE = "subject_access"
SUBJECT_TYPE = "subjectaccessrequest"
AGE_OF_CAPACITY = 12  # Age of Legal Capacity (Scotland) Act 1991 s.2(4A): presumed at 12
MAX_EXTENSION_MONTHS = 2

Decision = DisclosureItem.Decision
Reason = DisclosureItem.Reason


def _allowed(user) -> None:
    if not user.has_perm(MANAGE):
        raise PermissionDenied("Subject access requests are for information governance.")


def _age_on(person: Person, day: datetime.date) -> int | None:
    born = person.date_of_birth
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(17), tzinfo=LONDON)


@transaction.atomic
def open_request(
    *,
    person: Person,
    by,
    requester_name: str,
    capacity: str,
    received_on: datetime.date,
    identity_evidence: str,
    childs_view: str = "",
) -> SubjectAccessRequest:
    _allowed(by)
    errors = {}
    if not requester_name.strip():
        errors["requester_name"] = "Enter the name of the person asking."
    if not identity_evidence.strip():
        errors["identity_evidence"] = "Record how the requester's identity was checked."
    if received_on > timezone.localdate():
        errors["received_on"] = "The date received cannot be in the future."
    age = _age_on(person, received_on)
    if (
        capacity != SubjectAccessRequest.Capacity.SELF
        and age is not None
        and age >= AGE_OF_CAPACITY
        and not childs_view.strip()
    ):
        errors["childs_view"] = (
            f"{person.full_name} was {age} when the request arrived and is presumed able to "
            "make their own request: record their agreement, or why they cannot give it."
        )
    if errors:
        raise ValidationError(errors)
    request = SubjectAccessRequest.objects.create(
        person=person,
        requester_name=requester_name.strip(),
        capacity=capacity,
        childs_view=childs_view.strip(),
        received_on=received_on,
        identity_evidence=identity_evidence.strip(),
        due_on=add_calendar_months(_end_of(received_on), 1).date(),
        opened_by=by,
        opened_at=timezone.now(),
    )
    DisclosureItem.objects.bulk_create(
        DisclosureItem(request=request, position=position, **fields)
        for position, fields in enumerate(gather(person), start=1)
    )
    deadlines.deadline_open(
        kind=TIMESCALE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(request.pk),
        subject_label=f"the request received {received_on:%d %B %Y}",  # no name in alerts
        url=reverse("subject_access_detail", args=[request.pk]),
        starts_at=_end_of(received_on),
        owner=by,
        due_at=_end_of(request.due_on),
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CREATE,
        subject=request,
        detail={
            "event": "subject_access_opened",
            "person": str(person.pk),
            "capacity": capacity,
            "items": request.items.count(),
        },
    )
    return request


def gather(person: Person) -> list[dict]:
    """Everything held about the person, oldest first, as plain text: their own details, each
    referral naming them with its screening decisions, chronology entries not part of a
    referral, and what the other apps hold (IRD records)."""
    items = [
        {
            "source_type": "person",
            "source_id": str(person.pk),
            "heading": "Personal details held",
            "occurred_at": None,
            "text": "\n".join(
                f"{label}: {value}"
                for label, value in (
                    ("Name", person.full_name),
                    ("Known as", person.known_as),
                    ("Date of birth", person.date_of_birth and f"{person.date_of_birth:%d/%m/%Y}"),
                    ("CHI number", person.chi_number),
                    ("Address", person.address),
                    ("School", person.school),
                    ("Named person", person.named_person),
                    ("GP practice", person.gp_practice),
                )
                if value
            ),
        }
    ]
    referrals = list(
        Referral.objects.filter(Q(child_links__person=person) | Q(adult_links__person=person))
        .distinct()
        .order_by("received_at")
    )
    decisions = {}
    for decision in ScreeningDecision.objects.filter(
        referral__in=[r.pk for r in referrals], state=ScreeningDecision.State.APPROVED
    ):
        decisions.setdefault(decision.referral_id, []).append(decision)
    for referral in referrals:
        text = [
            f"Referred by: {referral.referrer_name}"
            + (f", {referral.referrer_role}" if referral.referrer_role else ""),
            f"Concern: {referral.summary}",
        ]
        for decision in decisions.get(referral.pk, []):
            text += [
                f"Screening decision: {decision.get_outcome_display()}",
                f"Reasons: {decision.reasons}",
                f"Analysis of risk: {decision.risk_analysis}",
                f"Analysis of need: {decision.needs_analysis}",
            ]
        items.append(
            {
                "source_type": "referral",
                "source_id": str(referral.pk),
                "heading": f"Referral {referral.reference}, received "
                f"{timezone.localtime(referral.received_at):%d %B %Y}",
                "occurred_at": referral.received_at,
                "text": "\n\n".join(text),
            }
        )
    for entry in ChronologyEntry.objects.filter(person=person, referral__isnull=True):
        items.append(
            {
                "source_type": "chronologyentry",
                "source_id": str(entry.pk),
                "heading": f"Chronology: {entry.get_kind_display()}",
                "occurred_at": entry.occurred_at,
                "text": entry.summary,
            }
        )
    for record in extensions.subject_records(person):
        items.append(
            {
                "source_type": record.source_type,
                "source_id": record.source_id,
                "heading": record.heading,
                "occurred_at": record.occurred_at,
                "text": record.text,
            }
        )
    first = items[:1]
    oldest = datetime.datetime.min.replace(tzinfo=LONDON)
    # Oldest first; records of the same moment in a fixed order (their headings).
    rest = sorted(items[1:], key=lambda item: (item["occurred_at"] or oldest, item["heading"]))
    return first + rest


def _locked_open(request: SubjectAccessRequest) -> SubjectAccessRequest:
    request = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != SubjectAccessRequest.State.OPEN:
        raise ValidationError(
            f"This request is {request.get_state_display().lower()}: it can no longer change."
        )
    return request


@transaction.atomic
def decide_item(
    *, item: DisclosureItem, by, decision: str, reason: str = "", redactions=()
) -> DisclosureItem:
    _allowed(by)
    _locked_open(item.request)
    redactions = [phrase.strip() for phrase in redactions if phrase.strip()]
    if decision not in {Decision.DISCLOSE, Decision.REDACT, Decision.WITHHOLD}:
        raise ValidationError({"decision": "Choose disclose, redact or withhold."})
    if decision == Decision.DISCLOSE:
        reason, redactions = "", []
    elif reason not in Reason.values or not reason:
        raise ValidationError({"reason": "Give the reason the law allows for this."})
    if decision == Decision.WITHHOLD:
        redactions = []
    if decision == Decision.REDACT:
        if not redactions:
            raise ValidationError({"redactions": "Enter each passage to black out, one a line."})
        missing = [p for p in redactions if p.casefold() not in item.text.casefold()]
        if missing:
            raise ValidationError({"redactions": f"Not in this item's text: {'; '.join(missing)}."})
    item.decision, item.reason, item.redactions = decision, reason, redactions
    item.decided_by, item.decided_at = by, timezone.now()
    item.save(update_fields=["decision", "reason", "redactions", "decided_by", "decided_at"])
    audit.record(
        actor=by,
        action=AuditEntry.Action.CHANGE,
        subject=item.request,
        detail={
            "event": "disclosure_decided",
            "item": item.position,
            "decision": decision,
            "reason": reason,
            "redactions": len(redactions),
        },
    )
    return item


@transaction.atomic
def extend(*, request: SubjectAccessRequest, by, months: int, reason: str) -> SubjectAccessRequest:
    """Once, before the month is up, by one or two months, with a reason (complex or many
    requests) that the requester must be told."""
    _allowed(by)
    request = _locked_open(request)
    if request.extended_to is not None:
        raise ValidationError("This request has already been extended.")
    if timezone.localdate() > request.due_on:
        raise ValidationError("The month is up: a request can be extended only before it is due.")
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ValidationError({"months": "Extend by one or two months."})
    if not reason.strip():
        raise ValidationError({"extension_reason": "Say why more time is needed."})
    request.extended_to = add_calendar_months(_end_of(request.due_on), months).date()
    request.extension_reason = reason.strip()
    request.save(update_fields=["extended_to", "extension_reason"])
    deadlines.deadline_extend(
        kind=TIMESCALE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(request.pk),
        due_at=_end_of(request.extended_to),
    )
    audit.record(
        actor=by,
        action=AuditEntry.Action.CHANGE,
        subject=request,
        detail={"event": "subject_access_extended", "months": months},
    )
    return request


def _locked(request: SubjectAccessRequest, state: str, refusal: str) -> SubjectAccessRequest:
    request = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != state:
        raise ValidationError(refusal)
    return request


def _move(request: SubjectAccessRequest, by, *, to: str, event: str, **fields):
    """Change the request's state (and the fields that go with it), audited as `event`."""
    request.state = to
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["state", *fields])
    audit.record(
        actor=by, action=AuditEntry.Action.CHANGE, subject=request, detail={"event": event}
    )
    return request


@transaction.atomic
def submit(*, request: SubjectAccessRequest, by) -> SubjectAccessRequest:
    _allowed(by)
    request = _locked_open(request)
    undecided = list(
        request.items.filter(decision=Decision.UNDECIDED).values_list("position", flat=True)
    )
    if undecided:
        raise ValidationError(
            f"Decide every item first: {', '.join(str(p) for p in undecided)} not yet decided."
        )
    return _move(
        request,
        by,
        to=SubjectAccessRequest.State.AWAITING_APPROVAL,
        event="subject_access_submitted",
        submitted_by=by,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def approve(*, request: SubjectAccessRequest, by) -> SubjectAccessRequest:
    """A second officer, never the one who submitted the decisions."""
    _allowed(by)
    request = _locked(
        request,
        SubjectAccessRequest.State.AWAITING_APPROVAL,
        "Only a request awaiting approval can be approved.",
    )
    if request.submitted_by_id == by.pk:
        raise ValidationError("A second officer approves the decisions you submitted.")
    deadlines.deadline_meet(kind=TIMESCALE, subject_type=SUBJECT_TYPE, subject_id=str(request.pk))
    return _move(
        request,
        by,
        to=SubjectAccessRequest.State.APPROVED,
        event="subject_access_approved",
        approved_by=by,
        approved_at=timezone.now(),
    )


@transaction.atomic
def send_back(*, request: SubjectAccessRequest, by) -> SubjectAccessRequest:
    """The approver returns the decisions for more work."""
    _allowed(by)
    request = _locked(
        request,
        SubjectAccessRequest.State.AWAITING_APPROVAL,
        "Only a request awaiting approval can be sent back.",
    )
    return _move(request, by, to=SubjectAccessRequest.State.OPEN, event="subject_access_sent_back")
