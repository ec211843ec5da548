"""Generate a council's volume of realistic data (referrals.volume) to try pages and reports at
scale: `manage.py generate_volume --people 500000 --referrals 1000000 --years 10`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from referrals import volume
from referrals.models import Referral
from referrals.progress_bar import progress


class Command(BaseCommand):
    help = "Fill a development or bench database with generated people, referrals and records."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=10_000)
        parser.add_argument("--referrals", type=int, default=10_000)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--seed", type=int, default=0, help="The same seed, the same data.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add to a database that already holds referrals (never in production); a "
            "second run needs another --seed.",
        )

    def handle(self, *args, people, referrals, years, seed, force, **options):
        if settings.SETTINGS_MODULE == "config.production":
            raise CommandError("Generated data never goes into a production database.")
        if min(people, referrals, years) < 1:
            raise CommandError("--people, --referrals and --years must each be at least 1.")
        if not force and (not settings.DEBUG or Referral.objects.exists()):
            raise CommandError(
                "This database holds referrals, or DEBUG is off: generated data could mix "
                "with real records. Use --force only on a database made for trying things."
            )
        generated = volume.build_volume(
            people=people,
            referrals=referrals,
            years=years,
            seed=seed,
            bars=lambda label, total: progress(label, total, self.stdout),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {people:,} children and {len(generated.referrals):,} referrals "
                f"over {years} years ({len(generated.decisions):,} screening decisions)."
            )
        )
