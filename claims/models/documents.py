"""Each claim's search document, kept in step with what it is built from."""

from django.db import connection, models

from ..text import claim_document
from .claims import Claim

__all__ = ["refresh_search_documents"]


def refresh_search_documents(claim_ids, claim_model=None):
    """Rebuild the search document of these claims from what they say, who
    said it, where, and the titles of the public sources they cite. Only
    documents that changed are written (each write also re-indexes the claim).

    `claim_model` lets a migration pass its historical model."""
    claim_model = claim_model or Claim
    citation_model = claim_model._meta.get_field("citations").related_model
    public_citations = models.Prefetch(
        "citations",
        queryset=citation_model.objects.filter(source__restricted=False)
        .select_related("source")
        .only("claim_id", "source__title"),
    )
    claims = (
        claim_model.objects.filter(pk__in=claim_ids)
        .select_related("speaker", "speaking_for")
        .only(
            *("text", "original_text", "place", "search_document"),
            *("speaker__name", "speaker__short_name", "speaker__aliases"),
            *("speaking_for__name", "speaking_for__short_name", "speaking_for__aliases"),
        )
        .prefetch_related(public_citations)
    )
    changed = []
    for claim in claims:
        wanted = claim_document(
            claim.text,
            claim.original_text,
            claim.place,
            [s.names() for s in (claim.speaker, claim.speaking_for) if s],
            [c.source.title for c in claim.citations.all()],
        )
        if wanted != claim.search_document:
            changed.append((wanted, claim.pk))
    if changed:
        # One statement, run once per changed row.
        table = connection.ops.quote_name(claim_model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET search_document = %s WHERE id = %s",  # nosec B608: the model's table
                changed,
            )
