"""Remove the audit entries past the audit log's retention class (referrals/services/
audit_retention.py). Run with the database owner's credentials; --dry-run only says what."""

from django.core.management.base import BaseCommand, CommandError

from referrals.services import audit_retention


class Command(BaseCommand):
    help = "Remove audit entries past the audit log's retention period, from the chain's start."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would go; change nothing."
        )

    def handle(self, *args, dry_run, **options):
        try:
            plan = audit_retention.plan() if dry_run else audit_retention.prune()
        except audit_retention.PruneRefused as refused:
            raise CommandError(str(refused)) from refused
        if plan is None:
            self.stdout.write("No audit log retention class is set: every entry is kept.")
            return
        if plan.held_from_seq is not None:
            self.stdout.write(
                f"A legal hold keeps entry {plan.held_from_seq} and every entry after it."
            )
        verb = "would be removed" if dry_run else "removed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{plan.entries:,} entries written before {plan.before:%d %B %Y} {verb}"
                + (f", up to place {plan.through_seq}." if plan.entries else ".")
            )
        )
