"""Children and adults, and how they are related. One record per real person (merge the rest)."""

import uuid

from django.db import models
from django.db.models import Q

from referrals import chi, name_matching


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Not known"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    known_as = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    unborn = models.BooleanField(default=False)
    expected_date_of_delivery = models.DateField(null=True, blank=True)
    chi_number = models.CharField(
        "CHI number", max_length=10, blank=True, validators=[chi.chi_format_validator]
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    school = models.CharField(max_length=200, blank=True)
    # A child's named person (GIRFEC: usually the health visitor before school, then a
    # promoted teacher) and GP practice, as text: who they are and how to reach them.
    named_person = models.CharField(
        max_length=200, blank=True, help_text="Name, role and how to reach them."
    )
    gp_practice = models.CharField("GP practice", max_length=200, blank=True)
    # Phonetic keys, kept in step with the names, let matching pre-filter in the database.
    first_name_key = models.CharField(max_length=40, blank=True, editable=False)
    last_name_key = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    # Compare-and-set on edit: two people correcting the same record cannot overwrite each other.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["chi_number"],
                condition=~Q(chi_number="") & Q(merged_into__isnull=True),
                name="person_chi_unique",
            ),
            models.CheckConstraint(
                condition=Q(unborn=False) | Q(chi_number=""), name="person_unborn_has_no_chi"
            ),
        ]
        indexes = [
            models.Index(fields=["date_of_birth"], name="person_dob_idx"),
            models.Index(fields=["postcode"], name="person_postcode_idx"),
            # Matching's name block (referrals/matching.py) answered by its own index rather
            # than by every record sharing the surname's sound; the area block's index is
            # PostgreSQL's alone (migration 0034: a LIKE prefix needs its operator class).
            models.Index(fields=["last_name_key", "first_name_key"], name="person_name_keys_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        # Derived search keys, not workflow: kept here so no write path can forget them.
        self.first_name_key = name_matching.name_key(self.first_name)
        self.last_name_key = name_matching.name_key(self.last_name)
        self.postcode = name_matching.normalise_postcode(self.postcode)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "first_name_key",
                "last_name_key",
                "postcode",
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def address(self) -> str:
        parts = [self.address_line1, self.address_line2, self.town, self.postcode]
        return ", ".join(part for part in parts if part)

    def as_match_details(self) -> name_matching.PersonDetails:
        return name_matching.PersonDetails(
            first_name=self.first_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
            postcode=self.postcode,
            chi_number=self.chi_number,
        )


class Relationship(models.Model):
    """`relative` is the person's <kind>: (child, mother, PARENT) reads "the child's parent"."""

    class Kind(models.TextChoices):
        PARENT = "parent", "Parent"
        STEP_PARENT = "step_parent", "Step-parent"
        CARER = "carer", "Carer"
        PARTNER_OF_PARENT = "partner_of_parent", "Parent's partner"
        SIBLING = "sibling", "Brother or sister"
        HALF_SIBLING = "half_sibling", "Half-brother or half-sister"
        GRANDPARENT = "grandparent", "Grandparent"
        OTHER_RELATIVE = "other_relative", "Other relative"
        HOUSEHOLD_MEMBER = "household_member", "Other household member"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships")
    relative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relative_of")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    lives_with = models.BooleanField(default=False)
    has_parental_responsibility = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "relative", "kind"], name="relationship_unique"
            ),
            models.CheckConstraint(
                condition=~Q(person=models.F("relative")), name="relationship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relative} is {self.person}'s {self.get_kind_display().lower()}"
