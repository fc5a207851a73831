"""The full-text index over Claim.search_document: an FTS5 table kept in step
by triggers on SQLite, a GIN index on PostgreSQL; then fill the documents."""

from django.db import migrations

from claims.search import install_index, remove_index


def fill_documents(apps, schema_editor):
    from claims.models import refresh_search_documents

    Claim = apps.get_model("claims", "Claim")
    ids = list(Claim.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        refresh_search_documents(ids[start : start + 1000], claim_model=Claim)


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_search_and_list_order")]

    operations = [
        migrations.RunPython(install_index, remove_index),
        migrations.RunPython(fill_documents, migrations.RunPython.noop),
    ]
