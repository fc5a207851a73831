"""Planner SQL written by hand, with every table and column from the
models' metadata (never a name typed here): who readers may see, and an
organisation with everyone in it. The models are reached through the
speaker model's relations, so this module imports none of them."""

from django.db.models.expressions import RawSQL

from ..choices import ClaimStatus
from ..db import RowTest
from .base import related

__all__ = ["PublicSpeaker", "organisation_unit", "public_speaker_sql"]


def organisation_unit(organisation):
    """A subquery: the organisation and everyone who belongs to it, directly or
    through bodies within it. One recursive query; a cycle of memberships ends."""
    through = type(organisation).organisations.through._meta
    member = through.get_field("from_speaker").column
    body = through.get_field("to_speaker").column
    # Names from the model's own metadata; the organisation is a parameter.
    return RawSQL(  # nosec B611
        "WITH RECURSIVE unit(id) AS ("  # nosec B608
        "SELECT CAST(%s AS BIGINT) "
        f"UNION SELECT m.{member} FROM {through.db_table} m JOIN unit ON m.{body} = unit.id"
        ") SELECT id FROM unit",
        [organisation.pk],
    )


class PublicSpeaker(RowTest):
    """True for a speaker readers may see: one named by a published claim (as
    its speaker, the body spoken for, a party accused, or to whom a figure is
    attributed) or publishing a public source such a claim cites; and a body
    one of those belongs to. Someone known only from drafts stays unseen.

    Written once from the models' metadata, as SQL: as ORM subqueries the
    rule cost more to build and compile than to answer (docs/performance.md).
    """

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.outer)
        if params:
            raise ValueError("PublicSpeaker needs a column, not an expression with parameters.")
        named, membership = public_speaker_sql(connection, compiler.query.model)
        sql = f"({named.format(speaker=column)} OR {membership.format(speaker=column)})"
        return sql, [ClaimStatus.PUBLISHED.value] * sql.count("%s")


def public_speaker_sql(connection, speaker_model):
    """The two halves of PublicSpeaker's SQL, with {speaker} for the speaker's
    id column: where a published claim names the speaker, and the membership
    of someone so named. Written once per kind of database."""
    kind = (type(connection.ops), speaker_model)
    if kind not in _PUBLIC_SPEAKER_SQL:
        quote = connection.ops.quote_name
        _PUBLIC_SPEAKER_SQL[kind] = _write_public_speaker_sql(quote, speaker_model)
    return _PUBLIC_SPEAKER_SQL[kind]


_PUBLIC_SPEAKER_SQL = {}


def _write_public_speaker_sql(quote, Speaker):  # noqa: N803 (the model, as elsewhere)
    # Table and column names come from the models, quoted; the status is a
    # parameter. Nothing here comes from a request (hence the nosec B608).

    def table(model):
        return quote(model._meta.db_table)

    def column(model, field):
        return quote(model._meta.get_field(field).column)

    Claim, Figure = related(Speaker, "claims"), related(Speaker, "attributed_figures")
    Source = related(Speaker, "published_sources")
    Citation = related(Source, "citations")
    accused = Claim.accused.through
    members = Speaker.organisations.through
    published = f"c.{column(Claim, 'status')} = %s"

    def named(speaker):
        return " OR ".join(
            [
                f"EXISTS (SELECT 1 FROM {table(Claim)} c WHERE {published} "  # nosec B608
                f"AND c.{column(Claim, 'speaker')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Claim)} c WHERE {published} "  # nosec B608
                f"AND c.{column(Claim, 'speaking_for')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(accused)} a JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = a.{column(accused, 'claim')} "
                f"WHERE {published} AND a.{column(accused, 'speaker')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Figure)} f JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = f.{column(Figure, 'claim')} "
                f"WHERE {published} AND f.{column(Figure, 'attributed_to')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Citation)} i JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = i.{column(Citation, 'claim')} "
                f"JOIN {table(Source)} s ON s.{column(Source, 'id')} = "
                f"i.{column(Citation, 'source')} WHERE {published} "
                f"AND s.{column(Source, 'publisher')} = {speaker} "
                f"AND NOT s.{column(Source, 'restricted')})",
            ]
        )

    member = f"m.{column(members, 'from_speaker')}"
    return (
        named("{speaker}"),
        f"EXISTS (SELECT 1 FROM {table(members)} m "  # nosec B608
        f"WHERE m.{column(members, 'to_speaker')} = {{speaker}} AND ({named(member)}))",
    )
