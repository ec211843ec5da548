"""Disposal of closed records past their retention period.

Information governance (or the monthly job) lists what is due; a manager other than the one who
listed it approves; then each record is deleted or anonymised as its retention class says, in a
transaction of its own that also marks its row in the disposal log. A crash half way leaves the
rest `pending`, and running again carries on: nothing is disposed of twice and nothing is lost.
The other apps dispose of their own records about a referral through
`extensions.referral_disposing`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from referrals import audit, extensions, queueing
from referrals.api.models import SubmittedConcern
from referrals.models import (
    AuditEntry,
    ChronologyEntry,
    DisposalList,
    DisposalRecord,
    Notification,
    Person,
    Referral,
    ReferralAdult,
    ReferralChild,
    Relationship,
    RetentionClass,
)
from referrals.services import retention

APPROVE = "referrals.approve_disposal"
ANONYMISED = "Anonymised"
ANONYMISED_TEXT = "Anonymised under the council's retention schedule."


def prepare_list(*, by=None, today=None, due=None) -> DisposalList:
    """List what is due today (held records are logged as kept; `due`, when already worked
    out). A list still awaiting approval is superseded: the manager always approves the latest."""
    if by is not None and not by.has_perm(retention.MANAGE):
        raise PermissionDenied("Only information governance lists records for disposal.")
    today = today or timezone.localdate()
    due = retention.due_for_disposal(today) if due is None else due
    with transaction.atomic():
        DisposalList.objects.select_for_update().filter(
            state=DisposalList.State.AWAITING_APPROVAL
        ).update(state=DisposalList.State.SUPERSEDED)
        disposal_list = DisposalList.objects.create(
            listed_on=today, listed_at=timezone.now(), listed_by=by
        )
        DisposalRecord.objects.bulk_create(
            DisposalRecord(
                disposal_list=disposal_list,
                referral_id=record.referral_id,
                reference=record.reference,
                record_type=record.record_type,
                method=record.method,
                due_on=record.due_on,
                state=(
                    DisposalRecord.State.KEPT_HELD if record.held else DisposalRecord.State.PENDING
                ),
            )
            for record in due
        )
        audit.record(
            actor=by,
            action=AuditEntry.Action.CREATE,
            subject=disposal_list,
            detail={"event": "disposal_listed", "records": len(due)},
        )
    return disposal_list


def approve_list(*, disposal_list: DisposalList, by) -> DisposalList:
    if not by.has_perm(APPROVE):
        raise PermissionDenied("Only a service manager approves disposal.")
    with transaction.atomic():
        disposal_list = DisposalList.objects.select_for_update().get(pk=disposal_list.pk)
        if disposal_list.state != DisposalList.State.AWAITING_APPROVAL:
            raise ValidationError(
                f"This list cannot be approved: {disposal_list.get_state_display().lower()}."
            )
        if disposal_list.listed_by_id == by.pk:
            raise ValidationError("Another manager approves the list you prepared.")
        disposal_list.state = DisposalList.State.APPROVED
        disposal_list.approved_by, disposal_list.approved_at = by, timezone.now()
        disposal_list.save(update_fields=["state", "approved_by", "approved_at"])
        audit.record(
            actor=by,
            action=AuditEntry.Action.CHANGE,
            subject=disposal_list,
            detail={"event": "disposal_approved"},
        )
        from referrals.tasks import carry_out_disposal  # noqa: PLC0415 - tasks import services

        list_id = str(disposal_list.pk)
        queueing.on_commit(carry_out_disposal, list_id)  # or the hourly resume_disposal
    return disposal_list


def pending_records(disposal_list_id=None):
    """The records of approved lists still to dispose of (of one list, if given)."""
    pending = DisposalRecord.objects.filter(
        disposal_list__state=DisposalList.State.APPROVED, state=DisposalRecord.State.PENDING
    )
    return (
        pending if disposal_list_id is None else pending.filter(disposal_list_id=disposal_list_id)
    )


def carry_out(disposal_list_id, *, progress=None) -> dict[str, int]:
    """Dispose of every pending record of an approved list, one transaction each; mark the list
    completed when none is left. Safe to run again after a crash, or twice at once. `progress`
    is called after each record (a command's progress bar)."""
    pending = list(pending_records(disposal_list_id).values_list("pk", flat=True))
    counts: dict[str, int] = {}
    for record_id in pending:
        state = dispose_record(record_id)
        if state:
            counts[state] = counts.get(state, 0) + 1
        if progress is not None:
            progress()
    with transaction.atomic():
        left = DisposalRecord.objects.filter(
            disposal_list_id=disposal_list_id, state=DisposalRecord.State.PENDING
        )
        if not left.exists():
            DisposalList.objects.filter(
                pk=disposal_list_id, state=DisposalList.State.APPROVED
            ).update(state=DisposalList.State.COMPLETED, completed_at=timezone.now())
    return counts


def resume_approved(*, progress=None) -> int:
    """Carry on every approved list a crash or a lost task left unfinished."""
    lists = list(
        DisposalList.objects.filter(state=DisposalList.State.APPROVED).values_list("pk", flat=True)
    )
    for list_id in lists:
        carry_out(list_id, progress=progress)
    return len(lists)


def dispose_record(record_id: int) -> str:
    """One record, all or nothing: the disposal and its log row commit together. Returns the
    state reached, or "" when another worker holds or has done the row."""
    with transaction.atomic():
        record = (
            DisposalRecord.objects.select_for_update(skip_locked=True)
            .filter(pk=record_id, state=DisposalRecord.State.PENDING)
            .first()
        )
        if record is None:
            return ""
        referral = Referral.objects.select_for_update().filter(pk=record.referral_id).first()
        if record.record_type not in RetentionClass.REFERRAL_TYPES:
            record.state = _dispose_kept_apart(record, referral)
        elif referral is None or _already_anonymised(record.referral_id):
            record.state = DisposalRecord.State.ALREADY_GONE
        elif referral.status != Referral.Status.CLOSED:
            record.state = DisposalRecord.State.KEPT_NOT_DUE
        elif _named_people(referral) & retention.held_people():
            record.state = DisposalRecord.State.KEPT_HELD
        else:
            extensions.referral_disposing(referral=referral, method=record.method)
            if record.method == RetentionClass.Disposal.DELETE:
                _delete_referral(referral)
                record.state = DisposalRecord.State.DELETED
            else:
                _anonymise_referral(referral)
                record.state = DisposalRecord.State.ANONYMISED
        record.done_at = timezone.now()
        record.save(update_fields=["state", "done_at"])
        audit.record(
            actor=None,
            action=(
                AuditEntry.Action.DISPOSE
                if record.state in DisposalRecord.DONE
                else AuditEntry.Action.CHANGE
            ),
            object_type="referral",
            object_id=str(record.referral_id),
            detail={
                "event": "disposal",
                "outcome": record.state,
                "record_type": record.record_type,
                "disposal_list": str(record.disposal_list_id),
            },
        )
        return record.state


def _dispose_kept_apart(record: DisposalRecord, referral: Referral | None) -> str:
    """An app's records about the referral kept on their own clock (hub reviews): those whose
    period has ended by today go, unless a hold keeps them."""
    if referral is None:
        return DisposalRecord.State.ALREADY_GONE
    if _named_people(referral) & retention.held_people():
        return DisposalRecord.State.KEPT_HELD
    retention_class = RetentionClass.objects.get(record_type=record.record_type)
    extensions.kept_apart_disposing(
        referral_id=referral.pk,
        record_type=record.record_type,
        completed_by=retention.shift(timezone.localdate(), retention_class, -1),
    )
    return DisposalRecord.State.DELETED


def _already_anonymised(referral_id) -> bool:
    return DisposalRecord.objects.filter(
        referral_id=referral_id, state=DisposalRecord.State.ANONYMISED
    ).exists()


def _named_people(referral: Referral) -> set[str]:
    children = ReferralChild.objects.filter(referral=referral).values_list("person_id", flat=True)
    adults = ReferralAdult.objects.filter(referral=referral).values_list("person_id", flat=True)
    return {str(pk) for pk in [*children, *adults]}


def _people_left_without_records(referral: Referral) -> list[Person]:
    """The people named in this referral whom no other kept (not anonymised) referral names:
    their own details go with it."""
    named = _named_people(referral)
    anonymised = DisposalRecord.objects.filter(state=DisposalRecord.State.ANONYMISED).values(
        "referral_id"
    )
    still_needed = {
        str(pk)
        for model in (ReferralChild, ReferralAdult)
        for pk in model.objects.filter(person_id__in=named)
        .exclude(referral=referral)
        .exclude(referral_id__in=anonymised)
        .values_list("person_id", flat=True)
    }
    return list(Person.objects.filter(pk__in=named - still_needed).order_by("pk"))


def _delete_referral(referral: Referral) -> None:
    people = _people_left_without_records(referral)
    # The partner's copy of what it submitted goes with the referral it describes.
    SubmittedConcern.objects.filter(referral=referral).delete()
    referral.delete()
    for person in people:
        try:
            with transaction.atomic():
                Relationship.objects.filter(Q(person=person) | Q(relative=person)).delete()
                person.delete()
        except ProtectedError:
            # Still named by a record another app keeps (an IRD about a sibling, a merged
            # duplicate): its details go, the row that the other record points to stays.
            _anonymise_person(person)


def _anonymise_referral(referral: Referral) -> None:
    people = _people_left_without_records(referral)
    Referral.objects.filter(pk=referral.pk).update(
        referrer_name=ANONYMISED,
        referrer_role="",
        referrer_phone="",
        referrer_email="",
        referrer_manager_email="",
        summary=ANONYMISED_TEXT,
        reason_consent_not_sought="",
        external_reference="",
        closure_reason="",
        updated_at=timezone.now(),
    )
    referral.screening_decisions.update(
        reasons=ANONYMISED_TEXT,
        risk_analysis=ANONYMISED_TEXT,
        needs_analysis=ANONYMISED_TEXT,
        cumulative_harm_analysis="",
        advice_given="",
        review_comment="",
    )
    referral.feedback.update(comments="", supported_by=[], barriers=[])
    ChronologyEntry.objects.filter(referral=referral).update(summary=ANONYMISED_TEXT)
    Notification.objects.filter(referral=referral).delete()
    SubmittedConcern.objects.filter(referral=referral).update(submitted={})
    for person in people:
        _anonymise_person(person)


def _anonymise_person(person: Person) -> None:
    """No name, date of birth, CHI number, address, school, named person or GP is left; the
    row stays so that counts and the anonymised records still add up."""
    person.first_name, person.last_name, person.known_as = ANONYMISED, "", ""
    person.date_of_birth = person.expected_date_of_delivery = None
    person.chi_number = ""
    person.address_line1 = person.address_line2 = person.town = person.postcode = ""
    person.school = person.named_person = person.gp_practice = ""
    person.save()
    ChronologyEntry.objects.filter(person=person).update(summary=ANONYMISED_TEXT)
    Notification.objects.filter(person=person).delete()
