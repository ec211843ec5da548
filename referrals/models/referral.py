"""Referrals (concerns about children), their screening decisions and their lifecycle."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from referrals.models.lookups import DatedLookup
from referrals.models.organisation import Agency, Team
from referrals.models.people import Person


class ConcernCategory(DatedLookup):
    """Concern categories as configured (Scottish Government child protection statistics)."""

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120)
    is_neglect = models.BooleanField(
        default=False, help_text="Counts towards neglect rules and reports."
    )
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "label"]
        verbose_name_plural = "concern categories"

    def __str__(self) -> str:
        return self.label


class Referral(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        SCREENING = "screening", "Screening"
        DECIDED = "decided", "Decided"
        IRD_SCHEDULED = "ird_scheduled", "IRD scheduled"
        IRD_HELD = "ird_held", "IRD held"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        PHONE = "phone", "Telephone"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter or form"
        IN_PERSON = "in_person", "In person"
        PARTNER_SYSTEM = "partner_system", "Partner system"

    class SharingBasis(models.TextChoices):
        CONSENT = "consent", "Consent"
        PUBLIC_TASK = "public_task", "Public task"
        VITAL_INTERESTS = "vital_interests", "Vital interests"
        SAFEGUARDING = "safeguarding", "Safeguarding of children (DPA 2018 Sch 1 para 18)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="referrals")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    referrer_name = models.CharField(max_length=200)
    referrer_role = models.CharField(max_length=200, blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_manager_email = models.EmailField(
        "referrer's manager's e-mail",
        blank=True,
        help_text="The practice hub's feedback goes to the referrer and to their manager.",
    )
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    summary = models.TextField(max_length=20000)
    immediate_risk = models.BooleanField()
    ird_requested = models.BooleanField(
        "the referrer asks for an IRD now",
        default=False,
        help_text="Police, health or social work asking for an IRD: with immediate risk, it "
        "opens an IRD request at once, before screening.",
    )
    categories = models.ManyToManyField(ConcernCategory, related_name="referrals")
    consent_sought = models.BooleanField(default=False)
    consent_given = models.BooleanField(null=True, blank=True)
    reason_consent_not_sought = models.CharField(max_length=500, blank=True)
    sharing_basis = models.CharField(max_length=30, choices=SharingBasis.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_reference = models.CharField(max_length=64, blank=True)
    # Set by the intake form so that a double submit records the referral once.
    intake_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    children = models.ManyToManyField(
        Person, through="ReferralChild", through_fields=("referral", "person"), related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="referral_status_idx"),
            models.Index(fields=["team", "status"], name="referral_team_status_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def current_decision(self) -> "ScreeningDecision | None":
        """The newest screening decision; relies on the prefetch ordering of selectors."""
        decisions = list(self.screening_decisions.all())
        return max(decisions, key=lambda d: d.proposed_at) if decisions else None


class ReferralChild(models.Model):
    class Match(models.TextChoices):
        NEW_RECORD = "new_record", "New person record"
        MATCHED = "matched", "Matched to an existing record"
        TO_CONFIRM = "to_confirm", "Possible match to confirm"
        REJECTED = "rejected", "Possible match rejected: a different child"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="child_links")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referral_links")
    match = models.CharField(max_length=20, choices=Match.choices)
    match_score = models.PositiveSmallIntegerField(null=True, blank=True)
    proposed_match = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order named in the concern.")
    # Who confirmed or rejected a possible match, and why it was not the same child.
    match_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    match_decided_at = models.DateTimeField(null=True, blank=True)
    match_rejected_because = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "person"], name="referral_child_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.referral}"


class ReferralAdult(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="adult_links")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="adult_links")
    relationship = models.CharField(max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order named in the concern.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "person"], name="referral_adult_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.referral}"


class ScreeningDecision(models.Model):
    class Outcome(models.TextChoices):
        NO_FURTHER_ACTION = "no_further_action", "No further action (advice or signposting)"
        SUPPORT = "support", "Support through the child's plan or a single agency"
        WELFARE_ASSESSMENT = "welfare_assessment", "Child welfare assessment"
        CHILD_PROTECTION = "child_protection", "Child protection concern: IRD needed"

    class State(models.TextChoices):
        PROPOSED = "proposed", "Awaiting manager approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned for more work"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="screening_decisions"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    reasons = models.TextField()
    risk_analysis = models.TextField()
    needs_analysis = models.TextField()
    cumulative_harm_analysis = models.TextField(blank=True)
    advice_given = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            # One decision at a time awaits a manager.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(state="proposed"),
                name="one_proposed_decision_per_referral",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.get_state_display()})"


class ReferenceCounter(models.Model):
    """Per-year counters for human-readable references; incremented under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
