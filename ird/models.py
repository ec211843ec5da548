"""Inter-agency referral discussions (IRDs): scheduling, the live record, decisions, actions,
follow-up, quality review and the IRD procedure with its trial periods.

The record is edited live by one recorder while the others watch, so every text section carries
its own version: a save names the version it was based on and is refused when someone else saved
in between (a conditional UPDATE ... WHERE version = ..., see services.section_save). Every save
is kept as a Revision. After the chair signs off nothing changes but addenda."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from referrals.grades import GRADE_RANGE, Grade
from referrals.models import (
    Agency,
    ConcernCategory,
    Person,
    Referral,
    ScreeningDecision,
    ShareRoute,
)
from referrals.models.lookups import DatedLookup

STAFF = settings.AUTH_USER_MODEL


class DecisionCode(DatedLookup):
    """What an IRD can decide (configurable; seeded by migration 0002)."""

    class Cppm(models.TextChoices):
        NEEDED = "needed", "A child protection planning meeting is to be held"
        NOT_NEEDED = "not_needed", "No child protection planning meeting is needed"
        NO_BEARING = "", "No bearing on the planning meeting"

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    cppm = models.CharField(
        "effect on the CPPM deadline",
        max_length=20,
        choices=Cppm.choices,
        blank=True,
        help_text="At sign-off, a 'not needed' decision with no 'to be held' one cancels the "
        "referral's child protection planning meeting deadline.",
    )
    medical_examination = models.BooleanField(
        default=False, help_text="Adds 'medical examination arranged' to the follow-up checklist."
    )
    further_ird = models.BooleanField(
        "opens a further IRD",
        default=False,
        help_text="At sign-off the IRD requests a follow-on IRD, linked to it, for what the "
        "further enquiries find.",
    )
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "label"]

    def __str__(self) -> str:
        return self.label


class Ird(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        CONCLUDED = "concluded", "Concluded"
        SIGNED_OFF = "signed_off", "Signed off"
        CANCELLED = "cancelled", "Cancelled"

    class Route(models.TextChoices):
        SCREENING = "screening", "Approved child protection screening decision"
        IMMEDIATE_RISK = "immediate_risk", "Concern reporting immediate risk"
        AGENCY_REQUEST = "agency_request", "Asked for by police, health or social work"
        FURTHER = "further", "Further IRD after further enquiries"
        REPEAT = "repeat", "Repeat IRD"

    class Mode(models.TextChoices):
        TELECONFERENCE = "teleconference", "Teleconference"
        VIDEO = "video", "Video call"
        IN_PERSON = "in_person", "In person"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=24, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    requested_by_decision = models.OneToOneField(
        ScreeningDecision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The approved child protection decision that opened this IRD request.",
    )
    requested_at = models.DateTimeField(
        help_text="When the IRD clock started: the concern's arrival for an IRD asked for with "
        "the concern, otherwise when the request was made."
    )
    route = models.CharField(
        "how the IRD was asked for", max_length=20, choices=Route.choices, default=Route.SCREENING
    )
    requested_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requesting_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_reason = models.TextField("why it was asked for", max_length=4000, blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ons",
        help_text="The earlier IRD of the same episode this one follows.",
    )
    # Out of hours: a short initial discussion covers immediate protection; the full IRD is
    # then due the next working day.
    initial_discussion_at = models.DateTimeField(null=True, blank=True)
    initial_discussion_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    initial_discussion = models.TextField(
        "initial discussion out of hours", max_length=10000, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    coordinator = models.ForeignKey(
        STAFF,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who scheduled it.",
    )
    chair = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorder = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Teleconference details: shown only to the invited (access.can_see_teleconference).
    dial_in = models.CharField("dial-in number", max_length=40, blank=True)
    meeting_id = models.CharField("meeting ID", max_length=40, blank=True)
    pin = models.CharField("PIN", max_length=20, blank=True)
    reason = models.TextField("why the IRD started", max_length=4000, blank=True)
    mode = models.CharField("how the IRD was held", max_length=20, choices=Mode.choices, blank=True)
    # The recorder confirms the integrated chronology was before the IRD (NG2021 3.27).
    chronology_considered_at = models.DateTimeField(null=True, blank=True)
    chronology_considered_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    lead_professional = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    # SEQUENCE of the calendar event: raised by each reschedule and by cancelling.
    calendar_sequence = models.PositiveIntegerField(default=0)
    # Scheduling and lifecycle forms carry `version`; watchers poll `record_version`, which
    # moves on with every change to the record.
    version = models.PositiveIntegerField(default=1)
    record_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "IRD"
        verbose_name_plural = "IRDs"
        constraints = [
            # A referral has one IRD under way at a time; a later one follows sign-off or
            # cancellation of the first.
            models.UniqueConstraint(
                fields=["referral"],
                condition=~Q(status__in=["signed_off", "cancelled"]),
                name="one_open_ird_per_referral",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"], name="ird_status_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def ends_at(self):
        if self.scheduled_for is None:
            return None
        return self.scheduled_for + timedelta(minutes=self.duration_minutes)


class Invitation(models.Model):
    """A person invited to the IRD, with the agency and role they take part for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="invitations")
    staff = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role_in_ird = models.CharField("role", max_length=120, blank=True)
    invited_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__name", "invited_at"]
        constraints = [
            models.UniqueConstraint(fields=["ird", "staff"], name="one_invitation_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.staff} ({self.agency}) to {self.ird}"


class CalendarMessage(models.Model):
    """An e-mailed calendar invitation, update or cancellation: written with the change that
    causes it, sent by a task after commit, resent by a periodic task if the broker lost it."""

    class Method(models.TextChoices):
        REQUEST = "REQUEST", "Invitation or update"
        CANCEL = "CANCEL", "Cancellation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The meeting it is about: an IRD or a child protection planning meeting (one of the two).
    ird = models.ForeignKey(
        Ird, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_messages"
    )
    cppm = models.ForeignKey(
        "Cppm", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_messages"
    )
    recipient = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10, choices=Method.choices)
    sequence = models.PositiveIntegerField()
    ics = models.TextField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ird", "recipient", "sequence"], name="one_calendar_message_per_sequence"
            ),
            models.UniqueConstraint(
                fields=["cppm", "recipient", "sequence"],
                name="one_cppm_calendar_message_per_sequence",
            ),
            models.CheckConstraint(
                condition=Q(ird__isnull=True, cppm__isnull=False)
                | Q(ird__isnull=False, cppm__isnull=True),
                name="calendar_message_for_one_meeting",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="ird_calendar_unsent_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.ird or self.cppm} #{self.sequence} to {self.recipient}"

    @property
    def meeting(self):
        return self.ird if self.ird_id else self.cppm


class IrdChild(models.Model):
    """A child the IRD covers: named in the referral, or proposed because they are a brother or
    sister or live in the same household; the coordinator includes them or records why not."""

    class Source(models.TextChoices):
        REFERRAL = "referral", "Named in the referral"
        SIBLING = "sibling", "Brother or sister"
        HOUSEHOLD = "household", "Same household or setting"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="children")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    included = models.BooleanField(null=True, blank=True, help_text="Empty: to be decided.")
    reason_not_included = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source", "person__date_of_birth"]
        constraints = [models.UniqueConstraint(fields=["ird", "person"], name="ird_child_once")]

    def __str__(self) -> str:
        return f"{self.person} in {self.ird}"


