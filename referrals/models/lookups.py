"""Lookup tables that change over time (concern categories, IRD decisions): each entry is in use
from `valid_from` to `valid_to` (either may be open). A retired entry stays readable on the
records that used it and cannot be chosen for new ones."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class DatedQuerySet(models.QuerySet):
    def in_use(self, day: datetime.date | None = None):
        """The entries that may be chosen on `day` (today by default)."""
        day = day or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )


class DatedLookup(models.Model):
    valid_from = models.DateField(
        null=True, blank=True, help_text="First day it may be chosen (empty: from the start)."
    )
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text="Last day it may be chosen (empty: still in use). Records that used it keep "
        "it after that.",
    )

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True

    def in_use_on(self, day: datetime.date | None = None) -> bool:
        day = day or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "The last day comes after the first."})
