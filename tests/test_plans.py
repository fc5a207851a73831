"""Query plans on PostgreSQL: made for each run's values, except where
generic_plans() says the values do not matter. CI runs this file on both
databases; on SQLite generic_plans() does nothing."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.db import generic_plans
from claims.models import Claim, Speaker

from .factories import make_claim, make_speaker

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    not getattr(connection.features, "uses_server_side_binding", False),
    reason="PostgreSQL with POSTGRES_PREPARED on",
)


def plan_cache_mode():
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def prepared(fragment):
    """(generic plans, custom plans) of the prepared statements whose SQL
    holds `fragment`, summed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            "FROM pg_prepared_statements WHERE strpos(statement, %s) > 0",
            [fragment],
        )
        return tuple(cursor.fetchone())


@on_postgresql
def test_queries_inside_are_prepared_with_one_plan_for_any_value():
    speaker = make_speaker()
    with generic_plans():
        assert plan_cache_mode() == "force_generic_plan"
        assert Speaker.objects.public().filter(slug=speaker.slug).count() == 0
    assert plan_cache_mode() == "force_custom_plan"
    generic, custom = prepared('FROM "claims_speaker"')
    assert (generic, custom) == (1, 0)


@on_postgresql
def test_a_failing_query_inside_a_transaction_leaves_plans_made_for_each_run():
    failing = pytest.raises(ProgrammingError)
    with failing, transaction.atomic(), generic_plans(), connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM claims_speaker")
    assert plan_cache_mode() == "force_custom_plan"  # the rollback undid the SET
    assert connection.connection.prepare_threshold == 5
    assert Speaker.objects.count() == 0  # the connection goes on


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_failing_query_between_transactions_leaves_plans_made_for_each_run():
    with pytest.raises(ProgrammingError), generic_plans(), connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM claims_speaker")
    assert plan_cache_mode() == "force_custom_plan"
    assert connection.connection.prepare_threshold == 5


@on_postgresql
def test_a_block_within_another_leaves_the_mode_to_the_outer_one():
    with generic_plans():
        with generic_plans():
            pass
        assert plan_cache_mode() == "force_generic_plan"
        assert connection.connection.prepare_threshold == 0
    assert plan_cache_mode() == "force_custom_plan"


@on_postgresql
def test_a_transaction_to_be_rolled_back_is_left_to_its_rollback():
    with transaction.atomic(), generic_plans():
        transaction.set_rollback(True)  # no query may run now, RESET included
    assert plan_cache_mode() == "force_custom_plan"  # the rollback undid the SET


@on_postgresql
def test_a_search_is_planned_for_its_words_every_time(client):
    # A generic plan for the ranking ignores how common the word is: it took
    # a search for a word in 5% of a million claims from 24 to 300 ms.
    make_claim(text="Shelling of the market.", status=Claim.Status.PUBLISHED)
    for _ in range(7):  # prepared after five runs
        assert client.get(reverse("claims:search"), {"q": "market"}).status_code == 200
    generic, custom = prepared("search_vector @@")
    assert generic == 0
    assert custom >= 1


@on_postgresql
def test_the_claim_page_is_planned_once_per_connection(client):
    claim = make_claim(status=Claim.Status.PUBLISHED)
    for _ in range(3):
        assert client.get(claim.get_absolute_url()).status_code == 200
    generic, custom = prepared('"claims_claim"."slug" = $')
    assert generic >= 2
    assert custom == 0


@pytest.mark.skipif(
    getattr(connection.features, "uses_server_side_binding", False),
    reason="PostgreSQL with POSTGRES_PREPARED on",
)
def test_without_prepared_statements_nothing_is_sent():
    with CaptureQueriesContext(connection) as queries, generic_plans():
        pass
    assert len(queries) == 0


@on_postgresql
def test_the_list_looks_up_named_speakers_once_planned_and_its_rows_for_their_values(client):
    """Whom a filter names is asked with the visibility rule, whose planning
    costs more than its run; the list's own walk depends on who is named
    (five statements or a hundred thousand), so it is planned each time."""
    speaker = make_speaker(name="Planned Speaker", slug="planned")
    make_claim(speaker=speaker, status=Claim.Status.PUBLISHED)
    for _ in range(3):
        response = client.get(reverse("claims:claim_list"), {"speaker": "planned"})
        assert response.status_code == 200 and "Planned Speaker" in response.content.decode()
    generic, custom = prepared('"claims_speaker"."slug" = $')
    assert generic >= 2 and custom == 0
    generic, custom = prepared('"claims_claim"."speaker_id" = $')
    assert generic == 0
    # With nobody named, nothing is looked up and the mode is not switched.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("claims:claim_list"), {"said_from": "2016"})
    switches = [q["sql"] for q in queries if "plan_cache_mode" in q["sql"]]
    assert len(switches) == 2, switches  # around the page's rows only
