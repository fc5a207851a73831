from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Claim, Source, Speaker


class StaticSitemap(Sitemap):
    def items(self):
        return ["claims:home", "claims:claim_list", "claims:speaker_list"]

    def location(self, name):
        return reverse(name)


class ClaimSitemap(Sitemap):
    limit = 10_000

    def items(self):
        return Claim.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at

    def get_latest_lastmod(self):
        # None in the index: Django's default reads every published claim
        # (docs/performance.md), and the newest change would still need a scan
        # of them all. Each page of the section gives every claim's own.
        return None


class SpeakerSitemap(Sitemap):
    limit = 10_000

    def items(self):
        return Speaker.objects.public().only("slug").order_by("pk")


class SourceSitemap(Sitemap):
    limit = 10_000

    def items(self):
        return Source.objects.visible().only("slug").order_by("pk")


SITEMAPS = {
    "pages": StaticSitemap,
    "claims": ClaimSitemap,
    "speakers": SpeakerSitemap,
    "sources": SourceSitemap,
}
