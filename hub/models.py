"""The practice hub: quality reviews of referrals and of decisions, the rubrics they are scored
on, claims on the review queue, and the bi-monthly multi-agency practice audit.

Scores use the Care Inspectorate's six-point scale (excellent to unsatisfactory). A rubric is
versioned: a review or an audit keeps the rubric it was scored on, and a published rubric's
criteria no longer change (a new version is drafted instead)."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from referrals.grades import GRADE_RANGE, Grade
from referrals.models import (
    Agency,
    Deadline,
    Person,
    Referral,
    ReferralFeedback,
    ScreeningDecision,
    Team,
)


def _grade_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 6}), name=name
    )


class HubSettings(models.Model):
    """The hub's configuration: one row, edited in the admin."""

    claim_minutes = models.PositiveIntegerField(
        default=240,
        validators=[MinValueValidator(5)],
        help_text="How long a reviewer's claim on a review lasts; after that others may take it.",
    )
    hub_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The practice hub's team: its manager hears of reviews nobody has claimed "
        "when they fall due.",
    )
    decision_review_percent = models.PositiveSmallIntegerField(
        default=100,
        validators=[MaxValueValidator(100)],
        help_text="Share of approved screening decisions that enter the decision review queue.",
    )
    audit_every_months = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="A practice audit round opens at the start of every period of this many "
        "months (2: January, March, May, July, September, November).",
    )
    audit_lookback_months = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="The sample is drawn from children referred in this many months before the "
        "round opens.",
    )
    audit_sample_size = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Children's records in each round's sample.",
    )
    auditors_per_record = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text="Auditors (from different agencies where possible) who grade each record.",
    )

    class Meta:
        verbose_name = "hub settings"
        verbose_name_plural = "hub settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="hub_settings_one_row")]

    def __str__(self) -> str:
        return "Practice hub settings"

    @classmethod
    def current(cls) -> "HubSettings":
        found, _ = cls.objects.get_or_create(pk=1)
        return found


class Rubric(models.Model):
    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral quality"
        DECISION = "decision", "Decision making and response"
        AUDIT = "audit", "Practice audit quality indicators"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "In use"
        RETIRED = "retired", "Retired"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="rubric_version_unique"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(state="published"),
                name="one_published_rubric_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version}, {self.get_state_display().lower()})"

    @property
    def editable(self) -> bool:
        return self.state == self.State.DRAFT


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(
        max_length=60,
        help_text="Stays the same across versions, so reports can follow a criterion's trend.",
    )
    label = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="What a good score looks like.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "position", "pk"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="criterion_code_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Factor(models.Model):
    """A factor that supported the quality of the work, or a barrier that got in its way."""

    class Kind(models.TextChoices):
        SUPPORT = "support", "Supported quality"
        BARRIER = "barrier", "Barrier to quality"

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="factors")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "kind", "label"], name="factor_label_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Review(models.Model):
    """A referral's quality review, or the review of a screening decision and the response
    that followed it. Enters the queue when the referral is received (or the decision
    approved); one reviewer at a time holds it through a ReviewClaim."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral quality"
        DECISION = "decision", "Decision making and response"

    class State(models.TextChoices):
        QUEUED = "queued", "Awaiting review"
        SUBMITTED = "submitted", "Reviewed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="hub_reviews")
    decision = models.ForeignKey(
        ScreeningDecision,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hub_reviews",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    entered_at = models.DateTimeField(help_text="When it entered the queue.")
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="hub_reviews"
    )
    rubric = models.ForeignKey(
        Rubric,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
        help_text="Fixed when first claimed: the review keeps it.",
    )
    overall = models.PositiveSmallIntegerField(null=True, blank=True, choices=Grade.choices)
    overall_comment = models.TextField(blank=True)
    factors = models.ManyToManyField(Factor, blank=True, related_name="reviews")
    supported_other = models.TextField(blank=True)
    barriers_other = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    feedback = models.OneToOneField(
        ReferralFeedback,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hub_review",
    )

    class Meta:
        ordering = ["entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind="referral"),
                name="one_quality_review_per_referral",
            ),
            models.UniqueConstraint(
                fields=["decision"],
                condition=Q(decision__isnull=False),
                name="one_review_per_decision",
            ),
            models.CheckConstraint(
                condition=Q(kind="referral", decision__isnull=True)
                | Q(kind="decision", decision__isnull=False),
                name="review_kind_matches_subject",
            ),
            models.CheckConstraint(
                condition=Q(state="queued")
                | Q(overall__gte=1, overall__lte=6, submitted_at__isnull=False),
                name="submitted_review_is_complete",
            ),
        ]
        indexes = [models.Index(fields=["kind", "state", "entered_at"], name="review_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} review of {self.referral_id}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(choices=Grade.choices, validators=GRADE_RANGE)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion__pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion"),
            _grade_check("score", "review_score_on_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ReviewClaim(models.Model):
    """A reviewer holding a review. The database allows one active claim per review; an
    active claim past `expires_at` is free to others (the next claim ends it)."""

    class State(models.TextChoices):
        ACTIVE = "active", "Being reviewed"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"
        SUBMITTED = "submitted", "Submitted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="claims")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hub_claims"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    claimed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"], condition=Q(state="active"), name="one_active_claim_per_review"
            )
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="claim_expiry_idx"),
            models.Index(fields=["reviewer", "state"], name="claim_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.review_id} ({self.get_state_display()})"


# --- Practice audits ------------------------------------------------------------------------


class AuditPanelMember(models.Model):
    """Staff from any agency who read and grade records in practice audits."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audit_panel"
    )
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["staff__agency__name", "staff__last_name"]
        verbose_name = "practice audit panel member"

    def __str__(self) -> str:
        return str(self.staff)