class RecordSection(models.Model):
    """One free-text part of the record, saved as the recorder types."""

    class Key(models.TextChoices):
        INFO_POLICE = "info_police", "Information shared by police"
        INFO_HEALTH = "info_health", "Information shared by health"
        INFO_SOCIAL_WORK = "info_social_work", "Information shared by social work"
        INFO_EDUCATION = "info_education", "Information shared by education"
        INFO_OTHER = "info_other", "Information shared by other agencies"
        PARENTAL_RESPONSIBILITY = (
            "parental_responsibility",
            "Adults with parental responsibility",
        )
        CHILD_VIEWS = "child_views", "The child's views"
        PARENTS_VIEWS = "parents_views", "The parents' views"
        DISCUSSION = "discussion", "Discussion"
        RISK_AND_NEED = "risk_and_need", "Analysis of risk and need"
        DECISION_REASONS = "decision_reasons", "Reasons for the decisions"
        NEXT_STEPS = "next_steps", "Next steps"

    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=30, choices=Key.choices)
    text = models.TextField(max_length=50000, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ird", "key"], name="one_section_per_key")]

    def __str__(self) -> str:
        return f"{self.get_key_display()} v{self.version}"


class Revision(models.Model):
    """Every save of the record, with its author and time: a section's full text, or a line
    saying what changed in attendance, decisions, actions and the like."""

    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="revisions")
    key = models.CharField(max_length=30)
    version = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    author = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["ird", "saved_at"], name="ird_revision_idx")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version} by {self.author_id}"


class Attendance(models.Model):
    class Seniority(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        FIRST_LINE_MANAGER = "first_line_manager", "First-line manager"
        SENIOR_MANAGER = "senior_manager", "Senior manager"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="attendance")
    staff = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=120, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["joined_at", "name"]
        verbose_name_plural = "attendance"

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"


