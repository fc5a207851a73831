"""The progress database (settings.PROGRESS_DATABASE) holds one table, the
runs' live progress, which `claims.runs` creates itself when it first writes
there: no model is migrated into it. On PostgreSQL it is the same database as
the default one, reached through a second connection."""

from django.conf import settings


class ProgressRouter:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == settings.PROGRESS_DATABASE:
            return False
        return None
