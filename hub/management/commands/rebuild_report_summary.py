"""Work out every referral's facts for the committee reports again (hub/summary.py)."""

from django.core.management.base import BaseCommand

from hub import summary


class Command(BaseCommand):
    help = "Rebuild the committee reports' summary of every referral."

    def handle(self, *args, **options):
        written = summary.summary_rebuild()
        self.stdout.write(f"{written} referrals summarised")
