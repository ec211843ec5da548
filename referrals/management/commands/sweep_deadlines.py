"""Run the deadline sweep now, or as if at a later time to show timescales in a demo.

manage.py sweep_deadlines                 # what beat does every minute
manage.py sweep_deadlines --as-of +26h    # time travel: act as if 26 hours from now
manage.py sweep_deadlines --as-of 2026-12-01T09:00+00:00
"""

import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from referrals import deadlines

RELATIVE = re.compile(r"^\+(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_moment(value: str) -> datetime:
    relative = RELATIVE.match(value)
    if relative:
        amount, unit = relative.groups()
        return timezone.now() + timedelta(**{UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of takes +Nm, +Nh, +Nd or an ISO time: {error}") from None
    if timezone.is_naive(moment):
        raise CommandError("--as-of needs a time zone offset, e.g. 2026-12-01T09:00+00:00")
    return moment


class Command(BaseCommand):
    help = "Act on deadlines whose warning, due or escalation moment has passed."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Sweep as if at this later time (+26h, +3d, ISO).")

    def handle(self, *args, as_of=None, **options):
        now = parse_moment(as_of) if as_of else timezone.now()
        if now < timezone.now() - timedelta(minutes=1):
            raise CommandError("--as-of cannot go back in time.")
        created = deadlines.sweep(now=now)
        self.stdout.write(
            f"Sweep as of {timezone.localtime(now):%d %b %Y %H:%M}: {len(created)} new alerts."
        )
