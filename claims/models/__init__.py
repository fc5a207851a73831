"""The claims domain: who said what, when, where it appeared, on what
evidence, with which numbers, and which statements answer which.

Every model has a natural key, so fixtures move between databases without
numeric ids, and a history of every change (django-simple-history). The
modules import one another in one direction only (base, sql, speakers,
evidence, sources, vocabulary, claims, parts, imports); a model defined later is
reached through a relation (`base.related`). `runs` (background work and
its record) stands apart and imports none of them. Every name is re-exported
here: import from `claims.models`.
"""

from ..dates import UNDATED
from .base import (
    RTL_LANGUAGES,
    SlugQuerySet,
    admin_url,
    count_of,
    language_code_validator,
    related,
    text_direction,
)
from .claims import Claim, ClaimQuerySet, Correction, CorrectionQuerySet
from .documents import refresh_search_documents
from .evidence import (
    EVIDENCE_SIGNATURES,
    MARKUP,
    EvidenceFileField,
    HashedFieldFile,
    validate_evidence_file,
)
from .imports import ExternalId, ExternalIdQuerySet, Mapping
from .parts import (
    Citation,
    CitationQuerySet,
    Figure,
    FigureQuerySet,
    Rebuttal,
    RebuttalQuerySet,
    format_number,
)
from .reading import links_of
from .runs import Run, RunQuerySet
from .sources import NOT_STATED, Source, SourceQuerySet
from .speakers import Speaker, SpeakerQuerySet
from .sql import PublicSpeaker, organisation_unit, public_speaker_sql
from .tracking import StoredValues
from .vocabulary import Measure, Topic

__all__ = [
    "EVIDENCE_SIGNATURES",
    "MARKUP",
    "NOT_STATED",
    "RTL_LANGUAGES",
    "UNDATED",
    "Citation",
    "CitationQuerySet",
    "Claim",
    "ClaimQuerySet",
    "Correction",
    "CorrectionQuerySet",
    "EvidenceFileField",
    "ExternalId",
    "ExternalIdQuerySet",
    "Figure",
    "FigureQuerySet",
    "HashedFieldFile",
    "Mapping",
    "Measure",
    "PublicSpeaker",
    "Rebuttal",
    "RebuttalQuerySet",
    "Run",
    "RunQuerySet",
    "SlugQuerySet",
    "Source",
    "SourceQuerySet",
    "Speaker",
    "SpeakerQuerySet",
    "StoredValues",
    "Topic",
    "admin_url",
    "count_of",
    "format_number",
    "language_code_validator",
    "links_of",
    "organisation_unit",
    "public_speaker_sql",
    "refresh_search_documents",
    "related",
    "text_direction",
    "validate_evidence_file",
]
