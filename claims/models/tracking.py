"""What a claim held when it was read, so that a change of its published
permalink can be refused and a correction asked for (workflow.substantive_changes)
without reading the row again."""

from django.db import models

from .. import workflow

__all__ = ["StoredValues"]


class StoredValues:
    """A model mixin: the values of the fields the editorial rules compare,
    as the database holds them."""

    REMEMBERED = (*workflow.SUBSTANTIVE, "status", "slug")

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        # Remembered so that a change of the published permalink can be
        # refused, and a correction asked for, without reading the row again.
        obj._loaded_values = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if value is not models.DEFERRED
        }
        return obj

    def stored_status(self):
        """The status the database holds (None when unsaved)."""
        return self._stored("status")

    def _stored(self, name):
        """The value of a field as the database holds it (None when unsaved)."""
        if self._state.adding or self.pk is None:
            return None
        loaded = getattr(self, "_loaded_values", {})
        names = self.REMEMBERED
        if not all(field in loaded for field in names):
            stored = type(self)._default_manager.filter(pk=self.pk).values(*names).first()
            self._loaded_values = loaded = {**loaded, **(stored or {})}
        return loaded.get(name)
