"""PostgreSQL: ids as an array, sequences read from the catalogue, rows
written with COPY, statistics left to autovacuum, and plans made once for
the queries whose best plan does not depend on their values.

Every query is planned afresh by default (settings: the session's
plan_cache_mode is force_custom_plan), because the best plan for a list or a
search depends on the values asked for: a speaker with five claims or with a
hundred thousand, a rare word or a common one. Some queries are planned the
same way whatever the values: a claim by its address with its citations and
figures, a speaker's visibility, rows by id. Their planning can cost more
than running them (docs/performance.md). `generic_plans()` runs such queries
with a generic plan, prepared on the connection the first time and reused.
"""

from contextlib import contextmanager, nullcontext

from django.db.models.expressions import RawSQL
from psycopg.pq import TransactionStatus

# Writers lock rows, not the database: editors go on saving while an import writes.
DATABASE_WIDE_WRITE_LOCK = False


def id_list(ids):
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def last_id_given(cursor, table):
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    # The name PostgreSQL gives, already quoted where it needs to be.
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # nosec B608
    last, called = cursor.fetchone()
    return last if called else last - 1


def insert_rows(cursor, table, names, width, rows):
    # One COPY stream instead of an INSERT per row; names from the models' metadata.
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def scratch_copy(connection):
    """Writers lock rows, not the database: nothing to copy."""
    return nullcontext()


def update_statistics(cursor):
    """Autovacuum gathers PostgreSQL's own."""


# Connection states in which a statement may run: idle, or in a transaction
# that has not failed.
SOUND = (TransactionStatus.IDLE, TransactionStatus.INTRANS)


@contextmanager
def generic_plans(connection):
    """Within: queries are prepared and planned once for any parameters.
    A block within another leaves the mode to the outer one."""
    if not connection.features.uses_server_side_binding or getattr(
        connection, "generic_plans", False
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
