"""Timescales (configuration) and the deadlines that chase each step until it is done.

The database is the source of truth: a deadline row says when to warn, when it falls due and
when to escalate; a sweep every minute acts on the rows whose moment has passed. Nothing
depends on a delayed Celery message. Each level is acted on once: DeadlineAlert is unique per
deadline and level."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from referrals.models.organisation import Team
from referrals.models.referral import Referral


class Timescale(models.Model):
    class Unit(models.TextChoices):
        MINUTES = "minutes", "Minutes (demonstrations only)"
        HOURS = "hours", "Hours"
        CALENDAR_DAYS = "calendar_days", "Calendar days"
        WORKING_DAYS = "working_days", "Working days"
        CALENDAR_MONTHS = "calendar_months", "Calendar months"

    kind = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    task = models.CharField(
        max_length=200,
        blank=True,
        help_text='The step as a task for its owner, as alerts name it: "Record the screening '
        'decision" (alerts read "Record the screening decision for CW-2026-000123").',
    )
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    warning_before = models.DurationField(
        default=timedelta(hours=4), help_text="Warn the owner this long before it is due."
    )
    escalate_to_manager_after = models.DurationField(
        default=timedelta(days=1),
        help_text="Tell the team manager this long after it is due. An edit applies to open "
        "deadlines too (their due times stay as given). For a step counted in working days "
        "this is working time (days as working days, hours as working hours, 08:00-18:00); "
        "otherwise, and for urgent steps, elapsed time.",
    )
    escalate_to_service_manager_after = models.DurationField(
        default=timedelta(days=3),
        help_text="Tell the service manager this long after it is due (counted as above).",
    )
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the timescale comes from (guidance, local rule).",
    )

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount} {self.get_unit_display().lower()}"

    def clean(self):
        # The ladder goes up one rung at a time: the team manager first, then the service
        # manager. Open deadlines follow an edit (referrals.deadlines.timescale_changed).
        if (
            self.escalate_to_manager_after is not None
            and self.escalate_to_service_manager_after is not None
            and self.escalate_to_service_manager_after < self.escalate_to_manager_after
        ):
            raise ValidationError(
                {
                    "escalate_to_service_manager_after": "The service manager is told after the "
                    'team manager: make this the same as or longer than "manager after".'
                }
            )


class ClosureDay(models.Model):
    """A day the council is closed beyond Scottish public holidays (local holidays)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y}: {self.name}"


class Deadline(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        MET = "met", "Met"
        BREACHED = "breached", "Overdue"
        CANCELLED = "cancelled", "Cancelled"

    class Level(models.IntegerChoices):
        NONE = 0, "Not yet due"
        WARNED = 1, "Owner warned"
        DUE = 2, "Overdue: owner told"
        MANAGER = 3, "Escalated to team manager"
        SERVICE_MANAGER = 4, "Escalated to service manager"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    timescale = models.ForeignKey(Timescale, on_delete=models.PROTECT, related_name="deadlines")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines"
    )
    # What the deadline is about, for records outside referrals/ (hub reviews, IRDs).
    subject_type = models.CharField(max_length=60)
    subject_id = models.CharField(max_length=64)
    url = models.CharField(max_length=300, help_text="Where the owner does the work.")
    # What the task is for, in words, where no referral says it ("IRD procedure v2.1").
    subject_label = models.CharField(max_length=120, blank=True)
    # Urgent steps (immediate risk, emergency measures) are told at any hour; the rest wait
    # for working hours (settings.REMINDER_HOURS).
    urgent = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deadlines",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="deadlines"
    )
    starts_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.NONE)
    next_action_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The sweep reads only rows whose next moment has come: its cost follows what is
            # due, not what is open.
            models.Index(
                fields=["next_action_at"],
                name="deadline_next_action_idx",
                condition=Q(state__in=["open", "breached"]),
            ),
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject_idx"),
            models.Index(fields=["team", "state", "due_at"], name="deadline_team_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.timescale.label} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def task(self) -> str:
        """ "Record the screening decision": the step as something to do."""
        return self.timescale.task or self.timescale.label

    @property
    def subject(self) -> str:
        """What the task is for: the referral's reference, or the words given at opening."""
        return self.subject_label or (self.referral.reference if self.referral_id else "")


class DeadlineAlert(models.Model):
    """That a deadline reached a level and the people concerned were told. One per level."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="alerts")
    level = models.PositiveSmallIntegerField(choices=Deadline.Level.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "level"], name="one_alert_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.deadline}: {self.get_level_display()}"
