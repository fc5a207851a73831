from django.core.management.base import BaseCommand

from claims import datasets


class Command(BaseCommand):
    help = "Build the /data/ download files now if the data changed since they were built."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            required=True,
            help="The site's address, for the claim links in CSV and JSON, e.g. https://example.org",
        )
        parser.add_argument("--force", action="store_true", help="Build even if up to date.")

    def handle(self, *args, base_url, force=False, **options):
        base_url = base_url.rstrip("/")
        built = datasets.current(base_url, wait=True, force=force)
        for file in built["files"]:
            self.stdout.write(f"{file['name']}  {file['size']:>12,} bytes  {file['sha256']}")
