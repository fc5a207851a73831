"""Bulk reads for lists and downloads."""

from .claims import Claim

__all__ = ["links_of"]


def links_of(name, claim_ids, order_by, fields=None):
    """Claim id -> the objects the many-to-many field `name` of those claims
    names (topics, accused parties), each claim's in the database's
    `order_by` order; the objects' `fields` only, if given.

    Two plain queries, the link rows by claim and then the objects by id:
    joined, SQLite's planner walks every speaker and tests each against the
    claims when the link table is empty and has no statistics
    (docs/performance.md). An object deleted between the two is left out."""
    field = Claim._meta.get_field(name)
    claim_column = f"{field.m2m_field_name()}_id"
    target_column = f"{field.m2m_reverse_field_name()}_id"
    claims_of = {}
    for claim_id, target in (
        field.remote_field.through.objects.filter(**{f"{claim_column}__in": claim_ids})
        .order_by()
        .values_list(claim_column, target_column)
    ):
        claims_of.setdefault(target, []).append(claim_id)
    targets = field.related_model._default_manager.filter(pk__in=claims_of)
    if fields:
        targets = targets.only(*fields)
    found = {}
    for target in targets.order_by(*order_by):  # no query when there are no links
        for claim_id in claims_of.get(target.pk, ()):
            found.setdefault(claim_id, []).append(target)
    return found
