"""The public claims table and its paginator."""

from functools import cached_property

import django_tables2 as tables
from django.core.paginator import Paginator

from .models import Claim

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50


class BoundedPaginator(Paginator):
    """Page numbers down to `max_rows` rows, and no further.

    The total is counted exactly up to `max_rows`, with one bounded COUNT
    (never the whole table); beyond that the page says "more than". Deep pages
    cost no more than this bound, and past it the reader is asked to narrow
    the filters or download the whole selection.
    """

    max_rows = 10_000

    def __init__(self, object_list, per_page, **kwargs):
        per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
        super().__init__(object_list, per_page, **kwargs)

    def _queryset(self):
        # django-tables2 hands over its rows; the queryset lies beneath them.
        return getattr(getattr(self.object_list, "data", None), "data", None)

    @cached_property
    def count(self):
        queryset = self._queryset()
        if queryset is None:
            return min(len(self.object_list), self.max_rows)
        # Only the ids: the row annotations (counterclaim counts) would be
        # computed for every counted row otherwise.
        found = queryset.order_by().values("pk")[: self.max_rows + 1].count()
        self.more = found > self.max_rows
        return min(found, self.max_rows)

    more = False


class ClaimTable(tables.Table):
    said = tables.Column(verbose_name="Said", accessor="said_display", order_by=("said_sort", "id"))
    speaker = tables.Column(
        verbose_name="Speaker",
        accessor="speaker__name",
        # Each speaker's claims newest first, in the order of the indexes.
        order_by=("speaker__name", "speaker_id", "-said_sort", "-id"),
    )
    text = tables.Column(verbose_name="Claim", orderable=False)
    assessment = tables.Column(verbose_name="Assessment", order_by=("assessment", "id"))
    counterclaims = tables.Column(
        verbose_name="Counterclaims", accessor="counterclaim_count", orderable=False
    )

    class Meta:
        model = Claim
        fields = []
        sequence = ["said", "speaker", "text", "assessment", "counterclaims"]
        order_by = "-said"
        # A lean template of our own renders the rows (claims/_claim_table.html).
        template_name = "claims/_claim_table.html"
        empty_text = "No published claim matches these filters."
        per_page = DEFAULT_PAGE_SIZE
