"""Tidy the runs: those whose worker died marked failed, those never confirmed
cancelled, old uploads deleted (claims.runs.prune). From cron or a systemd
timer, with `prune_db_task_results` (README: Background work)."""

from django.core.management.base import BaseCommand

from claims import runs


class Command(BaseCommand):
    help = (
        "Mark failed the runs with no progress for RUN_STALE_MINUTES, cancel those not "
        "confirmed within RUN_UPLOAD_HOURS, and delete uploads older than that."
    )

    def handle(self, *args, **options):
        counts = runs.prune()
        if options["verbosity"]:
            self.stdout.write(
                "{failed} run(s) marked failed, {cancelled} unconfirmed run(s) cancelled, "
                "{uploads} upload(s) deleted, {forgotten} live progress row(s) "
                "forgotten.".format(**counts)
            )
