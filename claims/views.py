"""The public reader site. Readers see published claims only; editors who
are logged in may preview drafts."""

import hashlib
import mimetypes
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from . import charts, datasets, exports, jsonld, limits, search, workflow
from .db import generic_plans
from .filters import ClaimFilter
from .limits import (
    CORRECTIONS_PAGE_SIZE,
    COUNTS_SECONDS,
    MAX_QUERY_LENGTH,
    MEMBERS,
    PAGE_SIZES,
    PAIRINGS,
    SEARCH_LIMIT,
    SEARCH_PAGE_SIZE,
    SUGGESTIONS,
)
from .models import Citation, Claim, Correction, Rebuttal, Source, Speaker, Topic
from .tables import BoundedPaginator, ClaimTable

PAIR_FIELDS = ("slug", "text", "status", "speaker__slug", "speaker__name")


class Withdrawn(Exception):
    def __init__(self, claim):
        self.claim = claim


def get_claim(request, slug):
    """One claim a visitor may read, with everything its page shows; a
    withdrawn claim raises Withdrawn, anything else unknown is a 404."""
    try:
        with generic_plans():
            return Claim.objects.visible_to(request.user).for_detail().get(slug=slug)
    except Claim.DoesNotExist:
        withdrawn = Claim.objects.filter(slug=slug, status=Claim.Status.WITHDRAWN).first()
        if withdrawn:
            raise Withdrawn(withdrawn) from None
        raise Http404("No published claim has this address.") from None


def gone(request, claim):
    """410 Gone: a permalink that was cited still says what became of it."""
    return render(request, "claims/withdrawn.html", {"claim": claim}, status=410)


def text_param(request, name, max_length):
    """A text value from the query string, cut to size, without NUL bytes
    (which no database column accepts)."""
    return request.GET.get(name, "").replace("\x00", "")[:max_length].strip()


def cache_key(prefix, filters):
    """A cache key for a list narrowed by `filters` (a dict), whatever their text."""
    return f"{prefix}:{hashlib.sha256(urlencode(sorted(filters.items())).encode()).hexdigest()}"


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
    latest = (
        Rebuttal.objects.public()
        .select_related(
            "claim__speaker",
            "claim__speaking_for",
            "counterclaim__speaker",
            "counterclaim__speaking_for",
        )
        .latest_first()[:6]
    )
    return render(request, "claims/home.html", {"latest": latest, "counts": site_counts()})


def site_counts():
    """What is published, in whole-table counts: made at most every
    COUNTS_SECONDS, and shown with the time they were made."""

    def count():
        return {
            "claims": Claim.objects.published().count(),
            "pairings": Rebuttal.objects.public().count(),
            "speakers": Speaker.objects.speaking().count(),
            "sources": Source.objects.visible().count(),
            "as_of": timezone.now(),
        }

    return cache.get_or_set("site-counts", count, COUNTS_SECONDS)


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

    def get_queryset(self):
        claims = Claim.objects.published().for_list()
        if self.request.GET.get("sort", "").lstrip("-") == "speaker":
            # A published claim always has a speaker (workflow.publication_problems);
            # saying so makes the speaker join an inner one, which the database
            # can walk in name order. Only then: on other orders the test would
            # read every row a deep page skips.
            claims = claims.filter(speaker__isnull=False)
        return claims

    def get(self, request):
        filters = self.filterset_class(request.GET or None, queryset=self.get_queryset())
        valid = not filters.is_bound or filters.is_valid()
        table = self.table_class(filters.qs if valid else filters.queryset.none())
        fmt = request.GET.get(self.export_param)
        if valid and fmt in exports.FORMATS:
            # The rows in the order the table shows them, all of them.
            RequestConfig(request, paginate=False).configure(table)
            return exports.export(fmt, table.data.data, _base_url(request))
        key = filters_key(request, filters)
        RequestConfig(request, paginate=self.pagination(request, key)).configure(table)
        return render(request, self.template_name, self.context(request, filters, table, key))

    def pagination(self, request, key):
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
    return cache_key("claims", {k: v for k, v in request.GET.items() if k in fields})


# --- One claim, and two side by side ------------------------------------------------------


def _with_charts(claim):
    for rebuttal in claim.public_rebuttals:
        rebuttal.charts = charts.compare(claim, rebuttal.counterclaim)
    return claim


@require_GET
def claim_detail(request, slug):
    try:
        claim = _with_charts(get_claim(request, slug))
    except Withdrawn as withdrawn:
        return gone(request, withdrawn.claim)
    evidence = {
        role: [c for c in claim.citations.all() if c.role == role]
        for role in (Citation.Role.SUPPORTS, Citation.Role.CONTRADICTS, Citation.Role.CONTEXT)
    }
    return render(
        request,
        "claims/claim_detail.html",
        {
            "claim": claim,
            "appearances": claim.appearances(),
            "evidence": [
                (Citation.Role(role).label, items) for role, items in evidence.items() if items
            ],
            "jsonld": jsonld.script_content(jsonld.page_data(claim, request)),
        },
    )


@require_GET
def corrections(request):
    """The public log of corrections to published claims, newest first."""
    log = Correction.objects.public().select_related("claim__speaker")
    return render(
        request,
        "claims/corrections.html",
        {"page": page_of(log, request, CORRECTIONS_PAGE_SIZE)},
    )


@require_GET
def compare(request, left, right):
    try:
        left_claim, right_claim = get_claim(request, left), get_claim(request, right)
    except Withdrawn as withdrawn:
        return gone(request, withdrawn.claim)
    return render(
        request,
        "claims/compare.html",
        {
            "left": left_claim,
            "right": right_claim,
            "charts": charts.compare(left_claim, right_claim),
        },
    )


# --- Speakers and sources ------------------------------------------------------------------


@require_GET
def speaker_list(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in Speaker.Kind.values else ""
    speakers = Speaker.objects.speaking()
    if kind:
        speakers = speakers.filter(kind=kind)
    name = text_param(request, "q", 100)
    if name:
        speakers = speakers.filter(Q(name__icontains=name) | Q(short_name__iexact=name))
    page = page_of(
        speakers.order_by("name", "pk"),
        request,
        50,
        paginator_class=BoundedPaginator,
        # Whether each speaker has spoken is asked of every one (5,000 index
        # lookups, 15 ms on PostgreSQL): the count is kept, like the list's.
        count_key=cache_key("speakers", {"kind": kind, "q": name}),
        # Statements counted for the speakers of the page only, not for every
        # one skipped on the way to a deep page; still speaking a moment later.
        rows=Speaker.objects.speaking().with_published_counts(),
    )
    return render(
        request,
        "claims/speaker_list.html",
        {
            "page": page,
            "kinds": Speaker.Kind.choices,
            "kind": kind,
            "q": name,
        },
    )


@require_GET
def speaker_detail(request, slug):
    with generic_plans():
        speaker = get_object_or_404(Speaker.objects.public(), slug=slug)
        organisations = list(speaker.organisations.public().order_by("name"))
    if speaker.is_person:
        statements = Claim.objects.published().by_speaker(speaker)
    else:
        statements = Claim.objects.published().by_organisation(speaker)
    summary = speaker_summary(speaker, statements)
    # The members and pairings the summary chose are read again by id (the
    # pairings both ways in one query), with their visibility: someone or a
    # claim unpublished since is not shown, and every name and text is the
    # current one. The summary's order is kept.
    with generic_plans():
        found = Speaker.objects.public().only("slug", "name").in_bulk(summary["members"])
        pairings = (
            Rebuttal.objects.public()
            .select_related("claim__speaker", "counterclaim__speaker")
            .only(
                *("relation", "created_at"),
                *(f"{side}__{name}" for side in ("claim", "counterclaim") for name in PAIR_FIELDS),
            )
            .in_bulk(summary["rebutted"] + summary["rebutted_by"])
        )
    members = [found[pk] for pk in summary["members"] if pk in found]
    return render(
        request,
        "claims/speaker_detail.html",
        {
            "speaker": speaker,
            "page": page_of(
                statements,
                request,
                25,
                paginator_class=BoundedPaginator,
                count_key=f"speaker-{speaker.pk}",
            ),
            "members": members,
            "more_members": summary["more_members"],
            "organisations": organisations,
            "rebutted": [pairings[pk] for pk in summary["rebutted"] if pk in pairings],
            "rebutted_by": [pairings[pk] for pk in summary["rebutted_by"] if pk in pairings],
            "by_assessment": [
                (label, summary["by_assessment"].get(value, 0))
                for value, label in Claim.Assessment.choices
            ],
            "as_of": summary["as_of"],
            "pairings": PAIRINGS,
        },
    )


def speaker_summary(speaker, statements):
    """A speaker's statements counted by assessment, the ids of its first
    MEMBERS public members by name and how many more there are, and the ids
    of the latest pairings either way: made at most every COUNTS_SECONDS per
    speaker (for the largest they read every statement), and shown with
    their time. Members known only from drafts stay unseen, as everywhere."""

    def summarise():
        mine = statements.values("pk")
        public = Rebuttal.objects.public().latest_first()
        members = speaker.members.public()
        first = list(members.order_by("name", "pk").values_list("pk", flat=True)[:MEMBERS])
        return {
            "members": first,
            "more_members": members.count() - len(first) if len(first) == MEMBERS else 0,
            "by_assessment": dict(
                statements.order_by().values_list("assessment").annotate(n=Count("pk"))
            ),
            "rebutted": list(
                public.filter(counterclaim__in=mine).values_list("pk", flat=True)[:PAIRINGS]
            ),
            "rebutted_by": list(
                public.filter(claim__in=mine).values_list("pk", flat=True)[:PAIRINGS]
            ),
            "as_of": timezone.now(),
        }

    return cache.get_or_set(f"speaker-summary-{speaker.pk}", summarise, COUNTS_SECONDS)


@require_GET
def source_detail(request, slug):
    source = get_object_or_404(Source.objects.visible().select_related("publisher"), slug=slug)
    # Joined to their claims, not "claim in published claims": the database
    # would gather every published claim first (a second at a million).
    citations = (
        Citation.objects.filter(source=source, claim__status=Claim.Status.PUBLISHED)
        .select_related("claim__speaker")
        .order_by("role", "claim__said_sort", "claim__pk", "locator")
    )
    return render(
        request,
        "claims/source_detail.html",
        {
            "source": source,
            "citations": citations,
            "relays": source.relays.visible().select_related("publisher"),
            "relayed_by": source.relayed_by.visible().select_related("publisher"),
        },
    )


@require_GET
def evidence_file(request, name):
    """An uploaded evidence file, as a download never shown as a page.
    Files of restricted sources are for editors only."""
    sources = list(Source.objects.filter(file=name)[:2])
    editor = workflow.is_editor(request.user)
    if len(sources) != 1 or not sources[0].file:
        raise Http404("No such file.")
    source = sources[0]
    if source.restricted and not editor:
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
    found = Claim.objects.for_list().in_bulk(list(page.object_list))
    results = []
    for pk in page.object_list:
        if pk in found:
            claim = found[pk]
            original = claim.original_text
            results.append(
                {
                    "claim": claim,
                    "snippet": search.highlight(claim.text, query),
                    "original": search.highlight(original, query)
                    if search.matches(original, query)
                    else "",
                }
            )
    return render(
        request,
        "claims/search.html",
        {
            "q": query,
            "page": page,
            "results": results,
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
    term = text_param(request, "q", 100)
    querysets = {
        "speakers": Speaker.objects.public(),
        "organisations": Speaker.objects.public().organisations(),
        "topics": Topic.objects.filter(claims__status=Claim.Status.PUBLISHED).distinct(),
    }
    if kind not in querysets:
        raise Http404("Nothing to suggest here.")
    results = []
    if term:
        results = [
            {"name": row["name"], "slug": row["slug"]}
            for row in querysets[kind]
            .filter(name__istartswith=term)
            .order_by("name")
            .values("name", "slug")[:SUGGESTIONS]
        ]
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
