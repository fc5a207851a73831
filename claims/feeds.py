from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator

from .models import Claim, Correction

FEED_SIZE = 50


class ClaimsFeed(Feed):
    """Newly published claims, newest first."""

    feed_type = Atom1Feed
    title = "Counterclaim: newly published claims"
    subtitle = "Statements, who made them, when, and who answered them."
    link = reverse_lazy("claims:claim_list")

    def items(self):
        return (
            Claim.objects.published()
            .select_related("speaker")
            .order_by("-first_published_at", "-pk")[:FEED_SIZE]
        )

    def item_title(self, claim):
        speaker = claim.speaker.name if claim.speaker else "Speaker not stated"
        return f"{speaker}: {Truncator(claim.text).chars(100)}"

    def item_description(self, claim):
        # Atom sends the summary as HTML: plain text is escaped into it.
        return escape(f"{claim.text} ({claim.said_display})")

    def item_pubdate(self, claim):
        return claim.first_published_at

    def item_updateddate(self, claim):
        return claim.updated_at

    def item_author_name(self, claim):
        return claim.speaker.name if claim.speaker else None

    def item_link(self, claim):
        return claim.get_absolute_url()


class CorrectionsFeed(Feed):
    """Corrections to published claims, newest first."""

    feed_type = Atom1Feed
    title = "Counterclaim: corrections"
    subtitle = "What was corrected in published claims, and when."
    link = reverse_lazy("claims:corrections")

    def items(self):
        return Correction.objects.public().select_related("claim__speaker")[:FEED_SIZE]

    def item_title(self, correction):
        return f"Corrected: {Truncator(correction.claim.text).chars(100)}"

    def item_description(self, correction):
        return escape(correction.note)

    def item_pubdate(self, correction):
        return correction.corrected_at

    def item_link(self, correction):
        return correction.get_absolute_url()
