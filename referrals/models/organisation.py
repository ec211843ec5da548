"""Agencies, teams and the staff who work in them, with the role that decides what they see."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Agency(models.Model):
    class Kind(models.TextChoices):
        SOCIAL_WORK = "social_work", "Social work"
        POLICE = "police", "Police"
        HEALTH = "health", "Health"
        EDUCATION = "education", "Education"
        OTHER = "other", "Other"
        # A member of the public, the child's family or the child: no agency stands behind them.
        COMMUNITY = "community", "Public, family or child"

    code = models.SlugField(max_length=40, unique=True, help_text="Used by partner systems.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    anonymous = models.BooleanField(
        default=False,
        help_text="Concerns from this source name nobody: no referrer's name or contact details.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    locality = models.CharField(max_length=100, blank=True)
    receives_partner_concerns = models.BooleanField(
        default=False,
        help_text="Concerns sent by partner systems land with this team for screening.",
    )
    service_manager = models.ForeignKey(
        "Staff",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_service_teams",
        help_text="Receives escalations beyond the team manager.",
    )

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="team_name_unique_in_agency")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"
    HUB_REVIEWER = "hub_reviewer", "Practice hub reviewer"
    IRD_PARTICIPANT = "ird_participant", "IRD participant"
    COMMITTEE = "committee", "Child protection committee / QA"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor (read-only)"
    INFORMATION_GOVERNANCE = "information_governance", "Information governance officer"


class Staff(AbstractUser):
    """A person who signs in. Role and agency together decide what they may see and do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.SOCIAL_WORKER)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = "staff member"
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_social_work(self) -> bool:
        return self.agency_id is not None and self.agency.kind == Agency.Kind.SOCIAL_WORK


class EscalationContact(models.Model):
    """Who hears when another agency's overdue work escalates (an IRD action owned by police,
    say): named managers, or a monitored mailbox, for the whole agency or one of its teams."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="escalation_contacts")
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_contacts",
        help_text="Empty: for the whole agency. A team's own contacts come first.",
    )
    staff = models.ForeignKey(
        "Staff",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_contact_for",
        help_text="A named manager (told in the application and by e-mail).",
    )
    mailbox = models.EmailField(blank=True, help_text="A monitored mailbox (told by e-mail).")

    class Meta:
        ordering = ["agency__name", "team__name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(staff__isnull=True, mailbox=""),
                name="escalation_contact_names_someone",
            )
        ]

    def __str__(self) -> str:
        who = str(self.staff) if self.staff_id else self.mailbox
        return f"{who} for {self.team or self.agency}"
