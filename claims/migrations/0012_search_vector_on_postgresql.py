"""On PostgreSQL, search reads a stored tsvector column with its own GIN index
instead of parsing each document again (the index over the expression goes).
Nothing changes on SQLite, whose FTS5 table is already its own index."""

from django.db import migrations

from claims.search import install_index


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        install_index(apps, schema_editor)


def restore_expression_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS claims_claim_search_vector")
        schema_editor.execute("ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS claims_claim_search_gin ON claims_claim USING gin "
            "(to_tsvector('simple'::regconfig, COALESCE(search_document, '')))"
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0011_latest_pairings_index")]

    operations = [migrations.RunPython(install, restore_expression_index)]
