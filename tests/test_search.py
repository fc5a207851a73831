"""Search: one normaliser, one interface, the same hits on SQLite (FTS5) and
PostgreSQL (GIN); CI runs this file on both."""

import pytest
from django.db import connection
from django.urls import reverse

from claims import limits, search
from claims.models import Claim
from claims.search.backends import sqlite as sqlite_search

from .factories import make_citation, make_claim, make_source, make_speaker

PUBLISHED = Claim.Status.PUBLISHED


# --- The normaliser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Ёлка", "елка"),
        ("ЁЛКА ёлка", "елка елка"),
        ("إدلب", "ادلب"),
        ("أحمد", "احمد"),
        ("آمنة", "امنه"),
        ("ٱلله", "الله"),
        ("مستشفى", "مستشفي"),
        ("إِدْلِب", "ادلب"),  # tashkeel
        ("حـــلـب", "حلب"),  # tatweel
        ("STRASSE Straße", "strasse strasse"),  # casefold
    ],
)
def test_normalise(text, normal):
    assert search.normalise(text) == normal


def test_query_words_are_bounded_and_carry_no_syntax():
    assert search.query_words('"NEAR( a* OR b") -c') == ["near", "a", "or", "b", "c"]
    assert search.query_words("x" * 10_000) == ["x" * limits.MAX_QUERY_LENGTH]
    assert len(search.query_words("w " * 100)) == limits.MAX_QUERY_WORDS
    assert search.query_words("_ - ! ?") == []


def test_highlight_marks_the_original_words():
    html = search.highlight("Strikes on إِدْلِب and Ёлка & <b>", "ادلب елка")
    assert "<mark>إِدْلِب</mark>" in html
    assert "<mark>Ёлка</mark>" in html
    assert "&lt;b&gt;" in html


def test_highlight_snippet_around_a_late_match():
    text = ("word " * 200) + "Raqqa " + ("more " * 100)
    html = search.highlight(text, "raqqa", width=120)
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>Raqqa</mark>" in html
    assert len(html) < 300


# --- The index, on whichever database runs the tests ---------------------------------------------


@pytest.fixture
def corpus(db):
    snhr = make_speaker(name="Syrian Network for Human Rights", short_name="SNHR", kind="ngo")
    claims = {
        "idlib": make_claim(
            status=PUBLISHED,
            speaker=snhr,
            text="Strikes hit the city.",
            original_text="غارات على مدينة إدلب",
            original_language="ar",
        ),
        "yolka": make_claim(status=PUBLISHED, text="Под ёлкой нашли осколки."),
        "place": make_claim(status=PUBLISHED, text="Shelling reported.", place="Deir az-Zour"),
        "common": make_claim(status=PUBLISHED, text="Civilians killed in Aleppo, civilians fled."),
        "common2": make_claim(status=PUBLISHED, text="Civilians were killed."),
        "draft": make_claim(text="Civilians in a draft about Idlib إدلب."),
    }
    make_citation(claims["common2"], make_source(title="Transitions Online dispatch"))
    make_citation(claims["place"], make_source(title="Secret ledger", restricted=True))
    return claims


def found(query, limit=50):
    return [Claim.objects.get(pk=pk).slug for pk in search.ranked_ids(query, limit)]


def slugs(corpus, *names):
    return [corpus[name].slug for name in names]


def test_arabic_without_hamza_finds_arabic_with_it(corpus):
    assert found("ادلب") == slugs(corpus, "idlib")
    assert found("إدلب") == slugs(corpus, "idlib")
    assert found("مدينه") == slugs(corpus, "idlib")  # ة -> ه


def test_russian_without_yo_finds_yo(corpus):
    assert found("елкой") == slugs(corpus, "yolka")
    assert found("ЁЛКОЙ") == slugs(corpus, "yolka")
    assert found("елк") == slugs(corpus, "yolka")  # the last word is a prefix


def test_speaker_place_and_source_titles_are_searched(corpus):
    assert found("SNHR") == slugs(corpus, "idlib")
    assert found("syrian network") == slugs(corpus, "idlib")
    assert found("deir zour") == slugs(corpus, "place")
    assert found("transitions online") == slugs(corpus, "common2")
    assert found("ledger") == []  # restricted sources are not indexed


def test_ranked_and_drafts_never_found(corpus):
    hits = found("civilians")
    assert set(hits) == set(slugs(corpus, "common", "common2"))
    assert hits[0] == corpus["common"].slug  # the word twice ranks first
    assert corpus["draft"].slug not in found("idlib")


def test_ranking_is_bounded(corpus):
    assert len(found("civilians", limit=1)) == 1


@pytest.mark.parametrize(
    "query", ['"', "NEAR(", '"unbalanced', "a* OR", "AND", "-", "()", "'; DROP", "\\", "*"]
)
def test_syntax_characters_are_harmless(corpus, query):
    search.ranked_ids(query, 10)
    list(search.matching(Claim.objects.all(), query))


def test_index_follows_edits(corpus):
    claim = corpus["place"]
    claim.text = "Now about Palmyra."
    claim.correction_note = "It was about Palmyra."
    claim.save()
    assert found("palmyra") == [claim.slug]
    source = corpus["common2"].citations.get().source
    source.title = "Renamed bulletin"
    source.save()
    assert found("bulletin") == [corpus["common2"].slug]
    assert found("transitions") == []
    speaker = corpus["idlib"].speaker
    speaker.name = "Renamed Monitor"
    speaker.save()
    assert found("monitor") == [corpus["idlib"].slug]
    corpus["common2"].citations.all().delete()
    assert found("bulletin") == []
    corpus["idlib"].delete()
    assert found("ادلب") == []


def test_search_page(client, corpus):
    response = client.get(reverse("claims:search"), {"q": "ادلب"})
    html = response.content.decode()
    assert "<mark>إدلب</mark>" in html
    assert 'lang="ar" dir="rtl"' in html
    response = client.get(reverse("claims:search"), {"q": "!!!"})
    assert "has no words to look for" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 triggers are SQLite's")
def test_sqlite_triggers_survive_every_migration(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
    assert set(sqlite_search.TRIGGERS) <= triggers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_postgresql_search_uses_the_gin_index(corpus):
    query = search.matching(Claim.objects.all(), "civilians").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        # Whatever the planner knows of the table by then, a plan without
        # sequential or B-tree scans must be able to read the GIN index.
        cursor.execute("ANALYZE claims_claim")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "claims_claim_search_vector" in plan
