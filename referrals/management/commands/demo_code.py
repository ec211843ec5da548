"""Print a demo user's current sign-in code (demo installations only: production refuses)."""

from django.core.management.base import BaseCommand, CommandError

from referrals import second_factor
from referrals.models import Staff


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (demo settings only)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--key", action="store_true", help="Print the base32 key to add to an app instead."
        )

    def handle(self, *args, username, key, **options):
        try:
            second_factor.require_demo()
        except second_factor.DemoOnly as refused:
            raise CommandError(str(refused)) from refused
        user = Staff.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username}.")
        try:
            code = second_factor.demo_code(user)
            if key:
                device = second_factor.enrolment_or_app(user)
                self.stdout.write(second_factor.secret_for_typing(device))
                return
            self.stdout.write(code)
        except second_factor.DemoOnly as refused:
            raise CommandError(str(refused)) from refused