class AuditRound(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open: records being graded"
        CLOSED = "closed", "Closed: learning summary sent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period_start = models.DateField(unique=True, help_text="First day of the audit period.")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seed = models.BigIntegerField(help_text="Drawing again with this seed gives this sample.")
    sample_size = models.PositiveSmallIntegerField()
    records_from = models.DateTimeField()
    records_to = models.DateTimeField()
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="audit_rounds")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    summary_deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    learning_summary = models.TextField(blank=True)
    summary_sent_at = models.DateTimeField(null=True, blank=True)
    summary_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"Practice audit {self.period_start:%B %Y}"


class AuditRecord(models.Model):
    """One child's record in a round's sample, with the concern that brought it there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(AuditRound, on_delete=models.CASCADE, related_name="records")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    source_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="one_record_per_child"),
        ]

    def __str__(self) -> str:
        return f"Record {self.position} of {self.round}"


class AuditAssignment(models.Model):
    class State(models.TextChoices):
        ASSIGNED = "assigned", "To grade"
        SUBMITTED = "submitted", "Graded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey(AuditRecord, on_delete=models.CASCADE, related_name="assignments")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_assignments"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ASSIGNED)
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    findings = models.TextField(blank=True)
    learning_points = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["record__position", "auditor__agency__name"]
        constraints = [
            models.UniqueConstraint(fields=["record", "auditor"], name="one_auditor_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.record} for {self.auditor}"


class AuditGrade(models.Model):
    assignment = models.ForeignKey(AuditAssignment, on_delete=models.CASCADE, related_name="grades")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="audit_grades")
    score = models.PositiveSmallIntegerField(choices=Grade.choices, validators=GRADE_RANGE)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion__pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="one_grade_per_indicator"
            ),
            _grade_check("score", "audit_grade_on_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ReferralFacts(models.Model):
    """What the committee's repeat and neglect tables ask of each referral, worked out once
    (hub/summary.py) rather than probed referral by referral on every page (issue 14 P5)."""

    referral = models.OneToOneField(
        Referral, primary_key=True, on_delete=models.CASCADE, related_name="hub_facts"
    )
    received_at = models.DateTimeField()
    # A child named in it had another concern in the year before.
    repeat = models.BooleanField()
    # In a category marked as neglect.
    neglect = models.BooleanField()
    # It raised a cumulative harm flag.
    flagged = models.BooleanField()
    # A flag it raised is still open (not yet addressed in an approved screening decision).
    flag_open = models.BooleanField(default=False)
    # Its screening deadlines, as stored facts rather than a snapshot of a moving clock: the
    # report works out "late" and "pending" at its own `now` from these (hub.reports). Any at
    # all; any met after its due time; the earliest and latest due time of those still live.
    screened = models.BooleanField(default=False)
    screening_met_late = models.BooleanField(default=False)
    screening_live_from = models.DateTimeField(null=True, blank=True)
    screening_live_until = models.DateTimeField(null=True, blank=True)
    # The outcome of its latest approved screening decision ("" before one is approved).
    outcome = models.CharField(max_length=30, blank=True, default="")
    # The overall grade of its submitted referral review, and of its latest decision review.
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    decision_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="hub_facts_received_idx"),
            models.Index(
                fields=["received_at"],
                condition=Q(neglect=True) | Q(flagged=True),
                name="hub_facts_neglect_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of referral {self.referral_id}"


class FactsRefresh(models.Model):
    """One row: how far the summary has been brought up to date. Its lock keeps one refresh
    running at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    refreshed_to = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"report summary up to {self.refreshed_to}"
