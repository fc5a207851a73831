"""Figures: partial indexes for attributed_to and part_of, which are NULL for
most figures. With every row NULL, SQLite's statistics for a full index say
a lookup matches every figure, and it scanned them all instead (350 ms at a
million claims) each time it asked whether a speaker is public. The full
indexes are dropped by name, so no table is rebuilt."""

import django.db.models.deletion
from django.db import migrations, models

# The names Django gave the fields' own indexes, the same on every database.
OLD_INDEXES = {
    "attributed_to_id": "claims_figure_attributed_to_id_0b9378ed",
    "part_of_id": "claims_figure_part_of_id_dfba24ce",
}


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0013_list_indexes_carry_speakers_and_assessment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="figure",
                    name="attributed_to",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The party the figure is attributed to, e.g. Russian forces.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attributed_figures",
                        to="claims.speaker",
                    ),
                ),
                migrations.AlterField(
                    model_name="figure",
                    name="part_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="A larger figure of the same claim this one is part of "
                        "(1,928 children within 6,686 civilians).",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="claims.figure",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX "{name}" ON "claims_figure" ("{column}")',
                )
                for column, name in OLD_INDEXES.items()
            ],
        ),
        migrations.AddIndex(
            model_name="figure",
            index=models.Index(
                condition=models.Q(("attributed_to__isnull", False)),
                fields=["attributed_to"],
                name="claims_figure_attributed_to",
            ),
        ),
        migrations.AddIndex(
            model_name="figure",
            index=models.Index(
                condition=models.Q(("part_of__isnull", False)),
                fields=["part_of"],
                name="claims_figure_part_of",
            ),
        ),
    ]
