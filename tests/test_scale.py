"""What keeps pages fast on a large database, checked on a small one: the
queries the list, search and home pages send, and the order they give."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import limits, search
from claims.models import Claim, Correction

from .factories import (
    make_citation,
    make_claim,
    make_rebuttal,
    make_source,
    make_speaker,
    make_topic,
    published,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def sql_of(client, url):
    """The queries of a page, without PostgreSQL's plan-mode switches
    (claims.db), which hold no data."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if "plan_cache_mode" not in q["sql"]]


def test_the_list_counts_ids_only_never_the_row_annotations(client):
    claim = published()
    make_rebuttal(claim, published())
    counts = [sql for sql in sql_of(client, "/claims/") if sql.upper().startswith("SELECT COUNT")]
    assert len(counts) == 1
    assert "claims_rebuttal" not in counts[0]
    assert "LIMIT 10001" in counts[0]


def test_a_date_range_narrows_on_the_indexed_sort_date(client):
    inside = published(said_on=D(2016, 2, 1), said_on_precision="month")
    published(said_on=D(2015, 12, 31))
    published(said_on=D(2016, 4, 1))
    published(said_on=None, said_qualifier=Claim.DateQualifier.NOT_STATED)
    queryset = Claim.objects.published().said_within(D(2016, 1, 1), D(2016, 3, 31))
    assert list(queryset) == [inside]
    sql = str(queryset.query)
    assert '"claims_claim"."said_sort" >= 2016-01-01' in sql
    assert '"claims_claim"."said_sort" <= 2016-03-31' in sql
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            compiled, params = queryset.order_by("-said_sort", "-id").query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", params)
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "claims_list_by_date (status=? AND said_sort>? AND said_sort<?)" in plan


