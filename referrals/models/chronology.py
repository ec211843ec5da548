"""Each child's chronology, cumulative-harm rules and flags, and in-app notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from referrals.models.organisation import Agency
from referrals.models.people import Person
from referrals.models.referral import ConcernCategory, Referral, ScreeningDecision


class ChronologyEntry(models.Model):
    """One significant event in a child's life as the agencies know it, in time order."""

    class Kind(models.TextChoices):
        CONCERN = "concern", "Concern received"
        SCREENING_PROPOSED = "screening_proposed", "Screening decision proposed"
        SCREENING_APPROVED = "screening_approved", "Screening decision approved"
        SCREENING_RETURNED = "screening_returned", "Screening decision returned"
        CUMULATIVE_HARM = "cumulative_harm", "Possible cumulative harm flagged"
        REFERRAL_CLOSED = "referral_closed", "Referral closed"
        IRD = "ird", "Inter-agency referral discussion"
        ACTION = "action", "Action"
        REVIEW = "review", "Review"
        RECORD_MERGED = "record_merged", "Records merged"
        EMERGENCY_MEASURE = "emergency_measure", "Emergency measure"
        DETAILS_CHANGED = "details_changed", "Details changed"
        BIRTH = "birth", "Birth recorded"
        NOTE = "note", "Note"
        EVENT = "event", "Significant event"  # written by a worker (chronology.event_record)
        CPPM = "cppm", "Child protection planning meeting"
        REGISTER = "register", "Child protection register"
        CORE_GROUP = "core_group", "Core group meeting"

    class Category(models.TextChoices):
        """What a significant event written by hand is about."""

        HEALTH = "health", "Health"
        EDUCATION = "education", "Education or learning"
        POLICE = "police", "Police involvement"
        HOUSEHOLD = "household", "Change in household or carers"
        HOUSING = "housing", "House move or housing"
        HEARING = "hearing", "Court or Children's Hearing"
        PROTECTION = "protection", "Child protection"
        OTHER = "other", "Other"

    class Significance(models.TextChoices):
        HIGH = "high", "High: affects the child's safety or wellbeing now"
        MEDIUM = "medium", "Medium: part of a pattern to watch"
        LOW = "low", "Low: background"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chronology")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    summary = models.TextField()
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Significant events written by hand: where the information came from, what it is about,
    # and how much it matters. Entries the system writes leave them empty (their referral's
    # agency is their source).
    source_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    significance = models.CharField(max_length=10, choices=Significance.choices, blank=True)

    class Meta:
        ordering = ["occurred_at", "recorded_at"]
        verbose_name_plural = "chronology entries"
        indexes = [models.Index(fields=["person", "occurred_at"], name="chronology_person_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.get_kind_display()}"


class CumulativeHarmRule(models.Model):
    """`concern_count` concerns (of `category`, if set) within `window_days` flag the child."""

    name = models.CharField(max_length=200)
    concern_count = models.PositiveSmallIntegerField()
    window_days = models.PositiveSmallIntegerField()
    category = models.ForeignKey(
        ConcernCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Leave empty to count concerns of any category.",
    )
    counts_neglect_only = models.BooleanField(
        default=False, help_text="Count only concerns in a category marked as neglect."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CumulativeHarmFlag(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open: to be addressed in screening"
        ADDRESSED = "addressed", "Addressed in an approved screening decision"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="harm_flags")
    rule = models.ForeignKey(CumulativeHarmRule, on_delete=models.PROTECT, related_name="flags")
    raised_at = models.DateTimeField()
    triggered_by = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="harm_flags")
    concern_count = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    addressed_by = models.ForeignKey(
        ScreeningDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    addressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "rule"],
                condition=Q(status="open"),
                name="one_open_flag_per_person_and_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.get_status_display()})"


class Notification(models.Model):
    """A message to one member of staff, shown in the application (and e-mailed if asked)."""

    class Kind(models.TextChoices):
        CUMULATIVE_HARM = "cumulative_harm", "Possible cumulative harm"
        APPROVAL_NEEDED = "approval_needed", "Screening decision awaits approval"
        DECISION_RETURNED = "decision_returned", "Screening decision returned"
        DECISION_APPROVED = "decision_approved", "Screening decision approved"
        IMMEDIATE_RISK = "immediate_risk", "Referral with immediate risk"
        DEADLINE = "deadline", "Timescale"
        GENERAL = "general", "Notice"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alert = models.ForeignKey(
        "DeadlineAlert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # E-mail, where asked for, goes out from a task after commit; emailed_at makes it once.
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"], name="one_notification_per_alert_and_recipient"
            )
        ]

    def __str__(self) -> str:
        return self.title
