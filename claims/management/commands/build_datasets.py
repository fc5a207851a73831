from django.core.management.base import BaseCommand

from claims import datasets


class Command(BaseCommand):
    help = "Build the /data/ download files now if the data changed since they were built."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="For the claim links in CSV/JSON."
        )
        parser.add_argument("--force", action="store_true", help="Build even if up to date.")

    def handle(self, *args, base_url, force=False, **options):
        built = datasets.build(base_url) if force else datasets.current(base_url)
        for file in built["files"]:
            self.stdout.write(f"{file['name']}  {file['size']:>12,} bytes  {file['sha256']}")
