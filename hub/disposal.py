"""The hub's reviews and audit samples of a referral go with it when it is disposed of under its
retention class (referrals/services/disposal.py sends `referral_disposing`)."""

from hub.models import AuditAssignment, AuditGrade, AuditRecord, Review, ReviewScore


def on_referral_disposing(sender, referral, method, **kwargs) -> None:
    samples = AuditRecord.objects.filter(referral=referral)
    if method == "delete":
        samples.delete()  # reviews go with the referral (cascade)
        return
    reviews = Review.objects.filter(referral=referral)
    reviews.update(overall_comment="", supported_other="", barriers_other="")
    ReviewScore.objects.filter(review__in=reviews).update(comment="")
    assignments = AuditAssignment.objects.filter(record__in=samples)
    assignments.update(findings="", learning_points="")
    AuditGrade.objects.filter(assignment__in=assignments).update(comment="")
