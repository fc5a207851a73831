"""What imports from other people's tables keep: which row of whose table a
claim came from (ExternalId), and the saved mappings of columns to fields."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import mapping as mapping_rules
from .base import SlugQuerySet
from .claims import Claim

__all__ = ["ExternalId", "ExternalIdQuerySet", "Mapping"]


class ExternalIdQuerySet(models.QuerySet):
    def get_by_natural_key(self, namespace, value):
        return self.get(namespace=namespace, value=value)

    def of_keys(self, namespace, values):
        return self.filter(namespace=namespace, value__in=values)


class ExternalId(models.Model):
    """A claim's identifier in someone else's table: (namespace, value), e.g.
    ("euvsdisinfo", "8123"). The namespace is the mapping's, so two
    partners' "case 123" stay apart. `written` holds the values the last
    import wrote for each field, so a re-import tells an editor's change
    since from a change in the file. Never shown to readers."""

    namespace = models.CharField(
        _("namespace"),
        max_length=100,
        help_text=_("Whose identifiers these are, e.g. the partner's name."),
    )
    value = models.CharField(_("identifier"), max_length=200)
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="external_ids", verbose_name=_("claim")
    )
    written = models.JSONField(
        _("values last imported"),
        default=dict,
        blank=True,
        help_text=_("What the last import wrote, field by field."),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords()
    objects = ExternalIdQuerySet.as_manager()

    class Meta:
        ordering = ["namespace", "value"]
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "value"],
                name="claims_externalid_unique",
                violation_error_message=_("This identifier already names a claim."),
            )
        ]

    def __str__(self):
        return f"{self.namespace}:{self.value}"

    def natural_key(self):
        return (self.namespace, self.value)

    natural_key.dependencies = ["claims.claim"]


class Mapping(models.Model):
    """How the columns of a spreadsheet fill the fields of claims, saved by
    name so the next file of the same kind imports without mapping again
    (claims.mapping describes and checks the `spec`)."""

    slug = models.SlugField(
        max_length=100, unique=True, help_text=_("Stable identifier used in fixtures.")
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    namespace = models.CharField(
        _("namespace of identifiers"),
        max_length=100,
        help_text=_(
            "The rows' identifiers (the external ID column) are kept under this name, "
            "e.g. the partner whose table it is."
        ),
    )
    spec = models.JSONField(
        _("columns and constants"),
        default=dict,
        help_text=_("Which field each column fills, and the constants (see the README)."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords()
    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("spreadsheet mapping")
        verbose_name_plural = _("spreadsheet mappings")

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        try:
            mapping_rules.parse(self.as_document())
        except mapping_rules.MappingError as error:
            raise ValidationError({"spec": str(error)}) from None

    def as_document(self):
        """The mapping as its JSON file gives it (claims.mapping)."""
        return {**self.spec, "name": self.name, "namespace": self.namespace}
