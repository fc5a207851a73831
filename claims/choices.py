"""The vocabularies the editorial rules speak of: a claim's status, its
assessment, how precisely its date is known, and the role of a citation.
Here rather than inside the models so that the rules (claims.workflow) can
name them without importing the models, which ask those rules. The models
keep them under their old names (Claim.Status, Citation.Role, …)."""

from django.db import models


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"
    WITHDRAWN = "withdrawn", "withdrawn"


class Assessment(models.TextChoices):
    UNASSESSED = "unassessed", "unassessed"
    CORROBORATED = "corroborated", "corroborated"
    CONTESTED = "contested", "contested"
    UNSUPPORTED = "unsupported", "unsupported"
    REFUTED = "refuted", "refuted"
    RETRACTED = "retracted", "retracted"


class DateQualifier(models.TextChoices):
    ON = "on", "on (or in) the date"
    ON_OR_BEFORE = "on_or_before", "on or before the date"
    REPEATEDLY = "repeatedly", "repeatedly, between two bounds"
    NOT_STATED = "not_stated", "date not stated"


class CitationRole(models.TextChoices):
    APPEARED_IN = "appeared_in", "appeared in"
    SUPPORTS = "supports", "supports"
    CONTRADICTS = "contradicts", "contradicts"
    CONTEXT = "context", "gives context"
