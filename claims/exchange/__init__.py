"""Fixtures in and out: `export` writes a selection of claims as a fixture
(its names are re-exported here), `importer` reads one back in, checked."""

from .export import (
    CHUNK,
    FORMATS,
    MODELS,
    ORDER,
    PRIVATE,
    Plan,
    Selection,
    exported_fields,
    format_for,
    open_output,
    rows,
    write,
)

__all__ = [
    "CHUNK",
    "FORMATS",
    "MODELS",
    "ORDER",
    "PRIVATE",
    "Plan",
    "Selection",
    "exported_fields",
    "format_for",
    "open_output",
    "rows",
    "write",
]
