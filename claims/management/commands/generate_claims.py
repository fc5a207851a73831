import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.generator import Generator


class Command(BaseCommand):
    help = (
        "Fill an empty database with synthetic claims for load and scale testing: speakers "
        "in organisations with a Zipf-like spread, sources, citations, figures, pairings, "
        "Arabic and Russian originals. The same --seed always gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, required=True, help="How many claims.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, claims, seed, quiet=False, **options):
        if claims < 1:
            raise CommandError("--claims must be at least 1.")
        quiet = quiet or not sys.stderr.isatty()
        progress = None if quiet else tqdm(total=claims, unit="claims", file=sys.stderr)
        started = time.perf_counter()
        try:
            Generator(claims, seed, progress).run()
        except ValueError as error:
            raise CommandError(
                f"Nothing generated: {error}. Use a freshly migrated database."
            ) from None
        finally:
            if progress:
                progress.close()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Generated {claims:,} claims in {seconds:.1f} s ({claims / seconds:,.0f} claims/s)."
        )
