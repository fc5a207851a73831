from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and counterclaims"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import registry, search, signals  # noqa: F401

        registry.use_search(search)
