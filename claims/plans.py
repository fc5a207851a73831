"""Query plans made once per connection, for the queries whose best plan does
not depend on their parameters.

On PostgreSQL every query is planned afresh by default (settings: the
session's plan_cache_mode is force_custom_plan), because the best plan for a
list or a search depends on the values asked for: a speaker with five claims
or with a hundred thousand, a rare word or a common one. Some queries are
planned the same way whatever the values: a claim by its address with its
citations and figures, a speaker's visibility, rows by id. Their planning can
cost more than running them: the visibility rule for speakers is ten EXISTS
subqueries, several milliseconds to plan and a fraction of one to run.

`generic_plans()` runs such queries with a generic plan, prepared on the
connection the first time and reused after. Elsewhere it does nothing.
"""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from psycopg.pq import TransactionStatus

# Connection states in which a statement may run: idle, or in a transaction
# that has not failed.
SOUND = (TransactionStatus.IDLE, TransactionStatus.INTRANS)


@contextmanager
def generic_plans(using=DEFAULT_DB_ALIAS):
    """Within: queries are prepared and planned once for any parameters.
    Evaluate the querysets inside; only the ones whose plan fits any value.
    A block within another leaves the mode to the outer one."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or not connection.features.uses_server_side_binding
        or getattr(connection, "generic_plans", False)
    ):
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    threshold, driver.prepare_threshold = driver.prepare_threshold, 0
    connection.generic_plans = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            try:
                yield
            finally:
                # Back to plans for each run. In a transaction that failed or
                # is to be rolled back, the rollback undoes the SET; a broken
                # connection is discarded, not reused.
                usable = driver.info.transaction_status in SOUND
                if usable and not connection.needs_rollback:
                    cursor.execute("RESET plan_cache_mode")
    finally:
        connection.generic_plans = False
        driver.prepare_threshold = threshold
