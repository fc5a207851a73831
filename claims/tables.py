"""The public claims table and its paginator."""

from functools import cached_property

import django_tables2 as tables
from django.core.cache import cache
from django.core.paginator import EmptyPage, Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .db import generic_plans
from .limits import COUNTS_SECONDS, DEFAULT_PAGE_SIZE, LIST_MAX_ROWS, PAGE_SIZES
from .models import Claim


class BoundedPaginator(Paginator):
    """Page numbers down to `max_rows` rows, and no further.

    The total is counted exactly up to `max_rows`, with one bounded COUNT
    (never the whole table); beyond that the page says "more than". Deep pages
    cost no more than this bound, and past it the reader is asked to narrow
    the filters or download the whole selection. Given a `count_key`, the
    count is kept in the cache for COUNTS_SECONDS under that key, and
    `counted_at` says when it was made. A page's rows are read by id from
    `rows` (by default, claims with what the list's rows show).
    """

    max_rows = LIST_MAX_ROWS
    more = False
    counted_at = None  # when the count was made, if it is kept
    kept = False  # the count was read from the cache, not made now

    def __init__(self, object_list, per_page, count_key=None, rows=None, **kwargs):
        per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
        self.count_key = count_key
        self.rows = rows
        super().__init__(object_list, per_page, **kwargs)

    def _queryset(self):
        if isinstance(self.object_list, QuerySet):
            return self.object_list
        # django-tables2 hands over its rows; the queryset lies beneath them.
        return getattr(getattr(self.object_list, "data", None), "data", None)

    @cached_property
    def count(self):
        queryset = self._queryset()
        if queryset is None:
            return min(len(self.object_list), self.max_rows)
        if self.count_key is None:
            found, _ = self._bounded_count(queryset)
        else:
            kept = cache.get(self._cache_key())
            self.kept = kept is not None
            if not self.kept:
                kept = self._bounded_count(queryset)
                cache.set(self._cache_key(), kept, COUNTS_SECONDS)
            found, self.counted_at = kept
        self.more = found > self.max_rows
        return min(found, self.max_rows)

    def _bounded_count(self, queryset):
        # Only the ids: the row annotations (counterclaim counts) would be
        # computed for every counted row otherwise.
        return queryset.order_by().values("pk")[: self.max_rows + 1].count(), timezone.now()

    def _cache_key(self):
        return f"list-count:{self.max_rows}:{self.count_key}"

    def _recount(self):
        """Count again now, and keep that count: the kept one no longer fits."""
        found, self.counted_at = self._bounded_count(self._queryset())
        cache.set(self._cache_key(), (found, self.counted_at), COUNTS_SECONDS)
        self.kept = False
        self.more = found > self.max_rows
        self.__dict__["count"] = min(found, self.max_rows)
        self.__dict__.pop("num_pages", None)

    def page(self, number):
        """The page's claims, read in two steps: the ids of the page in the
        list's order (a walk of an index, whatever the depth), then those rows
        with what a row shows. In one query, the counterclaim counts would be
        computed for every row skipped on the way to a deep page.

        One id more than the page is read: when a kept count disagrees with
        the rows there are (a claim published or withdrawn since), the list is
        counted again, so no row is ever out of reach of the pages."""
        queryset = self._queryset()
        if queryset is None:
            return super().page(number)
        try:
            number = self.validate_number(number)
        except EmptyPage:
            if not self.kept:
                raise
            self._recount()  # a page beyond a kept count may be there now
            number = self.validate_number(number)
        ids, expected, shown = self._ids(queryset, number)
        if self.kept and len(ids) != expected:
            self._recount()
            number = min(number, self.num_pages)
            ids, expected, shown = self._ids(queryset, number)
        ids = ids[:shown]
        # By id, and published (still, a moment later): the list's other
        # filters again would let the database pick their index over the ids
        # and read every row they match.
        rows = Claim.objects.for_rows() if self.rows is None else self.rows
        with generic_plans():
            found = rows.in_bulk(ids)
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)

    def _ids(self, queryset, number):
        """The ids of page `number` and the one after it; how many of those
        the count says there are; and how many the page shows (up to the
        bound)."""
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.max_rows)
        ids = list(queryset.values_list("pk", flat=True)[bottom : top + 1])
        total = top + 1 if self.more else self.count
        return ids, max(min(top + 1, total) - bottom, 0), top - bottom


class ClaimTable(tables.Table):
    said = tables.Column(verbose_name="Said", accessor="said_display", order_by=("said_sort", "id"))
    speaker = tables.Column(
        verbose_name="Speaker",
        accessor="speaker__name",
        # Each speaker's claims newest first, in the order of the indexes.
        order_by=("speaker__name", "speaker_id", "-said_sort", "-id"),
    )
    text = tables.Column(verbose_name="Claim", orderable=False)
    assessment = tables.Column(
        verbose_name="Assessment",
        # Each assessment's claims newest first, in the order of its index.
        order_by=("assessment", "-said_sort", "-id"),
    )
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

    def rows_html(self):
        """The page's rows. Built here rather than in the template: at 50 rows
        a page, the template language's lookups were most of the page's time.
        Every value is escaped by format_html; names and words are isolated
        in <bdi> so that right-to-left text cannot reorder the row."""
        return format_html_join("\n", ROW, (row_values(claim) for claim in self.page.object_list))


ROW = (
    "<tr>"
    '<td data-label="Said">{}</td>'
    '<td data-label="Speaker">{}</td>'
    '<td data-label="Claim"><a href="{}"><bdi>{}</bdi></a></td>'
    '<td data-label="Assessment">{}</td>'
    '<td data-label="Counterclaims">{}</td>'
    "</tr>"
)
TEXT_LENGTH = 200


def shortened(text, length=TEXT_LENGTH):
    return text if len(text) <= length else text[: length - 1] + "…"


def row_values(claim):
    speaker, who = claim.speaker, ""
    if speaker is not None:
        who = format_html(
            '<a href="{}"><bdi>{}</bdi></a>', speaker.get_absolute_url(), speaker.name
        )
    if speaker is not None and claim.speaking_for is not None:
        who += format_html(' <span class="muted">for <bdi>{}</bdi></span>', claim.speaking_for.name)
    return (
        claim.said_display,
        who,
        claim.get_absolute_url(),
        shortened(claim.text),
        claim.get_assessment_display(),
        f"{claim.counterclaim_count:,}",
    )