def test_an_organisation_filter_tests_speakers_in_the_date_index(client):
    """A large organisation with a topic: the list walks its date index and
    tests each claim's speakers there; the row is read only for a match."""
    body = make_speaker(name="Ministry", slug="ministry", kind="organisation")
    member = make_speaker(name="Spokesman", slug="spokesman")
    member.organisations.add(body)
    said = published(speaker=member, text="The ministry's spokesman said so.")
    published(text="Someone else said otherwise.")
    html = client.get("/claims/?organisation=ministry").content.decode()
    assert "spokesman said so" in html and "said otherwise" not in html
    queryset = Claim.objects.published().by_organisation(body).order_by("-said_sort", "-id")
    assert list(queryset) == [said]
    with connection.cursor() as cursor:
        index = connection.introspection.get_constraints(cursor, Claim._meta.db_table)[
            "claims_list_by_date"
        ]
    assert index["columns"] == ["status", "said_sort", "id", "speaker_id", "speaking_for_id"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            compiled, params = queryset.values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", params)
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "INDEX claims_list_by_date (status=?)" in plan, plan


def test_sorted_by_speaker_each_speakers_claims_come_newest_first(client):
    amal, boris = make_speaker(name="Amal"), make_speaker(name="Boris")
    old = published(speaker=boris, said_on=D(2015, 1, 1), text="Boris, earlier.")
    new = published(speaker=boris, said_on=D(2017, 1, 1), text="Boris, later.")
    first = published(speaker=amal, said_on=D(2014, 1, 1), text="Amal.")
    html = client.get("/claims/?sort=speaker").content.decode()
    order = [html.index(claim.text) for claim in (first, new, old)]
    assert order == sorted(order)
    html = client.get("/claims/?sort=-speaker").content.decode()
    order = [html.index(claim.text) for claim in (old, new, first)]
    assert order == sorted(order)


def test_ranking_is_bounded_to_the_newest_matches(client, monkeypatch):
    monkeypatch.setattr(limits, "RANK_WINDOW", 3)
    monkeypatch.setattr("claims.views.SEARCH_LIMIT", 2)
    claims = [published(text=f"Shelling reported, case {n}.") for n in range(5)]
    found = search.ranked_ids("shelling", 10)
    assert sorted(found) == sorted(c.pk for c in claims[-3:])
    html = client.get(reverse("claims:search"), {"q": "shelling"}).content.decode()
    assert "the best 2 of the newest 3 matches are shown" in html


def test_deep_pages_stop_at_the_bound_with_a_message(client, settings):
    from claims.tables import BoundedPaginator

    for n in range(6):
        published(text=f"Claim {n}.")
    BoundedPaginator.max_rows, saved = 4, BoundedPaginator.max_rows
    try:
        response = client.get("/claims/", {"per_page": 25, "page": 99})
    finally:
        BoundedPaginator.max_rows = saved
    assert response.status_code == 200
    html = response.content.decode()
    assert "more than 4" in html.lower() or "More than 4" in html


def test_a_list_page_reads_its_ids_first_then_only_those_rows(client):
    claims = [published(text=f"Claim {n}.") for n in range(30)]
    make_rebuttal(claims[0], claims[1])
    queries = sql_of(client, "/claims/?per_page=25&page=2")
    ids, rows = queries[-2:]
    # The ordered walk selects ids alone: no counterclaim counts for skipped rows.
    assert "claims_rebuttal" not in ids and "OFFSET 25" in ids
    # The rows are then read by id, without the filters or the offset.
    assert "claims_rebuttal" in rows and "OFFSET" not in rows and " IN (" in rows
    assert "search_document" not in rows  # only what a row shows


def test_list_queries_do_not_grow_with_the_page_or_the_data(client):
    counts = []
    for total in (3, 60):
        while Claim.objects.count() < total:
            claim = published()
            make_rebuttal(claim, published())
        for url in ("/claims/?page=2&per_page=25", "/claims/?page=1"):
            cache.clear()  # the count is kept: measure a first visit
            counts.append(len(sql_of(client, url)))
    assert len(set(counts)) == 1, counts


def test_the_count_is_kept_per_filter_and_dated(client):
    speaker = make_speaker(name="Counted Speaker", slug="counted")
    for _ in range(3):
        published(speaker=speaker)
    published()
    first = sql_of(client, "/claims/?speaker=counted")
    assert any(sql.startswith("SELECT COUNT") for sql in first)
    # Sorted or paged otherwise, the same filters reuse the count ...
    again = sql_of(client, "/claims/?speaker=counted&sort=said&per_page=25")
    assert not any(sql.startswith("SELECT COUNT") for sql in again)
    html = client.get("/claims/?speaker=counted").content.decode()
    assert "3 claims match" in html and "Counted <time" in html
    # ... other filters are counted on their own.
    assert "4 claims match" in client.get("/claims/").content.decode()


def test_only_the_speaker_sort_asks_for_a_speaker(client):
    published()

    def ids_query(url):
        (found,) = [
            sql
            for sql in sql_of(client, url)
            if sql.startswith('SELECT "claims_claim"."id" AS "pk"') and "ORDER BY" in sql
        ]
        return found

    assert "speaker_id" not in ids_query("/claims/")  # deep pages walk the date index alone
    assert '"claims_claim"."speaker_id" IS NOT NULL' in ids_query("/claims/?sort=speaker")


def test_a_speaker_page_is_bounded_and_its_summary_dated(client, monkeypatch):
    from claims.tables import BoundedPaginator

    monkeypatch.setattr(BoundedPaginator, "max_rows", 30)
    speaker = make_speaker(name="Busy Speaker", slug="busy")
    claims = [published(speaker=speaker, text=f"Statement {n}.") for n in range(40)]
    answer = published(text="An answer to the busy speaker.")
    make_rebuttal(claims[0], answer)
    url = reverse("claims:speaker_detail", args=["busy"])
    first = sql_of(client, url)
    html = client.get(url).content.decode()
    assert "Pages stop after 30 statements" in html
    assert "counted <time" in html and "An answer to the busy speaker." in html
    assert "Pages counted <time" in html
    # The counts by assessment and of members, the two pairing selections and
    # the count of statements are made once.
    assert len(sql_of(client, url + "?page=2")) == len(first) - 5
    # The cached summary lists ids only: a claim unpublished since is not shown.
    Claim.objects.filter(pk=answer.pk).update(status=Claim.Status.DRAFT)
    assert "An answer to the busy speaker." not in client.get(url).content.decode()


def test_speaker_page_queries_do_not_grow_with_the_speaker(client):
    speaker = make_speaker(name="Growing Speaker", slug="growing")
    counts = []
    for total in (2, 40):
        while Claim.objects.filter(speaker=speaker).count() < total:
            make_rebuttal(published(speaker=speaker), published())
        cache.clear()
        counts.append(len(sql_of(client, reverse("claims:speaker_detail", args=["growing"]))))
    assert counts[0] == counts[1], counts


def test_downloads_read_a_few_queries_per_chunk_never_per_row(client, monkeypatch):
    from claims import exports

    topic, accused = make_topic(), make_speaker(name="Accused Party")
    counts = []
    for total in (3, 30):
        while Claim.objects.count() < total:
            claim = published()
            claim.topics.add(topic)
            claim.accused.add(accused)
        for fmt in ("csv", "json"):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/claims/", {"_export": fmt})
                body = b"".join(response.streaming_content).decode()
            assert body.count("Accused Party") == total
            counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    # A chunk at a time from one query of the claims, then for each chunk
    # the names of its topics and accused parties in one more.
    monkeypatch.setattr(exports, "CHUNK", 10)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        b"".join(client.get("/claims/", {"_export": "csv"}).streaming_content)
    assert len(queries) == counts[0] + 2 * 1


def test_an_organisation_page_names_a_bounded_number_of_members(client, monkeypatch):
    monkeypatch.setattr("claims.selectors.MEMBERS", 3)
    body = make_speaker(name="Big Body", slug="big-body", kind="government")
    for n in range(5):
        member = make_speaker(name=f"Member {n}")
        member.organisations.add(body)
        published(speaker=member)
    make_speaker(name="Member 0 in a draft").organisations.add(body)  # unseen, uncounted
    html = client.get(reverse("claims:speaker_detail", args=["big-body"])).content.decode()
    named = html.split("<h2>")[0]
    assert "Member 2" in named and "Member 3" not in named
    assert "and 2 more" in html
    assert "in a draft" not in html
    # The kept summary holds ids: a member unpublished since is not named.
    Claim.objects.filter(speaker__name="Member 1").update(status=Claim.Status.DRAFT)
    html = client.get(reverse("claims:speaker_detail", args=["big-body"])).content.decode()
    assert "Member 0" in html and "Member 1" not in html


def test_a_word_that_fills_the_rank_window_is_not_also_read_as_a_prefix(client, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("FTS5's cost; PostgreSQL reads a prefix from its index")
    monkeypatch.setattr(limits, "RANK_WINDOW", 3)
    whole = [published(text=f"Shell fire, case {n}.") for n in range(2)]
    longer = published(text="Shelling reported.")
    # Two whole-word matches do not fill the window: the word is also a prefix.
    assert sorted(search.ranked_ids("shell", 10)) == sorted(c.pk for c in [*whole, longer])
    make_claim(text="A draft about shell fire.")  # drafts do not fill the window
    assert longer.pk in search.ranked_ids("shell", 10)
    whole.append(published(text="Shell fire again."))
    # Three do: the newest three whole-word matches are ranked, and the page
    # and the list's word filter say and do the same.
    assert sorted(search.ranked_ids("shell", 10)) == sorted(c.pk for c in whole)
    matched = search.matching(Claim.objects.published(), "shell")
    assert sorted(matched.values_list("pk", flat=True)) == sorted(c.pk for c in whole)
    html = client.get(reverse("claims:search"), {"q": "shell"}).content.decode()
    assert "matched whole" in html and "Shelling reported." not in html
    # Such a word is ranked once: the ranking says the window is full (one
    # query), and the page reads the rows it shows (another).
    assert len(sql_of(client, reverse("claims:search") + "?q=shell")) == 2


def test_a_kept_count_that_no_longer_fits_the_rows_is_made_again(client):
    speaker = make_speaker(name="Counted Again", slug="again")
    oldest = published(speaker=speaker, text="The oldest statement.", said_on=D(2016, 2, 1))
    url = "/claims/?speaker=again&per_page=25"
    assert "1 claim matches" in client.get(url).content.decode()
    published(speaker=speaker, text="The second statement.", said_on=D(2016, 2, 2))
    # A claim published since the count was kept: shown, and counted.
    html = client.get(url).content.decode()
    assert "The second statement." in html and "2 claims match" in html
    for n in range(24):
        published(speaker=speaker, text=f"Statement {n}.")
    # The oldest is pushed onto a second page, which exists.
    html = client.get(url + "&page=2").content.decode()
    assert "The oldest statement." in html and "26 claims match" in html
    # A claim unpublished since: the count follows.
    Claim.objects.filter(pk=oldest.pk).update(status=Claim.Status.DRAFT)
    html = client.get(url + "&page=2").content.decode()
    assert "25 claims match" in html and "The oldest statement." not in html


def test_each_row_cell_is_labelled_as_its_column(client):
    import re

    published(speaker=make_speaker(name="Labelled"), text="A labelled claim.")
    html = client.get("/claims/").content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', html)
    labels = re.findall(r'<td data-label="([^"]+)"', html)
    assert [h.strip() for h in headers] == labels


def test_the_filter_fields_are_kept_by_query_string_and_never_with_errors(client):
    published(text="Alpha statement.")
    first = client.get("/claims/?q=alpha").content.decode()
    assert 'value="alpha"' in first
    # Kept by the query string: another query string gets its own fields.
    assert 'value="beta"' in client.get("/claims/?q=beta").content.decode()
    assert client.get("/claims/?q=alpha").content.decode().count('value="alpha"') == 1
    # An error names what the database holds, so that form is made each time.
    missing = "/claims/?speaker=nobody-yet"
    assert "No speaker is called" in client.get(missing).content.decode()
    published(speaker=make_speaker(name="Nobody Yet", slug="nobody-yet"))
    html = client.get(missing).content.decode()
    assert "No speaker is called" not in html and 'value="nobody-yet"' in html


@pytest.mark.parametrize(
    "name", ["claims:claim_detail", "claims:speaker_detail", "claims:source_detail"]
)
def test_slug_addresses_are_those_reverse_gives_under_any_prefix(name):
    from django.urls import get_script_prefix, set_script_prefix

    from claims.routes import slug_url

    before = get_script_prefix()
    try:
        for prefix in ("/", "/counterclaim/"):
            set_script_prefix(prefix)
            for slug in ("claim-17", "a_b-9"):
                assert slug_url(name, slug) == reverse(name, args=[slug])
            assert slug_url(name, "x").startswith(prefix)
    finally:
        set_script_prefix(before)


def test_linked_names_come_in_the_databases_order(client):
    from claims.exports import linked_names
    from claims.models import Topic, links_of

    claim, other = published(), published()
    for name in ("zeta", "Alpha", "al-Qaeda", "Zelensky", "émigré"):
        claim.topics.add(make_topic(name=name))
    other.topics.add(Topic.objects.get(name="zeta"))
    expected = list(claim.topics.order_by("name", "pk").values_list("name", flat=True))
    found = linked_names([claim.pk, other.pk])
    assert found["topics"] == {claim.pk: expected, other.pk: ["zeta"]}
    assert found["accused"] == {}
    slugs = [t.slug for t in links_of("topics", [claim.pk], order_by=["slug"])[claim.pk]]
    assert slugs == list(claim.topics.order_by("slug").values_list("slug", flat=True))
    assert links_of("accused", [claim.pk], order_by=["name"]) == {}


def test_statements_are_counted_by_assessment_from_an_index_alone(client):
    """A speaker's page counts its statements by assessment; at a million
    claims the rows are not read for it (392 -> 40 ms for 131,293)."""
    body = make_speaker(name="Agency", slug="agency", kind="organisation")
    person = make_speaker(name="Official", slug="official")
    person.organisations.add(body)
    published(speaker=person, assessment=Claim.Assessment.CONTESTED)
    published(speaking_for=body, speaker=make_speaker(), assessment=Claim.Assessment.REFUTED)
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Claim._meta.db_table)
    assert indexes["claims_list_speaker"]["columns"][-1] == "assessment"
    assert indexes["claims_list_assessment"]["columns"][-2:] == ["speaker_id", "speaking_for_id"]
    html = client.get(reverse("claims:speaker_detail", args=["agency"])).content.decode()
    assert "<td>1</td>" in html  # one contested, one refuted
    if connection.vendor == "sqlite":
        for statements in (
            Claim.objects.published().by_speaker(person),
            Claim.objects.published().by_organisation(body),
        ):
            counts = statements.order_by().values_list("assessment").annotate(n=Count("pk"))
            compiled, params = counts.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {compiled}", params)
                plan = " ".join(row[-1] for row in cursor.fetchall())
            assert "USING COVERING INDEX claims_list_" in plan, plan


# Statistics as ANALYZE wrote them for the benchmark's million claims, where
# no figure is attributed to anyone.
MILLION_CLAIMS_STATISTICS = [
    ("claims_claim", "claims_list_assessment", "1000000 250000 41667 18 1 1 1"),
    ("claims_claim", "claims_list_speaker", "1000000 250000 70 2 1 1"),
    ("claims_claim", "claims_list_by_date", "1000000 250000 52 1 1 1"),
    ("claims_claim", "claims_claim_speaking_for_id_b09f85c7", "1000000 2184"),
    ("claims_claim", "claims_claim_speaker_id_e031226b", "1000000 200"),
    ("claims_claim", "sqlite_autoindex_claims_claim_1", "1000000 1"),
    ("claims_figure", "claims_figure_measure_id_7d006041", "800412 133402"),
    ("claims_figure", "claims_figure_claim_id_e87e5dc0", "800412 2"),
    ("claims_figure", "sqlite_autoindex_claims_figure_1", "800412 2 1"),
    ("claims_citation", "claims_citation_source_id_58f3bd82", "1799759 36"),
    ("claims_citation", "claims_citation_claim_id_2fd46a6a", "1799759 2"),
    ("claims_citation", "sqlite_autoindex_claims_citation_1", "1799759 2 1 1 1"),
    ("claims_source", "claims_source_publisher_id_ac6e3c33", "50000 302"),
    ("claims_source", "sqlite_autoindex_claims_source_1", "50000 1"),
]


def test_whether_a_speaker_is_public_never_reads_every_figure():
    """SQLite's statistics of a full index over a column that is NULL in
    every row say a lookup matches every figure: it scanned all 800,000 of
    them (350 ms) to decide whether a speaker is public."""
    from claims.models import Speaker

    accused = make_speaker(name="Accused only")
    published().accused.add(accused)
    queryset = Speaker.objects.public().filter(pk=accused.pk)
    assert list(queryset) == [accused]
    if connection.vendor == "sqlite":
        assert_no_figure_scan(queryset)


def assert_no_figure_scan(queryset):
    compiled, params = queryset.query.sql_with_params()
    plan = plan_at_a_million(compiled, params)
    assert "SCAN f" not in plan, plan
    assert "SEARCH f USING INDEX claims_figure_attributed_to (attributed_to_id=?)" in plan, plan


def plan_at_a_million(sql, params=()):
    """The lines of SQLite's plan for `sql` with the statistics of the
    benchmark's million claims (tables absent from them, like corrections,
    have none, as on a site where nobody has run ANALYZE since)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
        before = cursor.fetchall()

        def use_statistics(rows):
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.executemany("INSERT INTO sqlite_stat1 VALUES (%s, %s, %s)", rows)
            cursor.execute("ANALYZE sqlite_schema")  # the planner reads them again

        use_statistics(MILLION_CLAIMS_STATISTICS)
        try:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return [row[-1] for row in cursor.fetchall()]
        finally:
            use_statistics(before)  # for the tests after this one


def page_plans_at_a_million(client, url):
    """Each query of a page, with its plan at a million claims."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [(q["sql"], plan_at_a_million(q["sql"])) for q in queries]


sqlite_plans = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")


@sqlite_plans
def test_the_feed_reads_the_newest_published_claims_from_an_index(client):
    """Without it, the feed sorted every published claim: 1.6 s a request."""
    published(first_published_at=datetime.datetime(2016, 2, 10, tzinfo=datetime.UTC))
    ((sql, plan),) = page_plans_at_a_million(client, reverse("claims:feed"))
    assert any("claims_newly_published" in line for line in plan), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan


@sqlite_plans
def test_a_source_page_reads_its_own_citations_not_every_published_claim(client):
    """ "Cited by a claim in the published claims" gathered all of them first:
    1.2 s a source page."""

    source = make_source(title="Report")
    make_citation(published(text="Cites the report."), source)
    pages = page_plans_at_a_million(client, reverse("claims:source_detail", args=[source.slug]))
    citations = [plan for sql, plan in pages if 'FROM "claims_citation"' in sql]
    assert citations
    for plan in citations:
        assert not any("LIST SUBQUERY" in line for line in plan), plan
        assert any("claims_citation_source_id" in line for line in plan), plan


def test_corrections_are_tested_one_by_one_never_joined_to_every_claim(client):
    """Joined to claims, with no statistics for corrections (none made yet),
    SQLite read every published claim to look for its corrections: 50 ms a
    request for an empty log. Each correction's claim is looked up instead."""
    correction = Correction.objects.create(claim=published(), note="A date was wrong.")
    Correction.objects.create(claim=make_claim(), note="Of a draft.")
    assert list(Correction.objects.public()) == [correction]
    sql = str(Correction.objects.public().query)
    assert "JOIN" not in sql and "EXISTS" in sql, sql
    for url in ("claims:corrections", "claims:corrections_feed"):
        assert "A date was wrong." in client.get(reverse(url)).content.decode()


def test_downloads_stream_a_few_hundred_rows_a_piece(client):
    from claims.exports import joined

    assert list(joined(["a"] * 450, size=200)) == ["a" * 200, "a" * 200, "a" * 50]
    assert list(joined([])) == []
    speaker = make_speaker(name="Streamed", slug="streamed")
    for n in range(30):
        published(speaker=speaker, text=f"Row {n}.")
    for fmt in ("csv", "json"):
        response = client.get("/claims/", {"speaker": "streamed", "_export": fmt})
        pieces = list(response.streaming_content)
        body = b"".join(pieces).decode("utf-8-sig")
        assert all(f"Row {n}." in body for n in range(30))
        assert len(pieces) <= 2, fmt  # not one piece per row


def test_the_sitemap_index_only_counts(client):
    """Django's index asks each section for its latest change, which read
    every published claim: 12 s at a million."""
    published()
    queries = sql_of(client, reverse("sitemap"))
    assert queries and all(sql.upper().startswith("SELECT COUNT") for sql in queries), queries


def test_the_speakers_list_counts_statements_of_the_speakers_shown_only(client):
    """Grouping every claim by speaker, for the count of pages and again for
    the page, took 0.4 s at a million claims; now whether a speaker has a
    published statement is asked of each, and statements are counted for
    the page's speakers alone."""
    speakers = [make_speaker(name=f"Speaker {n:02d}") for n in range(55)]
    for speaker in speakers:
        published(speaker=speaker)
    published(speaker=speakers[-1])
    make_claim(speaker=speakers[-1])  # a draft is not counted
    make_claim(speaker=make_speaker(name="Speaker of drafts only"))
    queries = sql_of(client, reverse("claims:speaker_list") + "?page=2")
    assert not any("HAVING" in sql for sql in queries), queries
    # The page's speakers are chosen first (one more, to check the kept
    # count), without counting statements; then statements are counted for
    # those five alone.
    (chosen,) = [sql for sql in queries if "OFFSET 50" in sql]
    assert "LIMIT 51 OFFSET 50" in chosen and "COUNT(" not in chosen, chosen
    counting = [sql for sql in queries if '"claims_speaker"."id" IN (' in sql]
    assert len(counting) == 1 and "COUNT(" in counting[0], queries
    page = client.get(reverse("claims:speaker_list"), {"page": 2}).context["page"]
    assert [(s.name, s.published_count) for s in page.object_list] == [
        (f"Speaker {n:02d}", 1) for n in range(50, 54)
    ] + [("Speaker 54", 2)]
    assert page.paginator.count == 55


def test_the_speakers_list_keeps_its_count_and_follows_a_new_speaker(client):
    """Asking each of 5,000 speakers whether they have spoken took 15 ms on
    PostgreSQL: the count is kept per name and kind, like the list's, and
    made again when the rows no longer fit it."""
    for n in range(50):
        published(speaker=make_speaker(name=f"Speaker {n:02d}"))
    url = reverse("claims:speaker_list")
    assert any(sql.startswith("SELECT COUNT") for sql in sql_of(client, url))
    again = sql_of(client, url + "?page=1")
    assert not any(sql.startswith("SELECT COUNT") for sql in again), again
    html = client.get(url).content.decode()
    assert "Pages counted" not in html  # one page: nothing to say
    # Someone speaks for the first time: the second page they make is there.
    published(speaker=make_speaker(name="Speaker 99"))
    page = client.get(url, {"page": 2}).context["page"]
    assert [s.name for s in page.object_list] == ["Speaker 99"]
    assert page.paginator.count == 51
    assert "Pages counted <time" in client.get(url, {"page": 2}).content.decode()
    # A name or a kind is counted on its own; a kind that is none is no kind.
    page = client.get(url, {"q": "Speaker 0"}).context["page"]
    assert page.paginator.count == 10
    published(speaker=make_speaker(name="Speaker Org", kind="ngo"))
    assert client.get(url, {"kind": "ngo"}).context["page"].paginator.count == 1
    assert not any(sql.startswith("SELECT COUNT") for sql in sql_of(client, url + "?kind=alien"))
    # A page beyond the kept count is looked for again: the new speaker's.
    page = client.get(url, {"page": 2}).context["page"]
    assert page.number == 2 and page.paginator.count == 52
    assert client.get(url, {"page": 999}).context["page"].number == 2


def test_the_speakers_list_stops_at_the_bound_and_says_so(client, monkeypatch):
    from claims.tables import BoundedPaginator

    monkeypatch.setattr(BoundedPaginator, "max_rows", 60)
    for n in range(61):
        published(speaker=make_speaker(name=f"Speaker {n:02d}"))
    url = reverse("claims:speaker_list")
    html = client.get(url, {"page": 2}).content.decode()
    assert "Pages stop after 60 speakers: narrow them by name or kind." in html
    assert "Speaker 59" in html and "Speaker 60" not in html
    assert "Speaker 60" in client.get(url, {"q": "Speaker 6"}).content.decode()


def test_the_list_filters_know_only_speakers_a_reader_may_see(client):
    """As in the suggestions: someone named only in drafts is not found, so
    the answer does not tell that the drafts name them."""
    hidden = make_speaker(name="Unpublished Source Person", slug="unpublished-person")
    make_claim(speaker=hidden)
    for value in ("unpublished-person", "Unpublished Source Person"):
        html = client.get("/claims/", {"speaker": value}).content.decode()
        assert "No speaker is called" in html, value
    body = make_speaker(name="Unpublished Body", slug="unpublished-body", kind="ngo")
    make_claim(speaker=hidden, speaking_for=body)
    html = client.get("/claims/", {"organisation": "unpublished-body"}).content.decode()
    assert "No organisation is called" in html


@sqlite_plans
def test_a_list_narrowed_to_a_common_word_walks_its_own_order(client, monkeypatch):
    """Gathering every match of a word in most claims and sorting them took
    0.4 s at a million; for a word that common the list asks of each claim
    in its order whether it matches. A rare word is still gathered first:
    asked of every claim it would take seconds. (Asking is made cheap here,
    so that four matches in six claims count as common.)"""
    monkeypatch.setattr(limits, "WALK_US", 0.01)
    for day in range(1, 5):
        published(text=f"Shelling reported on day {day}.", said_on=D(2016, 2, day))
    published(text="A unique ceasefire.", said_on=D(2016, 2, 9))
    published(text="Nothing of the kind.", said_on=D(2016, 2, 10))

    def listed(**params):
        response = client.get(reverse("claims:claim_list"), params)
        return [claim.text for claim in response.context["table"].page.object_list]

    for word, form in (
        ("shelling", "EXISTS (SELECT 1 FROM claims_claim_fts"),
        ("ceasefire", "IN (SELECT rowid"),
    ):
        ids = [
            sql
            for sql in sql_of(client, f"/claims/?q={word}")
            if sql.startswith('SELECT "claims_claim"."id" AS "pk"')
        ]
        assert len(ids) == 1 and form in ids[0], ids
    assert listed(q="shelling") == [f"Shelling reported on day {day}." for day in (4, 3, 2, 1)]
    assert listed(q="shelling", sort="said") == [
        f"Shelling reported on day {day}." for day in (1, 2, 3, 4)
    ]
    assert listed(q="ceasefire") == ["A unique ceasefire."]
    assert listed(q="shell") == listed(q="shelling")  # the last word is still a prefix
    # Inside another query, where the claims table goes by another name.
    common = search.matching(Claim.objects.published(), "shelling")
    inner = Claim.objects.filter(pk__in=common.order_by("pk").values("pk")[:10])
    assert sorted(claim.text for claim in inner) == sorted(listed(q="shelling"))


@sqlite_plans
def test_a_word_in_some_claims_is_walked_for_a_first_page_and_gathered_deeper(client, monkeypatch):
    """A word in 5% of a million claims: walked, its list's count asked 200,000
    claims (4.8 s) and page 150 asked 150,000 (3.4 s); gathered, 10 and 61 ms.
    The count always gathers; a page walks while it would ask fewer claims
    than gathering costs. Asking is priced here so that 30 matches in 32
    claims are walked for 26 rows and gathered for 51."""
    monkeypatch.setattr(limits, "WALK_US", 0.7)
    for n in range(30):
        published(text=f"Shelling number {n}.", said_on=D(2016, 1, 1) + datetime.timedelta(n))
    published(text="A ceasefire.")
    published(text="Another ceasefire.")

    def pieces(url):
        queries = sql_of(client, url)
        counts = [sql for sql in queries if sql.startswith("SELECT COUNT(*) FROM (")]
        ids = [sql for sql in queries if sql.startswith('SELECT "claims_claim"."id" AS "pk"')]
        return counts, ids

    walked = "EXISTS (SELECT 1 FROM claims_claim_fts"
    gathered = '"claims_claim"."id" IN (SELECT rowid FROM claims_claim_fts'
    counts, ids = pieces("/claims/?q=shelling&per_page=25")
    assert len(counts) == 1 and gathered in counts[0], counts
    assert len(ids) == 1 and walked in ids[0], ids
    counts, ids = pieces("/claims/?q=shelling&per_page=25&page=2")
    assert not counts and gathered in ids[0], ids  # the count is kept
    # The same rows either way, in the list's order.
    response = client.get("/claims/", {"q": "shelling", "per_page": 25, "page": 2})
    texts = [claim.text for claim in response.context["table"].page.object_list]
    assert texts == [f"Shelling number {n}." for n in (4, 3, 2, 1, 0)]
    # A download reads every row: gathered.
    csv = client.get("/claims/", {"q": "shelling", "_export": "csv"})
    assert b"Shelling number 29." in b"".join(csv.streaming_content)


@sqlite_plans
def test_sorted_by_assessment_each_assessments_claims_come_newest_first(client):
    """In the order of the assessment index: sorted by assessment and id,
    every published claim was sorted for each page (34 ms at a million)."""
    older = published(assessment=Claim.Assessment.REFUTED, said_on=D(2015, 1, 1))
    newer = published(assessment=Claim.Assessment.REFUTED, said_on=D(2017, 1, 1))
    other = published(assessment=Claim.Assessment.CONTESTED, said_on=D(2016, 1, 1))
    response = client.get(reverse("claims:claim_list"), {"sort": "assessment"})
    rows = list(response.context["table"].page.object_list)
    assert rows == sorted(
        [older, newer, other], key=lambda c: (c.assessment, -c.said_sort.toordinal())
    )
    ids = [sql for sql in sql_of(client, "/claims/?sort=assessment") if '"id" AS "pk"' in sql]
    plan = plan_at_a_million(ids[0])
    assert any("claims_list_assessment" in line for line in plan), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan
