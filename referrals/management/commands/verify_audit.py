"""Check the audit log's hash chain from its first row to its last (referrals/audit_chain.py)."""

from django.core.management.base import BaseCommand, CommandError

from referrals import audit_chain
from referrals.models import AuditEntry
from referrals.progress_bar import progress


class Command(BaseCommand):
    help = "Walk the audit log's hash chain and name the first row that breaks it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="An exported daily head to compare with (may be given more than once).",
        )

    def handle(self, *args, head, **options):
        bar = progress(
            "Audit rows checked",
            AuditEntry.objects.filter(seq__gt=audit_chain.start_seq()).count(),
            self.stdout,
        )
        verdict = audit_chain.verify(progress=lambda count: bar.advance(count - bar.done))
        bar.advance(verdict.rows - bar.done)
        bar.finish()
        if not verdict.intact:
            raise CommandError(f"The audit chain is broken: {verdict.problem}.")
        start = audit_chain.start_seq()
        for exported in head:
            seq, _, expected = exported.partition(":")
            if seq.isdigit() and int(seq) < start:
                self.stdout.write(
                    f"The head exported at {seq} lies before the chain's start ({start}): those "
                    "entries were removed under the audit log's retention class."
                )
                continue
            if not seq.isdigit() or audit_chain.head_at(int(seq)) != expected:
                raise CommandError(
                    f"The audit chain does not match the head exported at {seq}: it was rewritten."
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit chain holds: {verdict.rows:,} rows, head {verdict.head_seq} "
                f"{verdict.head_hash}."
            )
        )
