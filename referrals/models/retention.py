"""Retention classes (how long each kind of record is kept, and what happens then) and legal
holds (which stop any disposal of a person's records and everything linked to them)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from referrals.models.people import Person


class RetentionClass(models.Model):
    """One kind of record's retention period, counted from its trigger date. Edited by the
    administrator as policy changes; `source` says which schedule or law sets the period.

    A referral goes when its own class and the class of every record that goes with it (its
    IRDs) have run out, anonymised if any of them says so. Hub reviews go on their own clock
    (referrals/services/disposal.py); the audit log (`manage.py prune_audit_log`) and the API's
    idempotency keys (hourly) are kept as their classes say and then deleted."""

    class RecordType(models.TextChoices):
        REFERRAL_NO_FURTHER_ACTION = "referral_nfa", "Referral closed with no further action"
        REFERRAL_SUPPORT = "referral_support", "Referral closed with support or assessment"
        CHILD_PROTECTION = "child_protection", "Child protection referral"
        IRD_RECORD = "ird_record", "IRD records (their referral is kept at least as long)"
        HUB_REVIEW = "hub_review", "Practice hub reviews and audit records"
        AUDIT_LOG = "audit_log", "Audit log entries"
        API_IDEMPOTENCY = "api_idempotency", "Partner API idempotency keys"

    # Classes that decide when a referral goes, and those kept on a clock of their own.
    REFERRAL_TYPES = (
        RecordType.REFERRAL_NO_FURTHER_ACTION,
        RecordType.REFERRAL_SUPPORT,
        RecordType.CHILD_PROTECTION,
        RecordType.IRD_RECORD,
    )
    # Records of the system rather than of a child: counted from their creation, then deleted.
    SYSTEM_TYPES = (RecordType.AUDIT_LOG, RecordType.API_IDEMPOTENCY)

    class Trigger(models.TextChoices):
        CLOSURE = "closure", "Closure of the record"
        EIGHTEENTH_BIRTHDAY = "birthday_18", "The child's 18th birthday"
        TWENTY_FIFTH_BIRTHDAY = "birthday_25", "The child's 25th birthday"
        LAST_CONTACT = "last_contact", "Last contact"
        CREATION = "creation", "Creation of the record"

    class Unit(models.TextChoices):
        DAYS = "days", "days"
        MONTHS = "months", "months"
        YEARS = "years", "years"

    class Disposal(models.TextChoices):
        DELETE = "delete", "Delete"
        ANONYMISE = "anonymise", "Anonymise"

    record_type = models.CharField(max_length=30, choices=RecordType.choices, unique=True)
    period = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.YEARS)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    disposal = models.CharField(max_length=20, choices=Disposal.choices)
    source = models.CharField(
        max_length=300, help_text="The retention schedule or law that sets this period."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["record_type"]
        verbose_name_plural = "retention classes"

    def __str__(self) -> str:
        return (
            f"{self.get_record_type_display()}: {self.period} {self.unit} from "
            f"{self.get_trigger_display().lower()}"
        )

    def clean(self) -> None:
        errors = {}
        kind = self.record_type
        if kind in self.SYSTEM_TYPES and self.trigger != self.Trigger.CREATION:
            errors["trigger"] = "Counted from the creation of each entry."
        if kind not in self.SYSTEM_TYPES and self.trigger == self.Trigger.CREATION:
            errors["trigger"] = "Counted from closure, a birthday or the last contact."
        if kind == self.RecordType.HUB_REVIEW and self.trigger != self.Trigger.CLOSURE:
            errors["trigger"] = "A review is counted from its completion (closure)."
        if kind in (*self.SYSTEM_TYPES, self.RecordType.HUB_REVIEW) and (
            self.disposal != self.Disposal.DELETE
        ):
            # Kept anonymised they would be listed again every month, for ever.
            errors["disposal"] = "These records are deleted at the end of their period."
        if kind in self.SYSTEM_TYPES and not self.period:
            # Partners are promised their idempotency keys for at least 24 hours.
            errors["period"] = "At least one day."
        if errors:
            raise ValidationError(errors)


class LegalHold(models.Model):
    """While a hold is in place (not lifted), nothing about the person is disposed of."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField(max_length=2000)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(lifted_at__isnull=True), name="one_open_hold"
            )
        ]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "in place"
        return f"Legal hold {self.pk} ({state})"


class DisposalList(models.Model):
    """One listing of the closed records past their retention period. Nothing is disposed of
    until a manager other than the one who listed it approves; then each record goes in its own
    transaction (referrals/services/disposal.py)."""

    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting a manager's approval"
        APPROVED = "approved", "Approved: disposal under way"
        COMPLETED = "completed", "Disposal completed"
        SUPERSEDED = "superseded", "Superseded by a newer list"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listed_on = models.DateField(help_text="The day whose due records it lists.")
    listed_at = models.DateTimeField()
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: listed by the monthly job.",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.AWAITING_APPROVAL)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-listed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"],
                condition=Q(state="awaiting_approval"),
                name="one_disposal_list_awaiting_approval",
            )
        ]

    def __str__(self) -> str:
        return f"Disposal list of {self.listed_on:%d %B %Y}"


class DisposalRecord(models.Model):
    """The disposal log: one row per record listed, kept after the record itself has gone. It
    names the record by reference and class only, never a name, date of birth or CHI number."""

    class State(models.TextChoices):
        PENDING = "pending", "Awaiting disposal"
        DELETED = "deleted", "Deleted"
        ANONYMISED = "anonymised", "Anonymised"
        KEPT_HELD = "kept_held", "Kept: under legal hold"
        KEPT_NOT_DUE = "kept_not_due", "Kept: no longer due (reopened or class changed)"
        ALREADY_GONE = "already_gone", "Already gone"

    DONE = (State.DELETED, State.ANONYMISED)

    disposal_list = models.ForeignKey(
        DisposalList, on_delete=models.CASCADE, related_name="records"
    )
    # No foreign key: the row outlives the referral it logs. With `record_type` hub_review
    # the row logs the hub's reviews and audit records of that referral, not the referral.
    referral_id = models.UUIDField()
    reference = models.CharField(max_length=20)
    record_type = models.CharField(max_length=30, choices=RetentionClass.RecordType.choices)
    method = models.CharField(max_length=20, choices=RetentionClass.Disposal.choices)
    due_on = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["disposal_list", "referral_id", "record_type"],
                name="one_disposal_record_per_list",
            ),
            # A referral is disposed of once, whatever lists name it (hub reviews written
            # later may go later).
            models.UniqueConstraint(
                fields=["referral_id"],
                condition=Q(state__in=["deleted", "anonymised"])
                & ~Q(record_type=RetentionClass.RecordType.HUB_REVIEW),
                name="disposed_of_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.get_state_display()}"
