"""A dry run of disposal: the closed records past their retention period, and which are held."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from referrals.services import retention


class Command(BaseCommand):
    help = "List the records due for disposal (nothing is changed)."

    def add_arguments(self, parser):
        parser.add_argument("--on", help="The day to list for (YYYY-MM-DD); today by default.")

    def handle(self, *args, on=None, **options):
        try:
            today = datetime.date.fromisoformat(on) if on else None
        except ValueError as error:
            raise CommandError("--on takes a date as YYYY-MM-DD.") from error
        due = retention.due_for_disposal(today)
        for record in due:
            hold = "  legal hold: kept" if record.held else ""
            self.stdout.write(
                f"{record.reference}  {record.record_type}  due {record.due_on:%Y-%m-%d}{hold}"
            )
        held = sum(r.held for r in due)
        self.stdout.write(f"{len(due) - held} due for disposal, {held} kept under legal hold.")
