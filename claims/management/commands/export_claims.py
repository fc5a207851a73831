import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims import exchange
from claims.dates import FuzzyDate
from claims.models import Claim, Speaker, Topic


def fuzzy_date(edge):
    """A parser of a date given as 2016, 2016-02 or 2016-02-10: the first day
    of that period ("start") or its last ("end")."""

    def parse(value):
        try:
            date = FuzzyDate.parse(value.strip())
        except ValueError as error:
            raise CommandError(str(error)) from None
        return date.start if edge == "start" else date.end

    return parse


class Command(BaseCommand):
    help = (
        "Write claims and everything they need (speakers, sources, citations, figures, "
        "rebuttals and the claims answering them) as a fixture with natural keys, "
        "loadable by loaddata or import_claims."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="File to write (.gz compresses); stdout if none."
        )
        parser.add_argument("--format", choices=exchange.FORMATS, help="Default: from -o, or json.")
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="Published claims only, without restricted sources or internal notes.",
        )
        parser.add_argument("--speaker", action="append", default=[], metavar="SLUG")
        parser.add_argument("--topic", action="append", default=[], metavar="SLUG")
        parser.add_argument("--slug", action="append", default=[], metavar="SLUG")
        parser.add_argument("--since", help="Said on or after: 2016, 2016-02 or 2016-02-10.")
        parser.add_argument("--until", help="Said on or before: 2016, 2016-02 or 2016-02-10.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        selection = exchange.Selection(
            published_only=options["published_only"],
            speakers=options["speaker"],
            topics=options["topic"],
            slugs=options["slug"],
            since=fuzzy_date("start")(options["since"]) if options["since"] else None,
            until=fuzzy_date("end")(options["until"]) if options["until"] else None,
        )
        if selection.since and selection.until and selection.since > selection.until:
            raise CommandError("--since is after --until.")
        for option, model, slugs in (
            ("--speaker", Speaker, selection.speakers),
            ("--topic", Topic, selection.topics),
            ("--slug", Claim, selection.slugs),
        ):
            unknown = set(slugs) - set(
                model.objects.filter(slug__in=slugs).values_list("slug", flat=True)
            )
            if unknown:
                raise CommandError(f"{option}: nothing is called {', '.join(sorted(unknown))}.")
        fmt = options["format"] or exchange.format_for(options["output"])
        plan = exchange.Plan(selection)
        quiet = options["quiet"] or not sys.stderr.isatty()
        progress = None if quiet else tqdm(total=plan.count(), unit="rows", file=sys.stderr)
        try:
            with exchange.open_output(options["output"]) as stream:
                exchange.write(plan, fmt, stream, progress)
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}") from None
        finally:
            if progress:
                progress.close()
