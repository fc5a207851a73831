from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models.signals import post_save
from django.test.utils import override_settings

from claims.models import Claim

SEED = settings.BASE_DIR / "fixtures" / "seed.json"
REASON = "Loaded from the seed data"


class Command(BaseCommand):
    help = (
        "Load the seed data (fixtures/seed.json) into a database that has no claims yet, "
        "and record every loaded row in the history. A database that already holds claims "
        "is left alone, so editors' changes are never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load even when claims exist (updates them)."
        )

    def handle(self, *args, force=False, **options):
        if Claim.objects.exists() and not force:
            self.stdout.write("Claims exist already; the seed data was not loaded.")
            return

        loaded = {}  # a row saved twice (forward references) is recorded once

        def collect(sender, instance, raw=False, **kwargs):
            if raw and hasattr(sender, "history"):
                loaded[(sender, instance.pk)] = instance

        with transaction.atomic():
            # loaddata saves rows raw, which history does not record, and sets
            # their many-to-many links afterwards. Load with history off, then
            # record each row once, as created, links included.
            post_save.connect(collect, dispatch_uid="load_seed_collect")
            try:
                with override_settings(SIMPLE_HISTORY_ENABLED=False):
                    call_command("loaddata", str(SEED), verbosity=options["verbosity"])
            finally:
                post_save.disconnect(dispatch_uid="load_seed_collect")
            for (sender, _), instance in loaded.items():
                instance._change_reason = REASON
                post_save.send(sender=sender, instance=instance, created=not force, raw=False)
        self.stdout.write(self.style.SUCCESS(f"Loaded {Claim.objects.count()} claims."))
