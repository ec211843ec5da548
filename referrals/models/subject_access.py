"""Subject access requests (UK GDPR Art 15): what the information governance officer gathers
about a person, what each item's disclosure decision is, and who approved the pack. The rules
are in referrals/services/subject_access.py."""

import uuid

from django.conf import settings
from django.db import models

from referrals.models.people import Person


class SubjectAccessRequest(models.Model):
    class Capacity(models.TextChoices):
        SELF = "self", "The person themself"
        PARENT = "parent", "A parent or carer with parental responsibility, for the child"
        REPRESENTATIVE = "representative", "A solicitor or other representative, with authority"

    class State(models.TextChoices):
        OPEN = "open", "Gathering and reviewing records"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting a second officer's approval"
        APPROVED = "approved", "Approved: the pack may be released"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="subject_access_requests"
    )
    requester_name = models.CharField("who is asking", max_length=200)
    capacity = models.CharField("on whose behalf", max_length=20, choices=Capacity.choices)
    childs_view = models.TextField(
        "the child's view",
        max_length=2000,
        blank=True,
        help_text="A child aged 12 or over is presumed able to make their own request: when "
        "someone else asks for them, record the child's agreement or why they cannot give it.",
    )
    received_on = models.DateField()
    identity_evidence = models.CharField(
        "how the requester's identity (and authority) was checked", max_length=500
    )
    due_on = models.DateField(help_text="One calendar month from receipt.")
    extended_to = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(max_length=2000, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-opened_at"]

    def __str__(self) -> str:
        return f"Subject access request received {self.received_on:%d %B %Y}"

    @property
    def answer_by(self):
        return self.extended_to or self.due_on


class DisclosureItem(models.Model):
    """One record gathered for the request, as it read when gathered, and what is done with it.
    `redactions` are the exact passages blacked out of `text` in the pack."""

    class Decision(models.TextChoices):
        UNDECIDED = "undecided", "Not yet decided"
        DISCLOSE = "disclose", "Disclose"
        REDACT = "redact", "Disclose with redactions"
        WITHHOLD = "withhold", "Withhold"

    class Reason(models.TextChoices):
        NONE = "", "No reason needed"
        THIRD_PARTY = "third_party", "Information about a third party"
        SERIOUS_HARM = "serious_harm", "Likely to cause serious harm"
        COURT_REPORT = "court_report", "Court or children's hearing report"
        LEGAL_PRIVILEGE = "legal_privilege", "Legally privileged"

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField()
    source_type = models.CharField(max_length=40)  # the audit log's object_type
    source_id = models.CharField(max_length=64)
    heading = models.CharField(max_length=300)
    occurred_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField()
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.UNDECIDED)
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    redactions = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="one_item_per_position")
        ]

    def __str__(self) -> str:
        return self.heading

    @property
    def redactions_text(self) -> str:
        return "\n".join(self.redactions)
