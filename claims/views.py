"""The public reader site. Readers see published claims only; editors who
are logged in may preview drafts. Each view reads through claims.selectors,
builds its context and renders."""

import mimetypes

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from . import datasets, exports, jsonld, limits, search, selectors, workflow
from .filters import ClaimFilter
from .limits import (
    CORRECTIONS_PAGE_SIZE,
    COUNTS_SECONDS,
    MAX_QUERY_LENGTH,
    PAGE_SIZES,
    SEARCH_LIMIT,
    SEARCH_PAGE_SIZE,
    SPEAKER_PAGE_SIZE,
    SPEAKERS_PAGE_SIZE,
)
from .models import Speaker
from .selectors import Withdrawn
from .tables import BoundedPaginator, ClaimTable


def gone(request, claim):
    """410 Gone: a permalink that was cited still says what became of it."""
    return render(request, "claims/withdrawn.html", {"claim": claim}, status=410)


def text_param(request, name, max_length):
    """A text value from the query string, cut to size, without NUL bytes
    (which no database column accepts)."""
    return request.GET.get(name, "").replace("\x00", "")[:max_length].strip()


def page_of(items, request, per_page, paginator_class=Paginator, **options):
    """A page of a list, whatever `page` the query string asks for."""
    paginator = paginator_class(items, per_page, **options)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


# --- Home ------------------------------------------------------------------------------


@require_GET
def home(request):
    context = {"latest": selectors.home_pairings(), "counts": selectors.site_counts()}
    return render(request, "claims/home.html", context)


# --- The list ----------------------------------------------------------------------------


class ClaimListView(View):
    """Published claims, filtered, sorted and paged; the same selection
    downloads whole as CSV, JSON or XLSX. A declaration: what it lists, how
    it is filtered, the table that shows it; `get` filters, answers a
    download if one is asked for, else pages the table and renders."""

    filterset_class = ClaimFilter
    table_class = ClaimTable
    template_name = "claims/claim_list.html"
    export_param = "_export"

    def get(self, request):
        claims = selectors.claim_list(request.GET.get("sort", ""))
        filters = self.filterset_class(request.GET or None, queryset=claims)
        valid = not filters.is_bound or filters.is_valid()
        table = self.table_class(filters.qs if valid else filters.queryset.none())
        fmt = request.GET.get(self.export_param)
        if valid and fmt in exports.FORMATS:
            # The rows in the order the table shows them, all of them.
            RequestConfig(request, paginate=False).configure(table)
            return exports.export(fmt, table.data.data, _base_url(request))
        key = filters_key(request, filters)
        RequestConfig(request, paginate=self.pagination(key)).configure(table)
        return render(request, self.template_name, self.context(request, filters, table, key))

    def pagination(self, key):
        # ?page= and ?per_page= are read by RequestConfig; the same filters
        # count the same, however sorted or paged.
        return {"paginator_class": BoundedPaginator, "count_key": key}

    def context(self, request, filters, table, key):
        context = {
            "filter": filters,
            "table": table,
            "page_sizes": PAGE_SIZES,
            "export_formats": exports.FORMATS,
        }
        asked = request.GET.get("page", "1")
        if asked.lstrip("-").isdigit() and int(asked) != table.page.number:
            context["page_notice"] = (
                f"There is no page {asked}; this is page {table.page.number} "
                f"of {table.paginator.num_pages}."
            )
        # The form's fields, rendered from the query string alone, are kept by
        # it; a form with errors (which can name what the database holds) is not.
        if not filters.form.errors:
            context["filters_key"] = key
            context["filters_seconds"] = COUNTS_SECONDS
        return context


def filters_key(request, filters):
    """The filters asked for, as a cache key."""
    fields = filters.form.fields
    return selectors.cache_key("claims", {k: v for k, v in request.GET.items() if k in fields})


# --- One claim, and two side by side ------------------------------------------------------


@require_GET
def claim_detail(request, slug):
    try:
        context = selectors.claim_page(request.user, slug)
    except Withdrawn as withdrawn:
        return gone(request, withdrawn.claim)
    context["jsonld"] = jsonld.script_content(jsonld.page_data(context["claim"], request))
    return render(request, "claims/claim_detail.html", context)


