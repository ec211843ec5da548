"""The append-only audit log: who created, changed, viewed or exported which record."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """IDs only, never personal details. The database refuses UPDATE and DELETE on this table
    (triggers installed by migration 0002), so the log can only grow."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        CHANGE = "change", "Changed"
        VIEW = "view", "Viewed"
        EXPORT = "export", "Exported"
        SEARCH = "search", "Searched"
        MERGE = "merge", "Merged"
        DENIED = "denied", "Denied"
        PRINT = "print", "Printed"
        BREAK_GLASS = "break_glass", "Opened by break-glass"
        DISPOSE = "dispose", "Disposed of under retention"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # a deleted account must not take its history with it
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=40, blank=True)
    actor_agency = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    route = models.CharField(max_length=200, blank=True)
    # The hash chain (referrals/audit_chain.py): the row's place, and the hash of the chain up
    # to and including it.
    seq = models.BigIntegerField(unique=True, null=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        # Information governance work; which roles hold them is in referrals/roles.py.
        permissions = [
            ("view_access_report", "Can see who saw a child's records"),
            ("review_break_glass", "Can review break-glass access"),
            ("manage_retention", "Can manage retention, disposal and legal holds"),
            ("approve_disposal", "Can approve the disposal of records past retention"),
            ("manage_subject_access", "Can handle subject access requests"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """One row: the last place taken in the audit chain and its hash. Writers lock it to take
    their place in turn; verification never trusts it, it walks the chain itself."""

    seq = models.BigIntegerField(default=0)
    row_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain at {self.seq}"


class RateLimit(models.Model):
    """One GCRA counter per key (referrals/ratelimit.py): its theoretical arrival time, in
    seconds since the epoch."""

    key = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField()

    def __str__(self) -> str:
        return self.key


class AuditChainAnchor(models.Model):
    """Where the audit chain starts once entries past the audit log's retention period have been
    removed (`manage.py prune_audit_log`, run as the tables' owner): the place and hash of the
    last entry removed, so that verification carries on from there. The application's database
    role may only read this table (docs/database-roles.sql)."""

    seq = models.BigIntegerField(unique=True)
    row_hash = models.CharField(max_length=64)
    entries_removed = models.PositiveIntegerField()
    removed_before = models.DateTimeField(help_text="Entries written before this were due.")
    removed_at = models.DateTimeField()

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"audit chain starts after {self.seq}"
