from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and counterclaims"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # claims.tasks imports the modules that register run handlers, in the
        # web processes and the worker alike.
        from . import registry, runs, search, signals, tasks  # noqa: F401

        registry.use_search(search)
        runs.use_task(tasks.execute)
