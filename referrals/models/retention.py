"""Retention classes (how long each kind of record is kept, and what happens then) and legal
holds (which stop any disposal of a person's records and everything linked to them)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from referrals.models.people import Person


class RetentionClass(models.Model):
    """One kind of record's retention period, counted from its trigger date. Edited by the
    administrator as policy changes; `source` says which schedule or law sets the period."""

    class RecordType(models.TextChoices):
        REFERRAL_NO_FURTHER_ACTION = "referral_nfa", "Referral closed with no further action"
        REFERRAL_SUPPORT = "referral_support", "Referral closed with support or assessment"
        CHILD_PROTECTION = "child_protection", "Child protection referral and its IRDs"

    class Trigger(models.TextChoices):
        CLOSURE = "closure", "Closure of the record"
        EIGHTEENTH_BIRTHDAY = "birthday_18", "The child's 18th birthday"
        TWENTY_FIFTH_BIRTHDAY = "birthday_25", "The child's 25th birthday"
        LAST_CONTACT = "last_contact", "Last contact"

    class Disposal(models.TextChoices):
        DELETE = "delete", "Delete"
        ANONYMISE = "anonymise", "Anonymise"

    record_type = models.CharField(max_length=30, choices=RecordType.choices, unique=True)
    period_years = models.PositiveSmallIntegerField()
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
            f"{self.get_record_type_display()}: {self.period_years} years from "
            f"{self.get_trigger_display().lower()}"
        )


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
