"""Practice hub feedback on a referral, as the referrer receives it.

The practice hub (hub/) reviews referrals and produces this feedback; the core keeps it so that
the referrer's pages and the partner API can show it without importing hub/."""

import uuid

from django.conf import settings
from django.db import models

from referrals.grades import Grade
from referrals.models.referral import Referral

SCORE_MIN, SCORE_MAX = Grade.UNSATISFACTORY.value, Grade.EXCELLENT.value


class ReferralFeedback(models.Model):
    """`scores` is a list of {"criterion", "label", "score"}; `supported_by` and `barriers` are
    lists of short texts: what helped the referral's quality and what got in its way."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="feedback")
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(default=list, blank=True)
    supported_by = models.JSONField(default=list, blank=True)
    barriers = models.JSONField(default=list, blank=True)
    comments = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_label = models.CharField(
        max_length=200, blank=True, help_text="A staff username or an API client's name."
    )
    acknowledged_by_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An external referrer (and their manager) is e-mailed once, with a link to read and
    # acknowledge the feedback without an account.
    referrer_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = "referral feedback"
        verbose_name_plural = "referral feedback"
        indexes = [models.Index(fields=["referral", "given_at"], name="feedback_referral_idx")]

    def __str__(self) -> str:
        return f"Feedback on {self.referral_id} ({self.given_at:%Y-%m-%d})"

    @property
    def graded_scores(self) -> list[dict]:
        """The scores, each with its grade in words ("very good")."""
        return [{**score, "words": Grade(score["score"]).words} for score in self.scores]
