"""Emergency measures taken to protect a child (Children's Hearings (Scotland) Act 2011; Children
(Scotland) Act 1995 s.25), each with its statutory clock. Rules: referrals/services/emergency.py."""

import uuid

from django.conf import settings
from django.db import models

from referrals.models.lookups import DatedLookup
from referrals.models.organisation import Agency
from referrals.models.people import Person
from referrals.models.referral import Referral


class EmergencyMeasure(models.Model):
    class Kind(models.TextChoices):
        POLICE_REMOVAL = "police_removal", "Police removal to a place of safety (s.56)"
        CHILD_PROTECTION_ORDER = "cpo", "Child protection order (s.37)"
        CHILD_ASSESSMENT_ORDER = "cao", "Child assessment order (s.35)"
        JUSTICE_OF_THE_PEACE_ORDER = "jp_order", "Justice of the peace order (s.55)"
        EXCLUSION_ORDER = "exclusion_order", "Exclusion order"
        ACCOMMODATION = "s25_accommodation", "Accommodation under s.25 (voluntary)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="emergency_measures"
    )
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="emergency_measures")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    granted_at = models.DateTimeField(
        "granted or taken at", help_text="When the order was granted, or the child removed."
    )
    starts_at = models.DateTimeField("in effect from")
    ends_at = models.DateTimeField("ends", null=True, blank=True)
    reason = models.TextField(max_length=4000)
    reporter_told_at = models.DateTimeField(null=True, blank=True)
    reporter_told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_told_by_label = models.CharField(max_length=200, blank=True)
    # Staff record a measure from the referral or the IRD page; a partner system through the
    # API, with no staff account: the label names whoever it was, and the agency they act for.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=200, blank=True)
    recorded_by_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="emergency_measure_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_at:%Y-%m-%d %H:%M}"


class EmergencyMeasureKind(DatedLookup):
    """When each kind of measure may be chosen, and its label. The rules (statutory clocks) key
    on EmergencyMeasure.Kind; a retired kind stays on the records that used it."""

    code = models.CharField(max_length=30, unique=True, choices=EmergencyMeasure.Kind.choices)
    label = models.CharField(max_length=120)
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "label"]

    def __str__(self) -> str:
        return self.label