class AbsenceReason(models.Model):
    """Why an agency that must take part (police, health, social work) did not."""

    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="absence_reasons")
    agency_kind = models.CharField(max_length=20, choices=Agency.Kind.choices)
    reason = models.TextField(max_length=2000)
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ird", "agency_kind"], name="one_absence_reason")
        ]

    def __str__(self) -> str:
        return f"{self.get_agency_kind_display()} absent from {self.ird}"


class IrdDecision(models.Model):
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="decisions")
    code = models.ForeignKey(DecisionCode, on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField(max_length=4000, blank=True)
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["code__display_order", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["ird", "code"], name="one_decision_per_code")
        ]

    def __str__(self) -> str:
        return str(self.code)


class IrdAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(max_length=2000)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    completion_note = models.TextField(max_length=4000, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by_label = models.CharField(
        max_length=200, blank=True, help_text="A staff username or an API client's name."
    )
    holds_cppm = models.BooleanField(
        "this action is the child protection planning meeting",
        default=False,
        help_text="Done, it meets the referral's planning meeting deadline.",
    )
    # ETag of the partner API and the version of the page form (conditional UPDATE).
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "created_at"]

    def __str__(self) -> str:
        return self.description[:60]


class Addendum(models.Model):
    """The only change to a signed-off record: dated, with its author and reason."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    reason = models.TextField(max_length=2000)
    text = models.TextField(max_length=20000)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.ird} ({self.created_at:%Y-%m-%d})"


class Circulation(models.Model):
    """Who the signed record was sent to, how and when."""

    class Method(models.TextChoices):
        APPLICATION = "application", "In the application, with an e-mail link"
        SECURE_EMAIL = "secure_email", "Secure e-mail"
        POST = "post", "Post"
        BY_HAND = "by_hand", "By hand"

    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="circulation")
    recipient = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_label = models.CharField(max_length=200)
    method = models.CharField(max_length=20, choices=Method.choices)
    sent_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    # What the share route (referrals.ShareRoute) said when the record went: codes, kept as
    # they were even if the route is edited later.
    lawful_basis = models.CharField(max_length=30, blank=True)
    special_category_condition = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.ird} to {self.recipient_label}"

    @property
    def lawful_basis_label(self) -> str:
        labels = dict(ShareRoute.LawfulBasis.choices) | dict(ShareRoute.Condition.choices)
        parts = [self.lawful_basis, self.special_category_condition]
        return "; ".join(labels.get(code, code) for code in parts if code and code != "none")


class FollowUpItem(models.Model):
    """The post-IRD checklist: each item tracked to done with a deadline."""

    class Code(models.TextChoices):
        VIEWS_SOUGHT = "views_sought", "Child's and parents' views sought"
        CHRONOLOGY = "chronology", "Integrated chronology considered"
        OTHER_CHILDREN = "other_children", "Other children considered"
        MEDICAL = "medical", "Medical examination arranged"
        ADULT_PROTECTION = "adult_protection", "Adult protection referral considered"
        NAMED_PERSON = "named_person", "Named person informed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="follow_up")
    code = models.CharField(max_length=30, choices=Code.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["due_at", "code"]
        constraints = [
            models.UniqueConstraint(fields=["ird", "code"], name="one_follow_up_item_per_code")
        ]

    def __str__(self) -> str:
        return self.get_code_display()


def _grade(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, choices=Grade.choices, validators=GRADE_RANGE)


class QualityReview(models.Model):
    """A QA reviewer's judgement of one IRD on the six-point scale."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ird = models.ForeignKey(Ird, on_delete=models.CASCADE, related_name="quality_reviews")
    reviewer = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    timeliness = _grade("timeliness")
    timeliness_comment = models.TextField(max_length=2000, blank=True)
    attendance = _grade("attendance of the agencies that should have taken part")
    attendance_comment = models.TextField(max_length=2000, blank=True)
    completeness = _grade("completeness of the record")
    completeness_comment = models.TextField(max_length=2000, blank=True)
    rationale = _grade("rationale for the decisions")
    rationale_comment = models.TextField(max_length=2000, blank=True)
    comments = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["ird", "reviewer"], name="one_review_per_reviewer"),
            models.CheckConstraint(
                condition=Q(timeliness__range=(1, 6))
                & Q(attendance__range=(1, 6))
                & Q(completeness__range=(1, 6))
                & Q(rationale__range=(1, 6)),
                name="quality_grades_on_the_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"Quality review of {self.ird_id}"


class ProcedureVersion(models.Model):
    """A version of the IRD procedure. Each starts a trial; at its end the child protection
    committee is reminded (through the timescales engine) to review it."""

    class Status(models.TextChoices):
        TRIAL = "trial", "In trial"
        ADOPTED = "adopted", "Adopted"
        SUPERSEDED = "superseded", "Replaced by a later version"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    version = models.CharField(max_length=20, unique=True)
    effective_from = models.DateField()
    trial_months = models.PositiveSmallIntegerField(default=3)
    trial_ends_on = models.DateField()
    text = models.TextField(max_length=100000, blank=True)
    document_reference = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the approved document is kept, e.g. its reference in the council's "
        "document system.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIAL)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-created_at"]

    def __str__(self) -> str:
        return f"{self.title}, version {self.version}"


