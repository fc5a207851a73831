"""Which pages are measured: the values each page asks for, read from the data
(the busiest speaker, a date range, words of each kind, ...), and each page's
address, floor SQL and Datasette equivalent."""

import datetime
import re
import urllib.parse
from collections import defaultdict

from claims.dates import FuzzyDate, Precision
from claims.limits import DEFAULT_PAGE_SIZE, LIST_MAX_ROWS, SEARCH_PAGE_SIZE, SPEAKER_PAGE_SIZE

from . import DATASETTE_DB
from .floor import (
    IN_UNIT,
    UNIT,
    claim_floor,
    export_floor,
    list_floor,
    search_floor,
    speaker_floor,
    within,
)

DEEP_ROW = 250_000  # the deepest row a list page is asked for
LATIN_WORD = re.compile(r"[a-z]{6,}")
ARABIC_WORD = re.compile(r"[\u0621-\u064a]{4,}")
COMMON_WORD = re.compile(r"[^\W\d_]{3,}")


def vocabulary(database, cursor):
    """(word, documents) for every indexed word."""
    if database.engine == "sqlite":
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.claims_vocabulary "
            "USING fts5vocab(main, 'claims_claim_fts', 'row')"
        )
        cursor.execute("SELECT term, doc FROM temp.claims_vocabulary")
    else:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT to_tsvector(''simple''::regconfig, "
            "COALESCE(search_document, '''')) FROM claims_claim')"
        )
    return cursor.fetchall()


def prefix_documents(words, word):
    """Search takes the last word as a prefix: what it matches, at most."""
    return sum(count for term, count in words if term.startswith(word))


def pick_words(database, cursor):
    words = vocabulary(database, cursor)
    latin = [(t, n) for t, n in words if LATIN_WORD.fullmatch(t)]
    rare = min(latin, key=lambda row: (prefix_documents(latin, row[0]), row[0]))
    common = max(
        ((t, n) for t, n in words if COMMON_WORD.fullmatch(t)), key=lambda row: (row[1], row[0])
    )
    arabic = [(t, n) for t, n in words if ARABIC_WORD.fullmatch(t)]
    picked = {
        "rare_word": rare[0],
        "rare_word_documents": prefix_documents(latin, rare[0]),
        "common_word": common[0],
        "common_word_documents": common[1],
    }
    if arabic:
        word = max(arabic, key=lambda row: (row[1], row[0]))
        picked["arabic_word"], picked["arabic_word_documents"] = word
    return picked