@require_GET
def corrections(request):
    """The public log of corrections to published claims, newest first."""
    page = page_of(selectors.corrections_log(), request, CORRECTIONS_PAGE_SIZE)
    return render(request, "claims/corrections.html", {"page": page})


@require_GET
def compare(request, left, right):
    try:
        context = selectors.compare_page(request.user, left, right)
    except Withdrawn as withdrawn:
        return gone(request, withdrawn.claim)
    return render(request, "claims/compare.html", context)


# --- Speakers and sources ------------------------------------------------------------------


@require_GET
def speaker_list(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in Speaker.Kind.values else ""
    name = text_param(request, "q", 100)
    found = selectors.speaker_list(kind, name)
    page = page_of(
        found["speakers"],
        request,
        SPEAKERS_PAGE_SIZE,
        paginator_class=BoundedPaginator,
        count_key=found["count_key"],
        rows=found["rows"],
    )
    context = {"page": page, "kinds": Speaker.Kind.choices, "kind": kind, "q": name}
    return render(request, "claims/speaker_list.html", context)


@require_GET
def speaker_detail(request, slug):
    context = selectors.speaker_page(slug)
    context["page"] = page_of(
        context.pop("statements"),
        request,
        SPEAKER_PAGE_SIZE,
        paginator_class=BoundedPaginator,
        count_key=context.pop("count_key"),
    )
    return render(request, "claims/speaker_detail.html", context)


@require_GET
def source_detail(request, slug):
    return render(request, "claims/source_detail.html", selectors.source_page(slug))


@require_GET
def evidence_file(request, name):
    """An uploaded evidence file, as a download never shown as a page.
    Files of restricted sources are for editors only."""
    source = selectors.evidence_source(name)
    if source is None:
        raise Http404("No such file.")
    if source.restricted and not workflow.is_editor(request.user):
        raise Http404("No such file.")
    if not source.file.storage.exists(source.file.name):
        raise Http404("The file is missing from storage.")
    content_type, _ = mimetypes.guess_type(source.file.name)
    if content_type is None or content_type.startswith("text/html") or "xml" in content_type:
        content_type = "application/octet-stream"
    response = FileResponse(source.file.open("rb"), as_attachment=True, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Search and suggestions ------------------------------------------------------------------


@require_GET
def search_view(request):
    query = text_param(request, "q", MAX_QUERY_LENGTH)
    ids, whole_words = search.ranked(query, SEARCH_LIMIT)
    page = page_of(ids, request, SEARCH_PAGE_SIZE)
    return render(
        request,
        "claims/search.html",
        {
            "q": query,
            "page": page,
            "results": selectors.search_results(query, list(page.object_list)),
            "capped": len(ids) >= SEARCH_LIMIT,
            "window": limits.RANK_WINDOW,
            "limit": SEARCH_LIMIT,
            "wordless": bool(query.strip()) and not search.query_words(query),
            "whole_word": whole_words,
        },
    )


@require_GET
def suggest(request, kind):
    """Names for a typeahead: speakers, organisations or topics starting with q."""
    if kind not in selectors.SUGGESTED:
        raise Http404("Nothing to suggest here.")
    results = selectors.suggestions(kind, text_param(request, "q", 100))
    return JsonResponse({"results": results})


# --- The whole dataset ---------------------------------------------------------------------------


def _base_url(request):
    return request.build_absolute_uri("/")[:-1]


@require_GET
def data_page(request):
    return render(request, "claims/data.html", {"manifest": datasets.current(_base_url(request))})


@require_GET
def data_file(request, name):
    if name not in {file_name for file_name, _ in datasets.FILES}:
        raise Http404("No such file.")
    if datasets.current(_base_url(request)) is None:
        response = render(request, "claims/data.html", {"manifest": None}, status=503)
        response["Retry-After"] = "300"
        return response
    response = FileResponse(
        open(datasets.root() / name, "rb"),  # noqa: SIM115 (closed by the response)
        as_attachment=True,
        filename=name,
        content_type="application/gzip" if name.endswith(".gz") else None,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
