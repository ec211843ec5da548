"""Restricted records and break-glass access.

A manager restricts a person's record (a member of staff's own family, a public figure, a
witness protection case): then only the people named on the restriction see it, their
referrals and IRDs. Anyone else whose role would let them see it meets the break-glass page:
they state why, and see it for a limited time, audited, with the record's manager and the
information governance officers told at once; every use is reviewed afterwards.
"""

import uuid

from django.conf import settings
from django.db import models

from referrals.models.people import Person


class Restriction(models.Model):
    class Reason(models.TextChoices):
        STAFF_FAMILY = "staff_family", "A member of staff's own family"
        PUBLIC_FIGURE = "public_figure", "A public figure, or their family"
        PROTECTION = "protection", "Witness protection or a similar order"
        OTHER = "other", "Another reason (explained)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="restriction")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    explanation = models.TextField(max_length=2000, blank=True)
    allowed = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="+",
        help_text="Who may see the record without breaking the glass.",
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Restricted: {self.get_reason_display()}"


class BreakGlass(models.Model):
    class Reason(models.TextChoices):
        IMMEDIATE_RISK = "immediate_risk", "A child may be at immediate risk"
        DUTY_WORK = "duty_work", "Duty work on a new concern about this child"
        ASKED_BY_MANAGER = "asked_by_manager", "My manager asked me to act on this record"
        OTHER = "other", "Another reason (explained)"

    class Review(models.TextChoices):
        PENDING = "pending", "Not yet reviewed"
        REVIEWED = "reviewed", "Reviewed"
        JUSTIFIED = "justified", "Justified"
        REFERRED = "referred", "Referred for investigation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="break_glass")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    explanation = models.TextField(max_length=2000)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "break-glass access"
        verbose_name_plural = "break-glass accesses"
        indexes = [models.Index(fields=["staff", "person", "expires_at"], name="break_glass_idx")]

    def __str__(self) -> str:
        return f"Break-glass {self.opened_at:%Y-%m-%d %H:%M}"
