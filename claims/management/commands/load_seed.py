import io

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from claims.models import Claim

SEED = settings.BASE_DIR / "fixtures" / "seed.json"


class Command(BaseCommand):
    help = (
        "Load the seed data (fixtures/seed.json) into a database that has no claims yet, "
        "and record it in the history. A database that already holds claims is left alone, "
        "so editors' changes are never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load even when claims exist (updates them)."
        )

    def handle(self, *args, force=False, **options):
        if Claim.objects.exists() and not force:
            self.stdout.write("Claims exist already; the seed data was not loaded.")
            return
        with transaction.atomic():
            # loaddata writes history for many-to-many changes only; switch it
            # off and give every seeded row one complete first record instead.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", str(SEED), verbosity=options["verbosity"])
            call_command("populate_history", auto=True, stdout=io.StringIO(), stderr=io.StringIO())
        self.stdout.write(self.style.SUCCESS(f"Loaded {Claim.objects.count()} claims."))
