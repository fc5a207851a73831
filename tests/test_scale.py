"""What keeps pages fast on a large database, checked on a small one: the
queries the list, search and home pages send, and the order they give."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import search
from claims.models import Claim

from .conftest import make_claim, make_rebuttal, make_speaker

pytestmark = pytest.mark.django_db
D = datetime.date


def published(**fields):
    fields.setdefault("status", Claim.Status.PUBLISHED)
    fields.setdefault("said_on", D(2016, 2, 10))
    return make_claim(**fields)


def sql_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries]


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
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
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
