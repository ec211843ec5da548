"""Carry out the approved disposal lists now, with progress: what the hourly job does, for an
operator who will not wait for it (after an outage, say). Only lists a service manager approved
are touched; each record is disposed of in its own transaction, so stopping half way is safe."""

from django.core.management.base import BaseCommand

from referrals.progress_bar import progress
from referrals.services import disposal


class Command(BaseCommand):
    help = "Dispose of the records of approved disposal lists now (as the hourly job would)."

    def handle(self, *args, **options):
        bar = progress("Records disposed of", disposal.pending_records().count(), self.stdout)
        lists = disposal.resume_approved(progress=bar.advance)
        bar.finish()
        self.stdout.write(f"{lists} approved list(s) carried out.")
