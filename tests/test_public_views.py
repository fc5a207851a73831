"""The reader site: every page, what readers may and may not see, query
counts, and query strings meant to break it."""

import datetime
import json
import re

import feedparser
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, Speaker
from claims.tables import BoundedPaginator

from .factories import (
    REPEATEDLY,
    make_citation,
    make_claim,
    make_figure,
    make_rebuttal,
    make_source,
    make_speaker,
    make_topic,
    published,
)
from .pages import listed, page

pytestmark = pytest.mark.django_db
D = datetime.date
PUBLISHED = Claim.Status.PUBLISHED


def claim_url(claim):
    return reverse("claims:claim_detail", args=[claim.slug])


# --- Every page ------------------------------------------------------------------------


def test_home_shows_latest_pairings_and_counts(client, story):
    html = page(client, reverse("claims:home"))
    assert "estimated 679 civilians" in html
    assert "credible evidence" in html
    assert "DRAFTWORD" not in html
    assert re.search(r"<strong>2</strong>\s*<a[^>]*>claims</a>", html)


def test_home_counts_are_made_once_and_dated(client, story):
    with CaptureQueriesContext(connection) as first:
        page(client, reverse("claims:home"))
    published(text="A claim published after the counts were made.")
    with CaptureQueriesContext(connection) as second:
        html = page(client, reverse("claims:home"))
    counting = [q["sql"] for q in first if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 4
    assert not [q["sql"] for q in second if "COUNT(" in q["sql"].upper()]
    assert re.search(r"<strong>2</strong>\s*<a[^>]*>claims</a>", html)
    assert "counted <time" in html


def test_claim_page_shows_everything(client, story):
    html = page(client, claim_url(story["claim"]))
    assert "on or before February 2016" in html
    assert "January 2016" in html
    assert "an estimated 679" in html
    assert "Dmitry Peskov" in html and "Kremlin spokesperson" in html
    assert "denies" in html
    assert "does not say he answered" in html
    assert "First appearance" in html
    assert 'class="pair"' in html
    assert "DRAFTWORD" not in html
    assert "XYZZY" not in html and "QWERTY" not in html


def test_claim_page_marks_original_language_and_direction(client):
    claim = published(
        text="We will not leave Idlib.",
        text_kind="verbatim_translation",
        original_text="لن نغادر إدلب",
        original_language="ar",
    )
    html = page(client, claim_url(claim))
    assert '<blockquote lang="ar" dir="rtl"><p>لن نغادر إدلب</p></blockquote>' in html
    assert "verbatim, in translation" in html


def test_rebuttals_of_rebuttals_are_reachable(client, story):
    answer = published(slug="answer-to-denial", text="The denial is false.")
    make_rebuttal(story["denial"], answer, relation="contradicts")
    html = page(client, claim_url(story["claim"]))
    assert "Itself answered by 1 claim" in html
    html = page(client, claim_url(story["denial"]))
    assert "The denial is false." in html
    assert "This claim answers" in html


def test_chart_when_both_sides_have_figures_about_the_same_thing(client, story):
    counter = published(slug="counter-count", text="Only 12 civilians died.", place="Aleppo")
    make_figure(counter, measure=story["claim"].figures.get().measure, value_min=12)
    make_rebuttal(story["claim"], counter, relation="disputes_figure")
    html = page(client, claim_url(story["claim"]))
    assert "<svg" in html and 'role="img"' in html
    assert "different periods" in html
    assert "different places" in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_compare_any_two_claims(client, story):
    other = published(slug="airwars", text="Between 1,006 and 1,410 non-combatant deaths.")
    make_figure(
        other,
        measure=story["claim"].figures.get().measure,
        value_min=1006,
        value_max=1410,
        period_start=D(2016, 1, 1),
        period_start_precision="month",
        period_end=D(2016, 1, 1),
        period_end_precision="month",
    )
    other.place = "Syria"
    other.save()
    html = page(client, reverse("claims:compare", args=["snhr-679", "airwars"]))
    assert "1,006–1,410" in html and "an estimated 679" in html
    assert "<svg" in html
    assert "different periods" not in html
    page(client, reverse("claims:compare", args=["snhr-679", "draft-answer"]), status=404)


def test_speaker_pages(client, story):
    html = page(client, reverse("claims:speaker_list"))
    assert "Syrian Network for Human Rights" in html and "Dmitry Peskov" in html
    html = page(client, reverse("claims:speaker_list"), {"kind": "person"})
    assert "Dmitry Peskov" in html and "Syrian Network" not in html

    html = page(client, reverse("claims:speaker_detail", args=["kremlin"]))
    assert "credible evidence" in html  # the organisation's page includes its people
    assert "What <bdi>Kremlin</bdi> answered" in html and "estimated 679" in html
    html = page(client, reverse("claims:speaker_detail", args=["snhr"]))
    assert "Who answered" in html and "Dmitry Peskov" in html
    assert "DRAFTWORD" not in html


def test_source_page(client, story, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    story["report"].archive_url = "https://web.archive.org/web/2016/report"
    story["report"].file.save("report.pdf", ContentFile(b"%PDF-1.4 body"))
    html = page(client, reverse("claims:source_detail", args=["report"]))
    assert "estimated 679" in html
    assert "DRAFTWORD" not in html
    assert story["report"].file_sha256 in html
    assert "web.archive.org" in html
    download = client.get(reverse("claims:evidence", args=[story["report"].file.name]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "html" not in download["Content-Type"]


def test_restricted_source_is_never_public(client, story, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    story["secret"].file.save("witness.txt", ContentFile(b"names"))
    page(client, reverse("claims:source_detail", args=["secret"]), status=404)
    assert (
        client.get(reverse("claims:evidence", args=[story["secret"].file.name])).status_code == 404
    )
    for url in [
        reverse("claims:home"),
        claim_url(story["claim"]),
        reverse("claims:claim_list") + "?_export=json",
        reverse("sitemap"),
        "/sitemap-claims.xml",
        "/sitemap-sources.xml",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"XYZZY" not in body and b"QWERTY" not in body, url
    # Its title is not searchable either.
    assert client.get(reverse("claims:search"), {"q": "XYZZY"}).context["results"] == []


def test_robots_and_sitemap(client, story):
    robots = page(client, "/robots.txt")
    assert "Disallow: /admin/" in robots and "sitemap.xml" in robots
    index = page(client, reverse("sitemap"))
    assert "sitemap-claims.xml" in index
    sitemap = "".join(
        page(client, f"/sitemap-{name}.xml") for name in ("pages", "claims", "speakers", "sources")
    )
    assert "/claims/snhr-679/" in sitemap
    assert "/speakers/dmitry-peskov/" in sitemap
    assert "draft-answer" not in sitemap and "/claims/hidden/" not in sitemap
    assert "/sources/secret/" not in sitemap


def test_atom_feed_lists_published_claims_only(client, story):
    story["claim"].set_status(PUBLISHED)
    story["claim"].save()
    feed = feedparser.parse(client.get(reverse("claims:feed")).content)
    assert not feed.bozo
    links = [entry.link for entry in feed.entries]
    assert any(link.endswith("/claims/snhr-679/") for link in links)
    assert not any("draft-answer" in link or "hidden" in link for link in links)
    assert feed.feed.title.startswith("Counterclaim")


# --- Drafts ------------------------------------------------------------------------------


def test_draft_is_404_for_readers_and_a_preview_for_editors(client, editor, story):
    page(client, claim_url(story["draft"]), status=404)
    client.force_login(editor)
    html = page(client, claim_url(story["draft"]))
    assert "Preview for editors" in html


def test_drafts_are_absent_everywhere(client, story):
    for url in [
        reverse("claims:home"),
        reverse("claims:claim_list"),
        reverse("claims:speaker_detail", args=["snhr"]),
        reverse("claims:source_detail", args=["report"]),
        reverse("claims:feed"),
        reverse("sitemap"),
        "/sitemap-claims.xml",
        "/sitemap-speakers.xml",
        claim_url(story["claim"]),
    ]:
        assert b"DRAFTWORD" not in client.get(url).content, url
    assert client.get(reverse("claims:search"), {"q": "DRAFTWORD"}).context["results"] == []
    for fmt in ("csv", "json"):
        body = b"".join(
            client.get(reverse("claims:claim_list"), {"_export": fmt}).streaming_content
        )
        assert b"DRAFTWORD" not in body and b"estimated 679" in body


# --- The list: sorting, paging (its filters: test_filters.py) -------------------------------


def test_sorting_by_date_puts_undated_last_and_ties_stay_stable(client):
    published(slug="old", said_on=D(2010, 1, 1))
    published(slug="undated", said_on=None, said_qualifier="not_stated")
    published(slug="new", said_on=D(2020, 1, 1))
    assert listed(client) == ["new", "old", "undated"]
    assert listed(client, sort="said")[-1] == "new"


@pytest.mark.parametrize(
    "sort", ["-said", "said", "speaker", "-speaker", "assessment", "-assessment"]
)
def test_paging_never_repeats_or_skips_a_row(client, sort):
    speaker = make_speaker()
    for n in range(60):
        published(slug=f"same-{n:03d}", speaker=speaker, said_on=D(2016, 2, 10))
    seen = []
    for number in (1, 2, 3):
        seen += listed(client, sort=sort, page=number, per_page=25)
    assert len(seen) == 60
    assert len(set(seen)) == 60


def test_count_is_bounded(client, monkeypatch):
    monkeypatch.setattr(BoundedPaginator, "max_rows", 5)
    for n in range(8):
        published(slug=f"c{n}")
    response = client.get(reverse("claims:claim_list"), {"per_page": 25})
    html = response.content.decode()
    assert "More than 5 claims match" in html
    assert len(response.context["table"].page.object_list) == 5


def test_page_beyond_the_last_says_so(client):
    published()
    html = page(client, reverse("claims:claim_list"), {"page": "999999"})
    assert "There is no page 999999" in html


HOSTILE = [
    {"page": "-1"},
    {"page": "0"},
    {"page": "abc"},
    {"page": "999999"},
    {"per_page": "100000"},
    {"per_page": "-5"},
    {"sort": "bogus"},
    {"sort": "-said,--text"},
    {"sort": "text"},
    {"q": "x" * 5000},
    {"q": '"'},
    {"q": "NEAR("},
    {"q": '"unbalanced'},
    {"q": "a* OR b NOT c"},
    {"q": "'); DROP TABLE claims_claim;--"},
    {"q": "\x00"},
    {"speaker": "x" * 1000},
    {"said_from": "99999"},
    {"said_from": "2016-02-30"},
    {"said_to": "0000"},
    {"assessment": "nonsense"},
    {"speaker_kind": "alien"},
    {"countered": "maybe"},
    {"topic": "<script>"},
    {"_export": "pdf"},
    {"_export": "csv", "said_from": "bad"},
    {"unknown": "value"},
]


@pytest.mark.parametrize("params", HOSTILE, ids=lambda p: repr(p)[:40])
def test_hostile_query_strings_never_fail(client, story, params):
    for url in (
        reverse("claims:claim_list"),
        reverse("claims:search"),
        reverse("claims:speaker_list"),
    ):
        response = client.get(url, params)
        assert response.status_code < 500, (url, params)
        response = client.get(reverse("claims:suggest", args=["speakers"]), params)
        assert response.status_code < 500, params
        assert response.status_code in (200, 400, 404), (url, params)


# --- Queries stay fixed -------------------------------------------------------------------------


def count_queries(client, url, params=None):
    cache.clear()  # the home page's counts are cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def grow(story, n):
    """More of everything a page lists: claims, citations, figures, rebuttals."""
    for _ in range(n):
        answer = published(speaker=story["peskov"], speaking_for=story["kremlin"])
        make_rebuttal(story["claim"], answer)
        make_rebuttal(answer, published())
        make_citation(story["claim"], make_source(publisher=make_speaker(kind="media")))
        make_citation(story["claim"], make_source(), role="contradicts")
        make_figure(story["claim"], measure=story["claim"].figures.first().measure)
        make_figure(answer, measure=story["claim"].figures.first().measure)
        make_citation(answer, story["report"])


@pytest.mark.parametrize(
    ("name", "args", "params"),
    [
        ("claims:home", [], {}),
        ("claims:claim_list", [], {}),
        ("claims:claim_list", [], {"speaker": "snhr", "countered": "yes", "said_from": "2010"}),
        ("claims:claim_list", [], {"_export": "csv"}),
        ("claims:claim_list", [], {"_export": "json"}),
        ("claims:claim_detail", ["snhr-679"], {}),
        ("claims:compare", ["snhr-679", "peskov-denial"], {}),
        ("claims:speaker_list", [], {}),
        ("claims:speaker_detail", ["kremlin"], {}),
        ("claims:speaker_detail", ["snhr"], {}),
        ("claims:source_detail", ["report"], {}),
        ("claims:search", [], {"q": "credible"}),
        ("claims:feed", [], {}),
        ("sitemap", [], {}),
        ("django.contrib.sitemaps.views.sitemap", ["claims"], {}),
        ("django.contrib.sitemaps.views.sitemap", ["speakers"], {}),
    ],
)
def test_queries_do_not_grow_with_the_data(client, story, name, args, params):
    url = reverse(name, args=args)
    grow(story, 2)
    few = count_queries(client, url, params)
    grow(story, 12)
    many = count_queries(client, url, params)
    assert many == few, f"{name}: {few} queries with less data, {many} with more"


def test_claim_page_query_count_is_small(client, story, django_assert_max_num_queries):
    grow(story, 10)
    with django_assert_max_num_queries(16):
        client.get(claim_url(story["claim"]))


def test_list_counts_the_table_once(client, story):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("claims:claim_list"))
    # One COUNT of the matching claims, bounded by the paginator; the rows of
    # the page itself may be counted too, but never the whole table.
    counts = [q["sql"] for q in queries if q["sql"].upper().startswith("SELECT COUNT(")]
    bound = f"LIMIT {BoundedPaginator.max_rows + 1}"
    assert len([sql for sql in counts if bound in sql]) == 1
    assert all(" LIMIT " in sql for sql in counts)


# --- JSON-LD -------------------------------------------------------------------------------


def jsonld_of(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_jsonld_claim_keeps_date_precision(client, story):
    data = jsonld_of(page(client, claim_url(story["denial"])))
    assert data["@type"] == "Claim"
    assert data["author"] == {
        "@type": "Person",
        "name": "Dmitry Peskov",
        "url": "http://testserver/speakers/dmitry-peskov/",
    }
    assert data["datePublished"] == "2016-02-10"

    month = published(slug="month", said_on=D(2016, 2, 1), said_on_precision="month")
    make_citation(month, story["report"])
    data = jsonld_of(page(client, claim_url(month)))
    assert data["datePublished"] == "2016-02"
    assert data["firstAppearance"]["headline"] == "SNHR monthly report"
    # "On or before" is a bound, not a date: no datePublished at all.
    assert "datePublished" not in jsonld_of(page(client, claim_url(story["claim"])))


def test_jsonld_claim_review_when_assessed(client, story):
    story["claim"].assessment = "contested"
    story["claim"].assessment_rationale = "Two monitors disagree."
    story["claim"].correction_note = "Assessed."
    story["claim"].save()
    data = jsonld_of(page(client, claim_url(story["claim"])))
    assert data["@type"] == "ClaimReview"
    assert data["reviewRating"]["alternateName"] == "contested"
    assert 1 <= data["reviewRating"]["ratingValue"] <= data["reviewRating"]["bestRating"]
    assert data["itemReviewed"]["@type"] == "Claim"
    assert [a.get("headline") for a in data["itemReviewed"]["appearance"]] == [
        "SNHR monthly report"
    ]
    assert "XYZZY" not in json.dumps(data)


def test_jsonld_cannot_be_broken_out_of(client):
    claim = published(text='He said </script><script>alert("x")</script> & more')
    html = page(client, claim_url(claim))
    assert html.count("<script") == 2  # the JSON-LD and the page's own script
    data = jsonld_of(html)
    assert data["text"] == 'He said </script><script>alert("x")</script> & more'


# --- Exports ---------------------------------------------------------------------------------


def test_csv_export_has_every_matching_row_in_plain_text(client):
    speaker = make_speaker(name="Speaker <b>bold</b>")
    for n in range(70):
        published(slug=f"row-{n:02d}", speaker=speaker, text=f'=HYPERLINK("x") statement {n}')
    published(slug="other", text="Not by this speaker.")
    response = client.get(
        reverse("claims:claim_list"), {"_export": "csv", "speaker": speaker.slug, "per_page": 25}
    )
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 70
    assert rows[0]["speaker"] == "Speaker <b>bold</b>"
    assert all(row["text"].startswith("'=") for row in rows)
    assert rows[0]["said"] == "10 February 2016"
    assert rows[0]["said_from"] == "2016-02-10"


def test_export_rows_say_what_the_claims_pages_say(client):
    # Downloads read plain column values, not claims; the dates, periods and
    # addresses in them still follow the claim's own rules.
    organisation = make_speaker(name="Ministry", kind="organisation")
    claims = [
        published(slug="feb", said_on=D(2016, 2, 1), said_on_precision="month"),
        published(slug="before", said_on=D(2016, 2, 10), said_qualifier="on_or_before"),
        published(
            slug="repeated",
            **REPEATEDLY,
            speaking_for=organisation,
            period_start=D(2016, 1, 1),
            period_start_precision="month",
            period_end=D(2016, 3, 31),
        ),
        published(slug="undated", said_on=None, said_qualifier="not_stated"),
    ]
    claims[2].topics.add(make_topic(name="Airstrikes"), make_topic(name="Aleppo"))
    body = b"".join(client.get(reverse("claims:claim_list"), {"_export": "json"}).streaming_content)
    rows = {row["slug"]: row for row in json.loads(body)}
    for claim in claims:
        claim.refresh_from_db()
        row = rows[claim.slug]
        earliest, latest = claim.said_interval
        assert row["said"] == claim.said_display
        assert row["said_from"] == (earliest.isoformat() if earliest else "")
        assert row["said_until"] == (latest.isoformat() if latest else "")
        assert row["period"] == claim.period_display
        assert row["url"] == "http://testserver" + claim.get_absolute_url()
        assert row["speaker"] == claim.speaker.name
        assert row["speaking_for"] == (claim.speaking_for.name if claim.speaking_for else "")
    assert rows["repeated"]["said"].startswith("repeatedly between")
    assert rows["repeated"]["period"]
    assert rows["repeated"]["topics"] == "Airstrikes; Aleppo"
    assert rows["undated"]["said"] == "date not stated"


def test_json_and_xlsx_exports(client, story):
    body = b"".join(client.get(reverse("claims:claim_list"), {"_export": "json"}).streaming_content)
    rows = json.loads(body)
    assert {row["slug"] for row in rows} == {"snhr-679", "peskov-denial"}
    assert next(r for r in rows if r["slug"] == "snhr-679")["counterclaims"] == 1

    from io import BytesIO

    from openpyxl import load_workbook

    response = client.get(reverse("claims:claim_list"), {"_export": "xlsx"})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[0][0] == "slug"
    assert {row[0] for row in values[1:]} == {"snhr-679", "peskov-denial"}


def test_xlsx_stops_at_the_sheet_limit_with_a_note(client, monkeypatch):
    from io import BytesIO

    from openpyxl import load_workbook

    from claims import exports

    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    for _ in range(5):
        published()
    response = client.get(reverse("claims:claim_list"), {"_export": "xlsx"})
    values = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(values) == 1 + 3 + 1
    assert values[-1][0].startswith("Stopped at 3 rows")


# --- Typeahead ---------------------------------------------------------------------------------


def test_suggestions(client):
    for name, kind, slug in [
        ("Syrian Network for Human Rights", "ngo", "snhr"),
        ("Syria Civil Defence", "ngo", "white-helmets"),
        ("Sergei Shoigu", "person", "shoigu"),
    ]:
        published(speaker=make_speaker(name=name, kind=kind, slug=slug))
    make_claim(speaker=make_speaker(name="Syria Draftonly", slug="draft-only"))
    data = client.get(reverse("claims:suggest", args=["speakers"]), {"q": "syr"}).json()
    assert [r["name"] for r in data["results"]] == [
        "Syria Civil Defence",
        "Syrian Network for Human Rights",
    ]
    data = client.get(reverse("claims:suggest", args=["organisations"]), {"q": "s"}).json()
    assert "Sergei Shoigu" not in [r["name"] for r in data["results"]]
    assert client.get(reverse("claims:suggest", args=["users"]), {"q": "a"}).status_code == 404
    assert Speaker.objects.count() == 4


def test_speakers_and_sources_known_only_from_drafts_stay_unseen(client, story):
    secret = make_speaker(name="Secret Speaker", slug="secret-speaker")
    draft = make_claim(speaker=secret, text="draft words")
    make_citation(draft, make_source(slug="draft-only-source", title="Draft-only source"))
    page(client, reverse("claims:speaker_detail", args=["secret-speaker"]), status=404)
    page(client, reverse("claims:source_detail", args=["draft-only-source"]), status=404)
    # Bodies of a published claim's speaker are public: the Kremlin, by Peskov.
    page(client, reverse("claims:speaker_detail", args=["kremlin"]))
    page(client, reverse("claims:speaker_detail", args=["snhr"]))
    assert "Secret Speaker" not in page(client, reverse("claims:speaker_list"))
    # Nor is a member known only from drafts named on its body's page.
    secret.organisations.add(story["kremlin"])
    cache.clear()
    assert "Secret Speaker" not in page(client, reverse("claims:speaker_detail", args=["kremlin"]))
    # Nor a body a public body belongs to, when nothing published names it
    # or any of its members: a body public only through its members is not
    # named itself.
    middle = make_speaker(name="Middle Body", slug="middle-body", kind="government")
    story["peskov"].organisations.add(middle)
    middle.organisations.add(make_speaker(name="Secret Parent", kind="government"))
    middle_page = page(client, reverse("claims:speaker_detail", args=["middle-body"]))
    assert "Secret Parent" not in middle_page


def test_far_future_dates_and_odd_text_do_not_break_the_list(client, story):
    for value in ("9999", "9999-12", "9999-12-31"):
        page(client, reverse("claims:claim_list"), {"said_to": value})
    story["claim"].text = "Vertical\x0btab and \x01 control"
    story["claim"].correction_note = "Odd text."
    story["claim"].save()
    response = client.get(reverse("claims:claim_list"), {"_export": "xlsx"})
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_internal_notes_never_public(client, story):
    story["claim"].internal_notes = "INTERNALNOTE about a witness"
    story["claim"].save()
    story["report"].internal_notes = "INTERNALNOTE on the source"
    story["report"].save()
    for url in [
        reverse("claims:home"),
        claim_url(story["claim"]),
        reverse("claims:source_detail", args=["report"]),
        reverse("claims:speaker_detail", args=["snhr"]),
        reverse("claims:feed"),
        reverse("claims:claim_list") + "?_export=csv",
        reverse("claims:claim_list") + "?_export=json",
    ]:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"INTERNALNOTE" not in body, url


def test_only_web_addresses_become_links(client, story):
    # Stored directly: model validation would refuse it, an old row might not.
    Source = story["report"].__class__
    Source.objects.filter(pk=story["report"].pk).update(
        url="javascript:alert(1)", archive_url="https://web.archive.org/x"
    )
    html = page(client, reverse("claims:source_detail", args=["report"]))
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html
    assert 'href="https://web.archive.org/x"' in html


def _download_queries(client, params):
    """The queries a download of the list runs, the streamed body read whole."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("claims:claim_list"), params)
        body = b"".join(response.streaming_content)
    return len(queries), body


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_download_of_the_seed_runs_four_queries_at_most(client, seed, fmt):
    count, body = _download_queries(client, {"_export": fmt})
    assert count <= 4
    assert b"dmitry-peskov-no-credible-evidence-2016-02-10" in body


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_each_further_chunk_of_a_download_runs_three_queries_at_most(client, monkeypatch, fmt):
    topic = make_topic()
    for n in range(7):
        claim = published(slug=f"chunked-{n}")
        claim.topics.add(topic)
        claim.accused.add(make_speaker())
    monkeypatch.setattr("claims.exports.CHUNK", 2)
    count, body = _download_queries(client, {"_export": fmt})
    chunks = 4  # 7 claims, 2 a chunk
    assert count <= 4 + 3 * (chunks - 1)
    assert all(f"chunked-{n}".encode() in body for n in range(7))
    assert body.count(topic.name.encode()) == 7
