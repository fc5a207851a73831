"""The floor: the SQL each page needs, written by hand and run directly with
sqlite3 or psycopg, so that ours over it shows what the app adds to the database."""

import datetime

from django.db.models import Q

from claims.dates import ends_by
from claims.limits import (
    DEFAULT_PAGE_SIZE,
    LIST_MAX_ROWS,
    RANK_WINDOW,
    SEARCH_LIMIT,
    SEARCH_PAGE_SIZE,
    SPEAKER_PAGE_SIZE,
)

from .measure import Watchdog, interrupt, timed

# claims.models.UNDATED, the sort date of a claim said on no known date
# (claims.models needs Django set up; the floor runs before it is).
UNDATED = datetime.date.min
COMPARISONS = {"exact": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

# An organisation and its people, and a claim said by or for one of them.
UNIT = (
    "WITH RECURSIVE unit(id) AS (SELECT CAST(%s AS BIGINT) UNION "
    "SELECT m.from_speaker_id FROM claims_speaker_organisations m "
    "JOIN unit ON m.to_speaker_id = unit.id) "
)
IN_UNIT = "(c.speaker_id IN (SELECT id FROM unit) OR c.speaking_for_id IN (SELECT id FROM unit))"

LIST_COLUMNS = (
    "c.id, c.slug, c.text, c.said_qualifier, c.said_on, c.said_on_precision, c.said_until, "
    "c.said_until_precision, c.assessment, s.name, s.slug, f.name, "
    "(SELECT COUNT(*) FROM claims_rebuttal r WHERE r.claim_id = c.id AND (SELECT cc.status "
    "FROM claims_claim cc WHERE cc.id = r.counterclaim_id) = 'published') AS counterclaims"
)
LIST_FROM = (
    "FROM claims_claim c LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
    "LEFT JOIN claims_speaker f ON f.id = c.speaking_for_id"
)

NEWEST = "ORDER BY c.said_sort DESC, c.id DESC"
EXPORT_COLUMNS = (
    "c.id, c.slug, c.text, c.text_kind, c.original_language, c.original_text, s.name, s.kind, "
    "f.name, c.speaker_role, c.said_qualifier, c.said_on, c.said_on_precision, c.said_until, "
    "c.said_until_precision, c.date_note, c.period_start, c.period_end, c.place, c.assessment, "
    "c.assessment_rationale, c.first_published_at, "
    "(SELECT COUNT(*) FROM claims_rebuttal r WHERE r.claim_id = c.id AND (SELECT cc.status "
    "FROM claims_claim cc WHERE cc.id = r.counterclaim_id) = 'published') AS counterclaims"
)


def list_floor(where="", params=(), order=NEWEST, offset=0, prefix="", prefix_params=()):
    """The rows of one page and the bounded count the list shows. The page's ids are
    chosen first and only those rows are read whole, as a careful hand would write it."""
    # A published claim always has a speaker: sorting by name can walk the speakers.
    join = "JOIN" if "s.name" in order else "LEFT JOIN"
    page = (
        f"SELECT c.id FROM claims_claim c {join} claims_speaker s ON s.id = c.speaker_id "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' {where} {order} LIMIT {DEFAULT_PAGE_SIZE} OFFSET {offset}"
    )
    rows = f"{prefix}SELECT {LIST_COLUMNS} {LIST_FROM} WHERE c.id IN ({page}) {order}"
    count = (
        f"{prefix}SELECT COUNT(*) FROM (SELECT 1 FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' {where} LIMIT {LIST_MAX_ROWS + 1}) bounded"
    )
    both = [*prefix_params, *params]
    return [(rows, both), (count, both)]


def condition_sql(condition):
    """A Q of plain lookups (`field`, `field__lt`, `field__isnull`, ...) as SQL and its
    parameters: how the floor writes the app's conditions on a fuzzy date."""
    parts, params = [], []
    for child in condition.children:
        if isinstance(child, Q):
            sql, more = condition_sql(child)
            parts.append(f"({sql})")
            params += more
            continue
        key, value = child
        column, _, lookup = key.partition("__")
        if lookup == "isnull":
            parts.append(f"{column} IS {'' if value else 'NOT '}NULL")
        else:
            parts.append(f"{column} {COMPARISONS[lookup or 'exact']} %s")
            params.append(value)
    sql = f" {condition.connector} ".join(parts)
    return (f"NOT ({sql})" if condition.negated else sql), params


def within(start, end):
    """Said wholly between `start` and `end` (either may be None), as the list's
    date filter means it: the claims ClaimQuerySet.said_within selects."""
    if start is None and end is None:
        return "", []

    def ends(field):
        if end is None:
            return "", []
        sql, params = condition_sql(ends_by(f"c.{field}", end))
        return f" AND ({sql})", params

    on_ends, on_params = ends("said_on")
    until_ends, until_params = ends("said_until")
    begins, begin_params = (" AND c.said_on >= %s", [start]) if start is not None else ("", [])
    if end is not None:
        until_ends = " AND c.said_until IS NOT NULL" + until_ends
    either = [
        (
            f"c.said_qualifier = 'on' AND c.said_on IS NOT NULL{begins}{on_ends}",
            [*begin_params, *on_params],
        ),
        # Said repeatedly: from its earliest bound to its latest, which may be open.
        (
            f"c.said_qualifier = 'repeatedly' AND c.said_on IS NOT NULL{begins}{until_ends}",
            [*begin_params, *until_params],
        ),
    ]
    if start is None:
        # Known only to be no later than a date: inside a range open to the past.
        either += [
            (f"c.said_qualifier = 'on_or_before' AND c.said_on IS NOT NULL{on_ends}", on_params),
            (f"c.said_qualifier = 'repeatedly' AND c.said_on IS NULL{until_ends}", until_params),
        ]
    # said_sort is said_on (or said_until): bounding it lets the date index help.
    bounds, params = "c.said_sort > %s", [UNDATED]
    if start is not None:
        bounds += " AND c.said_sort >= %s"
        params.append(start)
    if end is not None and end != datetime.date.max:
        bounds += " AND c.said_sort <= %s"
        params.append(end)
    sql = " OR ".join(f"({condition})" for condition, _ in either)
    return f"AND {bounds} AND ({sql})", [*params, *(p for _, more in either for p in more)]


def claim_floor(claim_id, slug):
    claim = (
        "SELECT c.*, s.name, s.slug, f.name, f.slug FROM claims_claim c "
        "LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
        "LEFT JOIN claims_speaker f ON f.id = c.speaking_for_id "
        "WHERE c.slug = %s AND c.status = 'published'"
    )
    citations = (
        "SELECT ci.role, ci.locator, ci.excerpt, so.slug, so.title, so.url, so.published_on, "
        "so.published_precision, p.name FROM claims_citation ci "
        "JOIN claims_source so ON so.id = ci.source_id "
        "LEFT JOIN claims_speaker p ON p.id = so.publisher_id "
        "WHERE ci.claim_id = %s AND NOT so.restricted ORDER BY so.published_on, ci.id"
    )
    pairs = (
        "SELECT r.relation, r.note, cc.id, cc.slug, cc.text, cc.said_on, cc.said_on_precision, "
        "cc.said_qualifier, cc.assessment, s.name, s.slug FROM claims_rebuttal r "
        "JOIN claims_claim cc ON cc.id = r.{other} "
        "LEFT JOIN claims_speaker s ON s.id = cc.speaker_id "
        "WHERE r.{this} = %s AND cc.status = 'published' ORDER BY cc.said_sort, cc.id"
    )
    figures = (
        "SELECT fi.claim_id, fi.position, fi.value_min, fi.value_max, fi.qualifier, "
        "fi.stated_as, m.name, m.unit FROM claims_figure fi "
        "JOIN claims_measure m ON m.id = fi.measure_id WHERE fi.claim_id IN "
        "(SELECT %s UNION ALL SELECT counterclaim_id FROM claims_rebuttal WHERE claim_id = %s) "
        "ORDER BY fi.claim_id, fi.position"
    )
    topics = (
        "SELECT t.slug, t.name FROM claims_topic t JOIN claims_claim_topics ct "
        "ON ct.topic_id = t.id WHERE ct.claim_id = %s ORDER BY t.name"
    )
    return [
        (claim, [slug]),
        (citations, [claim_id]),
        (pairs.format(other="counterclaim_id", this="claim_id"), [claim_id]),
        (pairs.format(other="claim_id", this="counterclaim_id"), [claim_id]),
        (figures, [claim_id, claim_id]),
        (topics, [claim_id]),
    ]


def speaker_floor(organisation, slug):
    page = (
        f"SELECT c.id FROM claims_claim c WHERE c.status = 'published' AND {IN_UNIT} "  # nosec B608 (SQL from constants here; values are parameters)
        f"{NEWEST} LIMIT {SPEAKER_PAGE_SIZE}"
    )
    rows = f"{UNIT}SELECT {LIST_COLUMNS} {LIST_FROM} WHERE c.id IN ({page}) {NEWEST}"
    by_assessment = (
        f"{UNIT}SELECT c.assessment, COUNT(*) FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' AND {IN_UNIT} GROUP BY c.assessment"
    )
    members = (
        "SELECT s.slug, s.name FROM claims_speaker s JOIN claims_speaker_organisations m "
        "ON m.from_speaker_id = s.id WHERE m.to_speaker_id = %s ORDER BY s.name"
    )
    pairs = (
        f"{UNIT}SELECT r.relation, r.created_at, a.slug, a.text, b.slug, b.text "  # nosec B608 (SQL from constants here; values are parameters)
        "FROM claims_rebuttal r JOIN claims_claim a ON a.id = r.claim_id "
        "JOIN claims_claim b ON b.id = r.counterclaim_id "
        "JOIN claims_claim c ON c.id = r.{side} "
        f"WHERE a.status = 'published' AND b.status = 'published' AND {IN_UNIT} "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 50"
    )
    return [
        ("SELECT * FROM claims_speaker WHERE slug = %s", [slug]),
        (rows, [organisation]),
        (by_assessment, [organisation]),
        (members, [organisation]),
        (pairs.replace("{side}", "counterclaim_id"), [organisation]),
        (pairs.replace("{side}", "claim_id"), [organisation]),
    ]


def search_floor(engine, word):
    """Rank the newest RANK_WINDOW published matches, keep the best SEARCH_LIMIT,
    then read the first page of them: the queries the search page sends."""
    if engine == "sqlite":
        # The word is matched whole when it alone fills the window, else as a prefix.
        counted = (
            "SELECT count(*) FROM (SELECT c.id FROM claims_claim_fts "
            "JOIN claims_claim c ON c.id = claims_claim_fts.rowid "
            f"WHERE claims_claim_fts MATCH %s AND c.status = 'published' LIMIT {RANK_WINDOW})"  # nosec B608 (SQL from constants here; values are parameters)
        )

        def ranked(rows):
            whole = rows[0][0] >= RANK_WINDOW
            match = (
                "SELECT c.id AS id, bm25(claims_claim_fts) AS score FROM claims_claim_fts "
                "JOIN claims_claim c ON c.id = claims_claim_fts.rowid "
                "WHERE claims_claim_fts MATCH %s AND c.status = 'published'"
            )
            match += f" ORDER BY claims_claim_fts.rowid DESC LIMIT {RANK_WINDOW}"
            sql = f"SELECT id FROM ({match}) m ORDER BY score, id LIMIT {SEARCH_LIMIT}"  # nosec B608 (SQL from constants here; values are parameters)
            return sql, [f'"{word}"' if whole else f'"{word}"*']

        steps = [(counted, [f'"{word}"']), ranked]
    else:
        query = "to_tsquery('simple'::regconfig, %s)"
        newest = (
            f"SELECT c.id, c.search_vector FROM claims_claim c WHERE c.search_vector @@ {query} "  # nosec B608 (SQL from constants here; values are parameters)
            "AND c.status = 'published'"
        )
        newest += f" ORDER BY c.id DESC LIMIT {RANK_WINDOW}"
        ranked = (
            f"SELECT m.id FROM ({newest}) m "  # nosec B608 (SQL from constants here; values are parameters)
            f"ORDER BY ts_rank(m.search_vector, {query}) DESC, m.id LIMIT {SEARCH_LIMIT}"
        )
        steps = [(ranked, [f"{word}:*", f"{word}:*"])]

    def first_page(rows):
        ids = [row[0] for row in rows[:SEARCH_PAGE_SIZE]] or [0]
        marks = ", ".join(["%s"] * len(ids))
        return (
            f"SELECT c.id, c.slug, c.text, c.original_text, c.said_on, s.name, s.slug "  # nosec B608 (SQL from constants here; values are parameters)
            f"FROM claims_claim c LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
            f"WHERE c.id IN ({marks})",
            ids,
        )

    return [*steps, first_page]


def export_floor(speaker):
    where = "AND c.speaker_id = %s"
    return [
        (
            f"SELECT {EXPORT_COLUMNS} {LIST_FROM} WHERE c.status = 'published' {where} {NEWEST}",
            [speaker],
        ),
        (
            "SELECT ct.claim_id, t.name FROM claims_claim_topics ct JOIN claims_topic t "  # nosec B608 (SQL from constants here; values are parameters)
            "ON t.id = ct.topic_id JOIN claims_claim c ON c.id = ct.claim_id "
            f"WHERE c.status = 'published' {where}",
            [speaker],
        ),
        (
            "SELECT ca.claim_id, s.name FROM claims_claim_accused ca JOIN claims_speaker s "  # nosec B608 (SQL from constants here; values are parameters)
            "ON s.id = ca.speaker_id JOIN claims_claim c ON c.id = ca.claim_id "
            f"WHERE c.status = 'published' {where}",
            [speaker],
        ),
    ]


def run_floor(database, steps):
    def execute(cursor):
        rows = []
        for step in steps:
            sql, params = step(rows) if callable(step) else step
            if database.engine == "sqlite":
                params = [p.isoformat() if isinstance(p, datetime.date) else p for p in params]
            cursor.execute(database.placeholders(sql), params)
            rows = cursor.fetchall()

    return execute


def measure_floor(database, cases, rounds, budget, limit):
    print("Floor: the SQL each page needs, run directly ...")
    with database.connect() as connection:
        cursor = connection.cursor()
        for case in cases:
            if not case["floor"]:
                continue
            execute = run_floor(database, case["floor"])

            def run(execute=execute):
                with Watchdog(limit, lambda: interrupt(connection)):
                    execute(cursor)

            try:
                case["floor_ms"] = timed(run, rounds, budget)
            except Exception as error:  # interrupted, most likely
                case["floor_error"] = f"{type(error).__name__}: {error}"[:300]
