"""Fixtures in: a file read as a stream, checked and written a batch at a
time, all in one transaction.

Unlike loaddata, an import checks what the admin would (field values,
choices, model rules, database constraints, natural keys that lead nowhere,
duplicates) and reports every problem at once, each naming the file, the
object and the field; when there is one, nothing is written.

The stages: `reading` gives the objects one at a time; per batch of
OBJECTS_PER_BATCH (`run`), `check` parses them, fetches the rows they name
by natural key (`keys`), resolves the keys and checks the rules
(`constraints` evaluates check constraints from their definitions), and
`write` writes the sound objects in bulk with history. An object names
objects before it in the file or in the database, as exports do; one naming
its own model (a speaker's organisations) may wait for the next batch.

What the file gave so far is kept in a temporary table (`state.ImportFile`),
not in Python: it tells a duplicate from an earlier batch, which parts of
the file's claims the file no longer gives (deleted at the end), and which
published claims to check once their parts are written. Problems are
collected over the whole file (the first MAX_PROBLEMS kept, the rest
counted) and raised at the end, which rolls everything back; a dry run
rolls back too. An object naming one of an earlier batch that had a
problem is left out unchecked.
"""

from .outcome import ImportFailed, Problem, Report
from .reading import read
from .run import OBJECTS_PER_BATCH, Importer

__all__ = [
    "OBJECTS_PER_BATCH",
    "ImportFailed",
    "Importer",
    "Problem",
    "Report",
    "read",
]
