"""The hub's deadlines name their subject as every app does, (type, id), and keep the words
their alerts use in subject_label; until now the words stood in subject_type."""

from django.db import migrations

REVIEW, ASSIGNMENT, ROUND = "hub_review", "hub_audit_assignment", "hub_audit_round"


def _round_words(audit_round) -> str:
    return f"practice audit {audit_round.period_start:%B %Y}"


def forward(apps, schema_editor):
    Deadline = apps.get_model("referrals", "Deadline")
    Review = apps.get_model("hub", "Review")
    AuditAssignment = apps.get_model("hub", "AuditAssignment")
    AuditRound = apps.get_model("hub", "AuditRound")
    reviews = Review.objects.exclude(deadline=None).values("deadline_id")
    for deadline in Deadline.objects.filter(pk__in=reviews).exclude(subject_type=REVIEW):
        deadline.subject_label = deadline.subject_label or deadline.subject_type[:120]
        deadline.subject_type = REVIEW
        deadline.save(update_fields=["subject_type", "subject_label"])
    assignments = AuditAssignment.objects.exclude(deadline=None).values("deadline_id")
    Deadline.objects.filter(pk__in=assignments).update(subject_type=ASSIGNMENT)
    rounds = AuditRound.objects.exclude(summary_deadline=None).values("summary_deadline_id")
    Deadline.objects.filter(pk__in=rounds).update(subject_type=ROUND)


def backward(apps, schema_editor):
    Deadline = apps.get_model("referrals", "Deadline")
    Review = apps.get_model("hub", "Review")
    AuditAssignment = apps.get_model("hub", "AuditAssignment")
    AuditRound = apps.get_model("hub", "AuditRound")
    for review in Review.objects.exclude(deadline=None).select_related("deadline"):
        Deadline.objects.filter(pk=review.deadline_id).update(
            subject_type=review.deadline.subject_label, subject_label=""
        )
    for assignment in AuditAssignment.objects.exclude(deadline=None).select_related(
        "record__round"
    ):
        Deadline.objects.filter(pk=assignment.deadline_id).update(
            subject_type=_round_words(assignment.record.round)
        )
    for audit_round in AuditRound.objects.exclude(summary_deadline=None):
        Deadline.objects.filter(pk=audit_round.summary_deadline_id).update(
            subject_type=_round_words(audit_round)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0003_timescale_tasks"),
        ("referrals", "0032_dated_lookups"),
    ]

    operations = [migrations.RunPython(forward, backward)]
