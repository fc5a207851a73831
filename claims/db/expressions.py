"""Expressions written in SQL by hand, for tests the ORM would make the
planner pay for (claims.models.sql, the search backends)."""

from django.db import models
from django.db.models import F


class RowTest(models.Expression):
    """A true-or-false test of each row, in SQL written by hand, about the
    row's `outer` column. The column is compiled from the query the test is
    used in, so it is the right one under any alias (a subquery renames the
    table). Subclasses write as_sql with it."""

    output_field = models.BooleanField()

    def __init__(self, outer="pk"):
        super().__init__()
        self.outer = F(outer)

    def get_source_expressions(self):
        return [self.outer]

    def set_source_expressions(self, expressions):
        (self.outer,) = expressions
