"""One import from start to end: the file read a batch at a time, each batch
checked then written, then what needs the whole file, in one transaction."""

from pathlib import Path

from django.db import DatabaseError, reset_queries, transaction

from ...db import update_statistics
from ...models import Figure
from . import check
from . import write as writing
from .keys import describe, label_of
from .outcome import ImportFailed
from .reading import read
from .state import Batch, ImportFile

__all__ = ["OBJECTS_PER_BATCH", "Importer"]

OBJECTS_PER_BATCH = 250  # objects checked and written together: memory follows this


class _DryRun(Exception):
    """Raised to undo a dry run's writes."""


class Importer:
    """Imports one file: run() reads, checks and writes it a batch at a time."""

    def __init__(
        self,
        path,
        user,
        progress=None,
        correction_note="",
        *,
        entries=None,
        partial=False,
        publication_times=False,
        reason="",
    ):
        """`entries`, when given, are the objects as (position, raw dict),
        read by another reader (a spreadsheet's) from the file at `path`."""
        self.path = Path(path)
        self.entries = entries
        self.progress = progress
        self.objects = 0  # objects read
        self.file = ImportFile(
            self.path.name,
            user,
            correction_note,
            partial=partial,
            publication_times=publication_times,
            reason=reason,
        )

    def run(self, dry_run=False):
        """Read, check and write the file in one transaction. Raises
        ImportFailed, having written nothing, when there is a problem
        anywhere; a dry run goes as far and then undoes everything."""
        file = self.file
        try:
            with transaction.atomic(), writing.keep_timestamps():
                file.start()
                try:
                    for batch, next_label in self._batches():
                        self._take(batch, next_label)
                        if file.stopped:
                            break
                except ImportFailed as failure:  # the file cannot be read on
                    for problem in failure.problems:
                        file.problem(problem.where, problem.field, problem.message)
                    file.stopped = True
                if not self.objects and not file.problems:
                    file.problem(file.name, "", "the file holds no objects")
                if not file.stopped:
                    self._finish(dry_run)
                if file.problems:
                    raise file.failure()
                file.end()
                if dry_run:
                    raise _DryRun
        except _DryRun:
            return file.report
        update_statistics()
        return file.report

    def _batches(self):
        """The objects OBJECTS_PER_BATCH at a time, each batch with the model
        label of the object after it (None after the last)."""
        batch = []
        for entry in self.entries if self.entries is not None else read(self.path):
            if len(batch) == OBJECTS_PER_BATCH:
                yield batch, label_of(entry[1])
                batch = []
            batch.append(entry)
        yield batch, None

    def _take(self, read_now, next_label):
        """One batch (the objects waiting, then those just read): parsed,
        checked, and its sound objects written."""
        reset_queries()  # with DEBUG on, Django would keep every query of the import
        file = self.file
        batch = Batch(file)
        entries, file.waiting = file.waiting + read_now, []
        self.objects += len(read_now)
        for position, raw in entries:
            check.parse(batch, position, raw)
        if self.progress:
            self.progress.update(len(read_now))
        check.load_existing(batch)
        if next_label is not None:
            file.waiting = check.wait(batch, next_label)
        check.resolve(batch, file.skipped)
        check.fill_absent(batch)
        check.check_repeats(batch, file)
        # The rules are checked on every object that parsed and resolved, so
        # one broken key does not hide another object's broken rule.
        check.check_rules(
            batch,
            [
                i
                for i in batch.items
                if describe(i) not in batch.flawed and id(i) not in batch.blocked
            ],
            file,
        )
        check.check_permissions(batch, file.user)
        check.plan(batch, check.sound(batch, file.skipped), file.report)
        check.check_corrections(batch, file)
        try:
            with transaction.atomic():
                writing.write(batch, file)
        except DatabaseError as error:
            if not file.problems:
                raise
            # Only after a problem, whose objects are left out, can a row
            # break a database rule: the file is refused either way.
            batch.problem(file.name, "", f"checking stopped at {entries[0][0]}: {error}")
            file.stopped = True

    def _finish(self, dry_run):
        """What needs the whole file: the parts it no longer gives its claims
        go, then the published claims it changed are checked. After a
        problem, only the checks run."""
        file = self.file
        parts = {} if file.partial else writing.dropped(file)
        if Figure in parts:
            writing.correct_dropped_figures(file, parts[Figure])
        if file.problems:
            return
        writing.delete_dropped(file, parts)
        check.check_publication(file)
        if not dry_run and not file.problems:
            writing.refresh_search(file)