class ProcedureReview(models.Model):
    class Outcome(models.TextChoices):
        ADOPT = "adopt", "Adopt the procedure"
        AMEND = "amend", "Amend it: a new version starts a new trial"
        EXTEND = "extend", "Extend the trial"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    procedure = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="reviews"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField(max_length=10000)
    extended_until = models.DateField(null=True, blank=True)
    next_version = models.ForeignKey(
        ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.reviewed_at:%Y-%m-%d})"


# --- Child protection planning meetings and the register -----------------------------------


class Cppm(models.Model):
    """A child protection planning meeting (NG2021 3.130-3.138): initial or pre-birth after an
    IRD that decided one is needed, review of a registered child, or transfer of a child
    registered elsewhere. Its status moves only through ird.cppm.CPPM_TRANSITIONS."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial"
        PRE_BIRTH = "pre_birth", "Pre-birth"
        REVIEW = "review", "Review"
        TRANSFER = "transfer", "Transfer"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        INQUORATE = "inquorate", "Inquorate: to be reconvened"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=24, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    ird = models.ForeignKey(
        Ird,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cppms",
        help_text="The signed-off IRD that decided a planning meeting is needed.",
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The inquorate meeting this one reconvenes.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    children = models.ManyToManyField(Person, related_name="+")
    scheduled_for = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=90)
    place = models.CharField("place", max_length=200, blank=True)
    dial_in = models.CharField("dial-in or video link", max_length=200, blank=True)
    chair = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    coordinator = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    short_notice_reason = models.TextField(
        "why less than 5 days' notice", max_length=2000, blank=True
    )
    # The 28 days extended (NG2021 3.38): an accountable senior manager, an interim safety plan
    # and the reasons, recorded when the meeting is scheduled after its due date.
    extended_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reasons = models.TextField(max_length=4000, blank=True)
    interim_safety_plan = models.TextField(max_length=10000, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The outcome: register or not (per child, Registration rows), the categories of concern,
    # the lead professional and whether a referral to the Principal Reporter was considered.
    categories = models.ManyToManyField(ConcernCategory, blank=True, related_name="+")
    lead_professional = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_referral = models.BooleanField(
        "referral to the Principal Reporter", null=True, blank=True
    )
    reporter_note = models.TextField(max_length=4000, blank=True)
    record = models.TextField("record of the meeting", max_length=50000, blank=True)
    record_issued_at = models.DateTimeField(null=True, blank=True)
    # Moved or called off before it was held (ird.cppm.cppm_reschedule / cppm_cancel): the
    # reason stays with the meeting; each move is also on the children's chronologies.
    reschedule_reason = models.TextField("why it was last moved", max_length=2000, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancellation_reason = models.TextField(max_length=2000, blank=True)
    calendar_sequence = models.PositiveIntegerField(default=0)
    # Compare-and-set: every form names the version it was read at (ird.cppm._lock).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_for"]
        verbose_name = "CPPM"
        verbose_name_plural = "CPPMs"
        indexes = [models.Index(fields=["referral", "status"], name="cppm_referral_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def ends_at(self):
        return self.scheduled_for + timedelta(minutes=self.duration_minutes)


class CppmType(DatedLookup):
    """The kinds of CPPM as a dated lookup (seeded by migration): the rules key on `kind`
    (Cppm.Kind); the row names it and says from when to when it may be chosen. A retired
    kind stays on the CPPMs that had it."""

    kind = models.CharField(max_length=20, choices=Cppm.Kind.choices, unique=True)
    label = models.CharField(max_length=200)
    display_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["display_order", "label"]
        verbose_name = "CPPM type"

    def __str__(self) -> str:
        return self.label


class CppmInvitation(models.Model):
    """Someone invited to the CPPM, with the agency they come for (as IRD invitations)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cppm = models.ForeignKey(Cppm, on_delete=models.CASCADE, related_name="invitations")
    staff = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role_in_cppm = models.CharField("role", max_length=120, blank=True)
    invited_at = models.DateTimeField()

    class Meta:
        ordering = ["agency__name", "invited_at"]
        constraints = [
            models.UniqueConstraint(fields=["cppm", "staff"], name="one_cppm_invitation_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.staff} ({self.agency}) to {self.cppm}"


class Registration(models.Model):
    """A child on the child protection register (NG2021 3.133): from a CPPM's decision, or
    temporarily while a child registered elsewhere stays here. Only a review CPPM ends it.
    A child has one active registration at a time (a database constraint)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    temporary = models.BooleanField(default=False)
    from_authority = models.CharField(
        "registered by", max_length=200, blank=True, help_text="For a temporary registration."
    )
    registered_on = models.DateField()
    registered_at = models.ForeignKey(
        Cppm, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    categories = models.ManyToManyField(ConcernCategory, related_name="+")
    review_due_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    ended_at = models.ForeignKey(
        Cppm, null=True, blank=True, on_delete=models.PROTECT, related_name="deregistrations"
    )
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-registered_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_on__isnull=True),
                name="one_active_registration_per_child",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("registered_on")),
                name="registration_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} registered {self.registered_on}"

    @property
    def active(self) -> bool:
        return self.ended_on is None


# --- The core group and the child's plan ----------------------------------------------------


class CoreGroup(models.Model):
    """The core group of a registered child (NG2021 3.137): formed when a CPPM places the child
    on the register, it meets first within 15 working days and then as the plan says, and
    keeps the child's plan. One per registration (a brother and a sister registered at the same
    CPPM have a group each, as each has a plan of their own). Closed when a review CPPM removes
    the child from the register. `version` is the plan's compare-and-set: every change to the
    group (a member, a meeting, an action) names the version it was read at (ird.core_group)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed: the child is no longer on the register"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="core_group"
    )
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    formed_at = models.ForeignKey(Cppm, on_delete=models.PROTECT, related_name="core_groups")
    lead_professional = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    first_meeting_due_on = models.DateField(null=True, blank=True)
    next_meeting_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_at = models.ForeignKey(
        Cppm, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Core group {self.pk}"

    @property
    def active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CoreGroupMember(models.Model):
    """A member of the core group: the lead professional, a practitioner of an agency (with an
    account), or a parent or carer, noted by name and role (no account)."""

    class Kind(models.TextChoices):
        LEAD_PROFESSIONAL = "lead_professional", "Lead professional"
        PRACTITIONER = "practitioner", "Practitioner"
        FAMILY = "family", "Parent or carer"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    core_group = models.ForeignKey(CoreGroup, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    staff = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True, help_text="For a parent or carer.")
    role = models.CharField(max_length=120, blank=True)
    added_at = models.DateTimeField()
    # Leaving keeps the row, so the meetings they attended still name them (ird.core_group
    # member_leave); from then on the membership grants nothing.
    left_at = models.DateTimeField(null=True, blank=True)
    left_recorded_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    left_reason = models.TextField("why they left", max_length=2000, blank=True)

    class Meta:
        ordering = ["kind", "agency__name", "name", "added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["core_group", "staff"],
                condition=Q(staff__isnull=False, left_at__isnull=True),
                name="one_current_core_group_membership_per_person",
            ),
            models.CheckConstraint(
                condition=Q(staff__isnull=False) | ~Q(name=""),
                name="core_group_member_named",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.staff_id:
            return self.staff.get_full_name() or self.staff.username
        return self.name

    @property
    def current(self) -> bool:
        return self.left_at is None


class CoreGroupMeeting(models.Model):
    """A core group meeting: when, who attended, what was discussed and when it meets next."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    core_group = models.ForeignKey(CoreGroup, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    attended = models.ManyToManyField(CoreGroupMember, related_name="meetings_attended")
    notes = models.TextField(max_length=20000)
    next_meeting_on = models.DateField()
    recorded_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_meeting_on__gt=models.F("held_on")),
                name="core_group_meets_again_later",
            )
        ]

    def __str__(self) -> str:
        return f"Core group meeting {self.held_on}"


class PlanAction(models.Model):
    """An action of the child's plan, owned by an agency (and a person where named), chased
    to its due date as IRD actions are (timescale child_plan_action)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_NEEDED = "not_needed", "No longer needed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    core_group = models.ForeignKey(CoreGroup, on_delete=models.CASCADE, related_name="plan_actions")
    description = models.TextField(max_length=2000)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(
        max_length=4000, blank=True, help_text="What was done, or why it is no longer needed."
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "created_at"]

    def __str__(self) -> str:
        return self.description[:60]