def one(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchone()


def following(period):
    """The period of the same precision just after `period` (the month after a month)."""
    return FuzzyDate(period.end + datetime.timedelta(days=1), period.precision)


def pick_parameters(database):
    """Concrete values for each page, read from the data: the busiest speaker, the
    organisation with the most statements, its commonest topic, words of each kind."""
    q = database.placeholders
    with database.connect() as connection:
        cursor = connection.cursor()
        params = {}
        params["published"] = one(
            cursor, "SELECT COUNT(*) FROM claims_claim WHERE status = 'published'"
        )[0]
        speaker_id, slug, name, count = one(
            cursor,
            "SELECT s.id, s.slug, s.name, COUNT(*) FROM claims_claim c "
            "JOIN claims_speaker s ON s.id = c.speaker_id WHERE c.status = 'published' "
            "GROUP BY s.id, s.slug, s.name ORDER BY COUNT(*) DESC, s.id LIMIT 1",
        )
        params["speaker"] = {"id": speaker_id, "slug": slug, "name": name, "claims": count}

        # The organisation whose people (and itself) said the most.
        cursor.execute("SELECT from_speaker_id, to_speaker_id FROM claims_speaker_organisations")
        members = defaultdict(set)
        for member, body in cursor.fetchall():
            members[body].add(member)
        cursor.execute(
            "SELECT speaker_id, COUNT(*) FROM claims_claim WHERE status = 'published' "
            "AND speaker_id IS NOT NULL GROUP BY speaker_id"
        )
        said = dict(cursor.fetchall())
        cursor.execute("SELECT id FROM claims_speaker WHERE kind <> 'person'")

        def unit(organisation):
            seen, todo = {organisation}, [organisation]
            while todo:
                for member in members.get(todo.pop(), ()):
                    if member not in seen:
                        seen.add(member)
                        todo.append(member)
            return seen

        organisation = max(
            (row[0] for row in cursor.fetchall()),
            key=lambda pk: (sum(said.get(member, 0) for member in unit(pk)), -pk),
        )
        slug, name = one(
            cursor, q("SELECT slug, name FROM claims_speaker WHERE id = %s"), [organisation]
        )
        count = one(
            cursor,
            q(
                f"{UNIT}SELECT COUNT(*) FROM claims_claim c WHERE c.status = 'published' AND {IN_UNIT}"  # nosec B608 (SQL from constants here; values are parameters)
            ),
            [organisation],
        )[0]
        params["organisation"] = {
            "id": organisation,
            "slug": slug,
            "name": name,
            "claims": count,
            "members": len(unit(organisation)) - 1,
        }
        topic = one(
            cursor,
            q(
                f"{UNIT}SELECT t.id, t.slug, t.name, COUNT(*) FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
                "JOIN claims_claim_topics ct ON ct.claim_id = c.id "
                "JOIN claims_topic t ON t.id = ct.topic_id "
                f"WHERE c.status = 'published' AND {IN_UNIT} "
                "GROUP BY t.id, t.slug, t.name ORDER BY COUNT(*) DESC, t.id LIMIT 1"
            ),
            [organisation],
        )
        params["topic"] = dict(zip(["id", "slug", "name", "claims"], topic, strict=True))

        # Three months around the middle of the dated claims.
        dated = one(
            cursor,
            "SELECT COUNT(*) FROM claims_claim WHERE status = 'published' "
            "AND said_qualifier IN ('on', 'repeatedly') AND said_on IS NOT NULL",
        )[0]
        middle = one(
            cursor,
            q(
                "SELECT said_on FROM claims_claim WHERE status = 'published' "
                "AND said_qualifier IN ('on', 'repeatedly') AND said_on IS NOT NULL "
                "ORDER BY said_on LIMIT 1 OFFSET %s"
            ),
            [dated // 2],
        )[0]
        month = FuzzyDate(datetime.date.fromisoformat(str(middle)[:10]), Precision.MONTH)
        params["said_from"] = month.isoformat()
        params["said_to"] = following(following(month)).isoformat()

        # A claim with as many citations and counterclaims as any.
        pk, slug, citations, answers = one(
            cursor,
            "SELECT c.id, c.slug, "
            "(SELECT COUNT(*) FROM claims_citation ci WHERE ci.claim_id = c.id), "
            "(SELECT COUNT(*) FROM claims_rebuttal r JOIN claims_claim cc "
            " ON cc.id = r.counterclaim_id WHERE r.claim_id = c.id AND cc.status = 'published') "
            "+ (SELECT COUNT(*) FROM claims_rebuttal r JOIN claims_claim cc "
            " ON cc.id = r.claim_id WHERE r.counterclaim_id = c.id AND cc.status = 'published') "
            "AS answers FROM claims_claim c WHERE c.status = 'published' "
            "ORDER BY answers DESC, 3 DESC, c.id LIMIT 1",
        )
        params["claim"] = {"id": pk, "slug": slug, "citations": citations, "pairings": answers}
        # The public source cited most.
        params["source"] = one(
            cursor,
            "SELECT s.slug FROM claims_source s JOIN (SELECT source_id, COUNT(*) AS n "
            "FROM claims_citation GROUP BY source_id) c ON c.source_id = s.id "
            "WHERE NOT s.restricted ORDER BY c.n DESC, s.id LIMIT 1",
        )[0]
        params.update(pick_words(database, cursor))
        return params


def related_rows(claim_id):
    """Datasette's pages for what a claim page shows: the claim's row page, then
    each table of rows that names the claim, filtered to it."""
    base = f"/{DATASETTE_DB}"
    return [
        f"{base}/claims_claim/{claim_id}",
        *(
            f"{base}/{table}?{column}={claim_id}"
            for table, column in (
                ("claims_citation", "claim_id"),
                ("claims_figure", "claim_id"),
                ("claims_rebuttal", "claim_id"),
                ("claims_rebuttal", "counterclaim_id"),
                ("claims_claim_topics", "claim_id"),
                ("claims_claim_accused", "claim_id"),
                ("claims_correction", "claim_id"),
            )
        ),
    ]


def build_cases(params, engine):
    """Each page: our address, the SQL it needs, and Datasette's equivalent."""
    q = urllib.parse.quote
    speaker, organisation, topic = params["speaker"], params["organisation"], params["topic"]
    # As the list's filter reads them: from the first day of one, to the last of the other.
    start = FuzzyDate.parse(params["said_from"]).start
    end = FuzzyDate.parse(params["said_to"]).end
    deep_row = min(DEEP_ROW, max(0, params["published"] - DEFAULT_PAGE_SIZE) // 1000 * 1000)
    deep_page = deep_row // DEFAULT_PAGE_SIZE + 1
    shown_page = min(deep_page, LIST_MAX_ROWS // DEFAULT_PAGE_SIZE)
    date_where, date_params = within(start, end)
    unit_where = f"AND {IN_UNIT}"
    topic_where = "AND c.id IN (SELECT claim_id FROM claims_claim_topics WHERE topic_id = %s)"
    table = f"/{DATASETTE_DB}/claims_claim"
    newest = "status__exact=published&_sort_desc=said_sort"
    unit_sql = (
        "with recursive unit(id) as (select {pk} union select m.from_speaker_id from "  # nosec B608 (SQL from constants here; values are parameters)
        "claims_speaker_organisations m join unit on m.to_speaker_id = unit.id) select id from unit"
    ).format(pk=organisation["id"])
    in_unit = f"(speaker_id in ({unit_sql}) or speaking_for_id in ({unit_sql}))"
    by_topic = f"id in (select claim_id from claims_claim_topics where topic_id = {topic['id']})"  # nosec B608 (SQL from constants here; values are parameters)

    cases = [
        {
            "name": "list",
            "path": "/claims/",
            "floor": list_floor(),
            "datasette": f"{table}?{newest}&_size={DEFAULT_PAGE_SIZE}",
        },
        {
            "name": "list by speaker",
            "path": f"/claims/?speaker={q(speaker['slug'])}",
            "floor": list_floor("AND c.speaker_id = %s", [speaker["id"]]),
            "datasette": f"{table}?{newest}&speaker_id={speaker['id']}&_size={DEFAULT_PAGE_SIZE}",
        },
        {
            "name": "list by date range",
            "path": f"/claims/?said_from={params['said_from']}&said_to={params['said_to']}",
            "floor": list_floor(date_where, date_params),
            "datasette": f"{table}?{newest}&said_sort__gte={start}&said_sort__lte={end}"
            f"&_size={DEFAULT_PAGE_SIZE}",
            "peer_note": "Datasette: said_sort between the bounds (no date precision)",
        },
        {
            "name": "list by organisation + topic",
            "path": f"/claims/?organisation={q(organisation['slug'])}&topic={q(topic['slug'])}",
            "floor": list_floor(
                f"{unit_where} {topic_where}",
                [topic["id"]],
                prefix=UNIT,
                prefix_params=[organisation["id"]],
            ),
            "datasette": f"{table}?{newest}&_where={q(f'{in_unit} and {by_topic}')}"
            f"&_size={DEFAULT_PAGE_SIZE}",
            "peer_note": "Datasette: _where with the same recursive subquery",
        },
        {
            "name": "list sorted by date",
            "path": "/claims/?sort=said",
            "floor": list_floor(order="ORDER BY c.said_sort ASC, c.id ASC"),
            "datasette": f"{table}?status__exact=published&_sort=said_sort&_size={DEFAULT_PAGE_SIZE}",
        },
        {
            "name": "list sorted by speaker",
            "path": "/claims/?sort=speaker",
            "floor": list_floor(
                order="ORDER BY s.name ASC, c.speaker_id ASC, c.said_sort DESC, c.id DESC"
            ),
            "datasette": f"{table}?status__exact=published&_sort=speaker_id&_size={DEFAULT_PAGE_SIZE}",
            "peer_note": "Datasette sorts by speaker_id: it cannot sort by a joined name",
        },
        {
            "name": "list page 1",
            "path": "/claims/?page=1",
            "floor": list_floor(),
            "datasette": f"{table}?{newest}&_size={DEFAULT_PAGE_SIZE}",
        },
        {
            "name": "list page 20",
            "path": "/claims/?page=20",
            "floor": list_floor(offset=19 * DEFAULT_PAGE_SIZE),
            "datasette": {"walk_to": 19 * DEFAULT_PAGE_SIZE, "path": f"{table}?{newest}"},
            "peer_note": f"Datasette: the page after 19 _next hops of {DEFAULT_PAGE_SIZE}",
        },
        {
            "name": f"list {deep_row:,} rows deep",
            "path": f"/claims/?page={deep_page}",
            "floor": list_floor(offset=(shown_page - 1) * DEFAULT_PAGE_SIZE),
            "datasette": {"walk_to": deep_row, "path": f"{table}?{newest}"},
            "deep": {"row": deep_row, "page": deep_page, "shown_page": shown_page},
            "note": f"ours asks page {deep_page:,}; the list stops at {LIST_MAX_ROWS:,} rows and "
            f"shows page {shown_page} with a notice (floor: that page)",
            "peer_note": f"Datasette: the page after following _next to row {deep_row:,}",
        },
        {
            "name": "claim page",
            "path": f"/claims/{params['claim']['slug']}/",
            "floor": claim_floor(params["claim"]["id"], params["claim"]["slug"]),
            "datasette": f"{table}/{params['claim']['id']}",
            "peer_note": "Datasette: the row page",
        },
        {
            "name": "claim page, all rows",
            "path": f"/claims/{params['claim']['slug']}/",
            "floor": claim_floor(params["claim"]["id"], params["claim"]["slug"]),
            "datasette": {"all_of": related_rows(params["claim"]["id"])},
            "peer_note": "Datasette: the row page and the pages of the rows our page shows with "
            "it (citations, figures, pairings both ways, topics, accused, corrections), "
            "fetched one after another",
        },
        {
            "name": "speaker page (organisation)",
            "path": f"/speakers/{q(organisation['slug'])}/",
            "floor": speaker_floor(organisation["id"], organisation["slug"]),
            "datasette": f"{table}?{newest}&_where={q(in_unit)}&_size={SPEAKER_PAGE_SIZE}",
            "peer_note": "Datasette: the claims table filtered to the organisation and its people",
        },
    ]
    words = [("rare", params["rare_word"]), ("common", params["common_word"])]
    if params.get("arabic_word"):
        words.append(("Arabic", params["arabic_word"]))
    for kind, word in words:
        cases.append(
            {
                "name": f"search {kind} word",
                "path": f"/search/?q={q(word)}",
                "floor": search_floor(engine, word),
                "datasette": f"{table}?status__exact=published&_search={q(word)}"
                f"&_size={SEARCH_PAGE_SIZE}",
                "word": word,
                "peer_note": "Datasette: match without ranking, ordered by id, plus a full count",
            }
        )
    # The site's other public pages, with no floor: a whole page each, not
    # one query. The list narrowed to a common word and the list sorted by
    # assessment have a Datasette equivalent.
    cases += [
        {
            "name": "list by a common word",
            "path": f"/claims/?q={q(params['common_word'])}",
            "floor": None,
            "datasette": f"{table}?{newest}&_search={q(params['common_word'])}&_size={DEFAULT_PAGE_SIZE}",
            "peer_note": "Datasette: _search with the same newest-first order",
        },
    ]
    if params.get("arabic_word"):
        # A word in some of the claims (5% at a million): the list walks for
        # its first page and gathers the matches deeper.
        word = q(params["arabic_word"])
        cases += [
            {
                "name": "list by the Arabic word",
                "path": f"/claims/?q={word}",
                "floor": None,
                "datasette": f"{table}?{newest}&_search={word}&_size={DEFAULT_PAGE_SIZE}",
                "peer_note": "Datasette: _search with the same newest-first order",
            },
            {
                "name": "list by the Arabic word, page 150",
                "path": f"/claims/?q={word}&page=150",
                "floor": None,
            },
        ]
    cases += [
        {
            "name": "list sorted by assessment",
            "path": "/claims/?sort=assessment",
            "floor": None,
            "datasette": f"{table}?status__exact=published&_sort=assessment&_size={DEFAULT_PAGE_SIZE}",
        },
        {"name": "speakers list", "path": "/speakers/", "floor": None},
        {"name": "speakers list, page 40", "path": "/speakers/?page=40", "floor": None},
        {
            "name": "source page (most cited)",
            "path": f"/sources/{q(params['source'])}/",
            "floor": None,
        },
        {"name": "claims feed", "path": "/feeds/claims.atom", "floor": None},
        {"name": "corrections log", "path": "/corrections/", "floor": None},
        {"name": "sitemap index", "path": "/sitemap.xml", "floor": None},
    ]
    filtered = f"{table}.{{}}?{newest}&speaker_id={speaker['id']}"
    cases += [
        {
            "name": "export CSV (by speaker)",
            "path": f"/claims/?speaker={q(speaker['slug'])}&_export=csv",
            "floor": export_floor(speaker["id"]),
            "datasette": filtered.format("csv") + "&_stream=on&_size=max",
            "export": True,
        },
        {
            "name": "export JSON (by speaker)",
            "path": f"/claims/?speaker={q(speaker['slug'])}&_export=json",
            "floor": export_floor(speaker["id"]),
            "datasette": {"walk_all": filtered.format("json") + "&_size=max"},
            "export": True,
            "peer_note": "Datasette: JSON has no full export; every page of 1,000 followed by next_url",
        },
    ]
    return cases
