"""What each public page reads, one function a page: the views fetch from
here, build their context and render. Cache keys and lifetimes sit beside
the reads they keep (limits.COUNTS_SECONDS); so do the query plans
(claims.db.generic_plans) for reads whose best plan fits any value."""

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import charts, search
from .db import generic_plans
from .limits import COUNTS_SECONDS, HOME_PAIRINGS, MEMBERS, PAIRINGS, SUGGESTIONS
from .models import Citation, Claim, Correction, Rebuttal, Source, Speaker, Topic

PAIR_FIELDS = ("slug", "text", "status", "speaker__slug", "speaker__name")
EVIDENCE_ROLES = (Citation.Role.SUPPORTS, Citation.Role.CONTRADICTS, Citation.Role.CONTEXT)


class Withdrawn(Exception):
    """The claim asked for was withdrawn: its permalink says so (410)."""

    def __init__(self, claim):
        self.claim = claim


def cache_key(prefix, filters):
    """A cache key for a list narrowed by `filters` (a dict), whatever their text."""
    return f"{prefix}:{hashlib.sha256(urlencode(sorted(filters.items())).encode()).hexdigest()}"


# --- Home -----------------------------------------------------------------------------


def home_pairings():
    """The latest public pairings, both sides with their speakers."""
    return (
        Rebuttal.objects.public()
        .select_related(
            "claim__speaker",
            "claim__speaking_for",
            "counterclaim__speaker",
            "counterclaim__speaking_for",
        )
        .latest_first()[:HOME_PAIRINGS]
    )


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


# --- The list --------------------------------------------------------------------------


def claim_list(sort=""):
    """The published claims the list filters and pages, with what a row shows."""
    claims = Claim.objects.published().for_list()
    if sort.lstrip("-") == "speaker":
        # A published claim always has a speaker (workflow.publication_problems);
        # saying so makes the speaker join an inner one, which the database
        # can walk in name order. Only then: on other orders the test would
        # read every row a deep page skips.
        claims = claims.filter(speaker__isnull=False)
    return claims


# --- One claim, and two side by side --------------------------------------------------


def claim(user, slug):
    """One claim `user` may read, with everything its page shows; a
    withdrawn claim raises Withdrawn, anything else unknown is a 404."""
    try:
        with generic_plans():
            return Claim.objects.visible_to(user).for_detail().get(slug=slug)
    except Claim.DoesNotExist:
        withdrawn = Claim.objects.filter(slug=slug, status=Claim.Status.WITHDRAWN).first()
        if withdrawn:
            raise Withdrawn(withdrawn) from None
        raise Http404("No published claim has this address.") from None


def claim_page(user, slug):
    """A claim page's reads: the claim with its counterclaims' charts, its
    appearances (first first) and its evidence by role."""
    found = claim(user, slug)
    for rebuttal in found.public_rebuttals:
        rebuttal.charts = charts.compare(found, rebuttal.counterclaim)
    evidence = {
        role: [c for c in found.citations.all() if c.role == role] for role in EVIDENCE_ROLES
    }
    return {
        "claim": found,
        "appearances": found.appearances(),
        "evidence": [
            (Citation.Role(role).label, items) for role, items in evidence.items() if items
        ],
    }


def compare_page(user, left, right):
    left_claim, right_claim = claim(user, left), claim(user, right)
    return {
        "left": left_claim,
        "right": right_claim,
        "charts": charts.compare(left_claim, right_claim),
    }


def corrections_log():
    """Corrections of published claims, newest first."""
    return Correction.objects.public().select_related("claim__speaker")


# --- Speakers and sources -------------------------------------------------------------


def speaker_list(kind, name):
    """Speakers with published statements, of a kind and by name (either
    may be empty), in name order; the rows a page shows are read again with
    their statement counts (`rows`); the count is kept under `count_key`."""
    speakers = Speaker.objects.speaking()
    if kind:
        speakers = speakers.filter(kind=kind)
    if name:
        speakers = speakers.filter(Q(name__icontains=name) | Q(short_name__iexact=name))
    return {
        "speakers": speakers.order_by("name", "pk"),
        # Whether each speaker has spoken is asked of every one: the count
        # is kept, like the list's.
        "count_key": cache_key("speakers", {"kind": kind, "q": name}),
        # Statements counted for the speakers of the page only, not for every
        # one skipped on the way to a deep page; still speaking a moment later.
        "rows": Speaker.objects.speaking().with_published_counts(),
    }


def speaker_page(slug):
    """A speaker's page: the speaker, the bodies it belongs to, its
    statements (an organisation's include its people's), its summary, and
    the members and pairings the summary chose, read again by id with their
    visibility: someone or a claim unpublished since is not shown, and every
    name and text is the current one. The summary's order is kept."""
    with generic_plans():
        try:
            speaker = Speaker.objects.public().get(slug=slug)
        except Speaker.DoesNotExist:
            raise Http404(_("No speaker has this address.")) from None
        organisations = list(speaker.organisations.public().order_by("name"))
    if speaker.is_person:
        statements = Claim.objects.published().by_speaker(speaker)
    else:
        statements = Claim.objects.published().by_organisation(speaker)
    summary = speaker_summary(speaker, statements)
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
    return {
        "speaker": speaker,
        "statements": statements,
        "count_key": f"speaker-{speaker.pk}",
        "members": [found[pk] for pk in summary["members"] if pk in found],
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
    }


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


def source_page(slug):
    """A source readers may see, what cites it, and the sources it relays
    and that relay it."""
    try:
        source = Source.objects.visible().select_related("publisher").get(slug=slug)
    except Source.DoesNotExist:
        raise Http404(_("No public source has this address.")) from None
    # Joined to their claims, not "claim in published claims": the database
    # would gather every published claim first.
    citations = (
        Citation.objects.filter(source=source, claim__status=Claim.Status.PUBLISHED)
        .select_related("claim__speaker")
        .order_by("role", "claim__said_sort", "claim__pk", "locator")
    )
    return {
        "source": source,
        "citations": citations,
        "relays": source.relays.visible().select_related("publisher"),
        "relayed_by": source.relayed_by.visible().select_related("publisher"),
    }


def evidence_source(name):
    """The one source whose evidence file is stored under `name`, or None."""
    sources = list(Source.objects.filter(file=name)[:2])
    return sources[0] if len(sources) == 1 and sources[0].file else None


# --- Search and suggestions -----------------------------------------------------------


def search_results(query, ids):
    """The claims of a page of search results (`ids`, best first), each
    with its text and original text marked where they match."""
    found = Claim.objects.for_list().in_bulk(list(ids))
    results = []
    for pk in ids:
        if pk in found:
            row = found[pk]
            original = row.original_text
            results.append(
                {
                    "claim": row,
                    "snippet": search.highlight(row.text, query),
                    "original": search.highlight(original, query)
                    if search.matches(original, query)
                    else "",
                }
            )
    return results


SUGGESTED = {
    "speakers": lambda: Speaker.objects.public(),
    "organisations": lambda: Speaker.objects.public().organisations(),
    "topics": lambda: Topic.objects.filter(claims__status=Claim.Status.PUBLISHED).distinct(),
}


def suggestions(kind, term):
    """Names of `kind` (a key of SUGGESTED) starting with `term`, for a typeahead."""
    if not term:
        return []
    return [
        {"name": row["name"], "slug": row["slug"]}
        for row in SUGGESTED[kind]()
        .filter(name__istartswith=term)
        .order_by("name")
        .values("name", "slug")[:SUGGESTIONS]
    ]
