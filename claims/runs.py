"""Background work: the one place where runs are started and report their
progress, and where the admin learns what they mean for editors.

- `handler(kind)`: registers what runs for a kind, a function `fn(run, **arguments)`;
- `start(kind, user, file="", path="", **arguments) -> Run`: a queued run and one
  task for it (`claims.tasks.execute`), enqueued once the transaction commits;
- `resume(run, **arguments)`, `cancel(run)`: a run waiting for confirmation goes on, or not;
- `progress(run, done, total=None, state=None)`: what a run has done, seen at once;
- `writing(run, total=None)`: the block in which a handler writes, as one transaction;
- `finish(run, state=None, error="")`: the end of a run (`claims.tasks` calls it);
- `live(runs)`, `writing_now()`, `notice()`, `refusal()`: what readers and the admin see;
- `keep_upload(uploaded)`, `discard_upload(run)`, `prune()`: uploaded files and dead runs.

Live progress goes through a side channel. A handler writes inside one long
transaction; progress saved on that transaction's connection would be seen by
nobody until it commits, and written from a second connection to the same
SQLite file it would wait for the write lock the import holds. So `progress()`
writes one row per run to a small table reached through its own connection,
the `progress` database alias (settings.PROGRESS_DATABASE): on PostgreSQL a
second connection to the same database, on SQLite a file of its own beside the
database, which has a write lock of its own. The table is made on first use,
so a deleted file costs nothing. The run's own row gets the same values
whenever the caller is not inside a transaction, and everything at the end
(`finish`); a row whose run is no longer active is forgotten. Readers overlay
the live values on the runs still active (`live`).

Editors meanwhile: `writing()` saves the state "writing" on the run's row
before its transaction takes the write lock. On a database where one writer
keeps every other waiting (`claims.db.backend().DATABASE_WIDE_WRITE_LOCK`,
SQLite), the admin says on every page until when the run should write, and
refuses a save at once with that message (`refusal()`), rather than letting it
wait for the busy timeout and fail. On PostgreSQL it only says that a run is
writing. A writing run that has reported nothing for RUN_STALE_MINUTES is taken
for dead: it no longer blocks anyone, and `prune()` marks it failed.
"""

import datetime
import logging
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import dateformat, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import db
from .models import Run

__all__ = [
    "Busy",
    "cancel",
    "discard_upload",
    "finish",
    "handler",
    "handler_for",
    "keep_upload",
    "live",
    "notice",
    "progress",
    "prune",
    "refusal",
    "resume",
    "start",
    "use_task",
    "writing",
    "writing_now",
]

logger = logging.getLogger(__name__)

_handlers = {}
_task = []  # claims.tasks.execute, handed over by ClaimsConfig.ready()


class Busy(Exception):
    """A run is writing, and this database takes one writer at a time."""


# --- What runs, and starting it -------------------------------------------------------


def handler(kind):
    """Registers the decorated function as what runs for runs of `kind`:
    `fn(run, **arguments)`, called by the worker with the arguments given to
    `start` (or `resume`). It reports with `progress`, writes inside
    `writing`, may fill `run.report`, and may leave the run in a state of its
    own choosing (such as ready, for a preview awaiting confirmation); if it
    raises, the run fails with the error's message."""

    def register(fn):
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind):
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"No handler is registered for runs of kind {kind!r}.") from None


def use_task(task):
    """The task that executes runs (claims.tasks.execute, which imports this module)."""
    _task[:] = [task]


def start(kind, user, file="", path="", **arguments):
    """A new run of `kind` for `user` (None for work nobody started by hand),
    queued, and one task that executes it, enqueued when the current
    transaction commits (at once outside one), so the worker never looks for a
    run not yet saved. `file` is the name the user gave the upload, `path` where
    `keep_upload` stored it; `arguments` (JSON values) go to the handler."""
    handler_for(kind)  # an unknown kind fails here, not in the worker
    _refuse_while_writing()
    run = Run.objects.create(kind=kind, user=user, file=file, path=path)
    _enqueue(run, arguments)
    return run


def resume(run, **arguments):
    """A run waiting for confirmation (ready) queued again, its handler called
    with `arguments` (e.g. confirmed=True). A second confirmation of the same
    run is refused (ValueError)."""
    _refuse_while_writing()
    queued = Run.objects.filter(pk=run.pk, state=Run.State.READY).update(state=Run.State.QUEUED)
    if not queued:
        raise ValueError(f"Run {run.pk} is not waiting for confirmation.")
    run.state = Run.State.QUEUED
    _enqueue(run, arguments)
    return run


def cancel(run):
    """A run not yet started, or waiting for confirmation, cancelled and its
    upload deleted; False when it had gone further."""
    cancelled = Run.objects.filter(pk=run.pk, state__in=[Run.State.QUEUED, Run.State.READY]).update(
        state=Run.State.CANCELLED, finished_at=timezone.now()
    )
    if cancelled:
        run.refresh_from_db()
        discard_upload(run)
    return bool(cancelled)


def _enqueue(run, arguments):
    def enqueue():
        try:
            result = _task[0].enqueue(run.pk, arguments)
        except Exception as error:
            Run.objects.filter(pk=run.pk).update(
                state=Run.State.FAILED, error=str(error), finished_at=timezone.now()
            )
            raise
        run.task_id = str(result.id)
        Run.objects.filter(pk=run.pk).update(task_id=run.task_id)

    transaction.on_commit(enqueue, using=_database())


def _database():
    return router.db_for_write(Run)


def _refuse_while_writing():
    message = refusal()
    if message:
        raise Busy(message)


# --- Progress -------------------------------------------------------------------------


def progress(run, done, total=None, state=None):
    """`run` has done `done` of `total` (kept when None) and is in `state`
    (kept when None; a new state is a new stage, whose start is now). Seen at
    once by every other connection, through the progress database, even from
    inside a long transaction; one small write, cheap enough every few hundred
    rows."""
    run.done = done
    changed = {"done"}
    if total is not None:
        run.total = total
        changed.add("total")
    if state is not None and state != run.state:
        run.state = state
        run.started_at = timezone.now()
        changed |= {"state", "started_at"}
    _write_live(run)
    _save(run, changed)


@contextmanager
def writing(run, total=None):
    """The block in which a handler writes, as one transaction. The run's row
    says "writing" before the transaction takes the database's write lock, so
    the admin can tell editors (and, on SQLite, refuse their saves) while it
    holds it. Call it outside any transaction."""
    using = _database()
    if transaction.get_connection(using).in_atomic_block:
        raise RuntimeError(
            "runs.writing() opens the transaction itself: call it outside one, so that "
            "the run is seen writing before the write lock is taken."
        )
    progress(run, 0, total, state=Run.State.WRITING)
    with transaction.atomic(using=using):
        yield run


def finish(run, state=None, error=""):
    """The end of the worker's part: `state` (by default done, unless the
    handler chose a state that is not active, such as ready), the time for a
    finished run, `error`, and everything else on the run's own row; its live
    progress is forgotten."""
    if state is None:
        state = Run.State.DONE if run.state in Run.ACTIVE else run.state
    run.state = state
    if state in Run.FINISHED:
        run.finished_at = timezone.now()
    if error:
        run.error = error
    fields = ["state", "done", "total", "report", "error", "started_at", "finished_at"]
    run.save(update_fields=fields)
    run.__dict__.pop("_unsaved", None)
    _forget_live([run.pk])


def _save(run, fields):
    """`fields` of the run's row, unless its connection is inside a transaction:
    saved there, they would be seen only at its commit (and lock the row on
    PostgreSQL). They wait for the next save outside one, or `finish`."""
    pending = run.__dict__.setdefault("_unsaved", set())
    pending |= set(fields)
    if transaction.get_connection(_database()).in_atomic_block:
        return
    run.save(update_fields=sorted(pending))
    pending.clear()


# --- The side channel: live progress in the progress database --------------------------

# Times are seconds since the epoch: one type, and one SQL, on both databases.
_CREATE = """
CREATE TABLE IF NOT EXISTS claims_run_progress (
    run_id BIGINT NOT NULL PRIMARY KEY,
    state VARCHAR(16) NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    started_at DOUBLE PRECISION NULL,
    updated_at DOUBLE PRECISION NOT NULL
)
"""
_UPSERT = """
INSERT INTO claims_run_progress (run_id, state, done, total, started_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (run_id) DO UPDATE SET
    state = excluded.state, done = excluded.done, total = excluded.total,
    started_at = excluded.started_at, updated_at = excluded.updated_at
"""
_SELECT = "SELECT run_id, state, done, total, started_at, updated_at FROM claims_run_progress"
_DELETE = "DELETE FROM claims_run_progress WHERE run_id = %s"


def _side(sql, params=None, fetch=False):
    """`sql` on the progress database's own connection (in autocommit: each
    statement is seen at once), making the table on first use."""
    connection = connections[settings.PROGRESS_DATABASE]
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except DatabaseError:
            if connection.in_atomic_block:
                raise
            cursor.execute(_CREATE)
            cursor.execute(sql, params)
        return cursor.fetchall() if fetch else None


def _epoch(moment):
    return moment.timestamp() if moment else None


def _moment(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC) if seconds else None


def _write_live(run):
    values = [run.pk, run.state, run.done, run.total, _epoch(run.started_at)]
    try:
        _side(_UPSERT, [*values, _epoch(timezone.now())])
    except DatabaseError:
        # Progress is for the eye; the run goes on without it.
        logger.warning("Run %s: live progress not written", run.pk, exc_info=True)


def _read_live():
    """{run id: (state, done, total, started_at, updated_at)}, empty when unreadable."""
    try:
        rows = _side(_SELECT, fetch=True)
    except DatabaseError:
        logger.warning("Live progress of runs not readable", exc_info=True)
        return {}
    return {
        run_id: (state, done, total, _moment(started), _moment(updated))
        for run_id, state, done, total, started, updated in rows
    }


def _forget_live(run_ids):
    try:
        for run_id in run_ids:
            _side(_DELETE, [run_id])
    except DatabaseError:
        logger.warning("Live progress of runs %s not forgotten", run_ids, exc_info=True)


def live(runs):
    """`runs` (Run instances, as a list) with what their worker last reported,
    for those still active: state, done, total, the stage's start, and
    `seen_at`, when it reported. The progress database is read only when one
    of them is active."""
    runs = list(runs)
    active = [run for run in runs if run.state in Run.ACTIVE]
    if active:
        reported = _read_live()
        for run in active:
            if run.pk in reported:
                run.state, run.done, run.total, run.started_at, run.seen_at = reported[run.pk]
    return runs


# --- What editors are told ------------------------------------------------------------


def _stale_since():
    return timezone.now() - datetime.timedelta(minutes=settings.RUN_STALE_MINUTES)


def writing_now():
    """The runs writing at this moment, with their live progress: those whose
    row says they write and that have reported within RUN_STALE_MINUTES."""
    found = list(Run.objects.writing().select_related("user")[:10])
    if not found:
        return []
    since = _stale_since()
    return [run for run in live(found) if run.state == Run.State.WRITING and run.last_seen > since]


def _clock(moment):
    moment = timezone.localtime(moment)
    same_day = moment.date() == timezone.localdate()
    return dateformat.format(moment, "H:i T" if same_day else "j F, H:i T")


def _describe(run):
    what = capfirst(run.get_kind_display())
    if run.file:
        what = _("%(kind)s “%(file)s”") % {"kind": what, "file": run.file}
    end = run.estimated_end
    if end is None:
        return _("%(run)s is writing (since %(start)s; its end cannot be estimated yet).") % {
            "run": what,
            "start": _clock(run.started_at or run.created_at),
        }
    return _("%(run)s is writing until about %(time)s.") % {"run": what, "time": _clock(end)}


def refusal():
    """Why a save is refused now, or None: while a run writes, on a database
    where one writer keeps every other waiting (SQLite)."""
    if not db.backend().DATABASE_WIDE_WRITE_LOCK:
        return None
    found = writing_now()
    if not found:
        return None
    return " ".join(
        [
            *(_describe(run) for run in found),
            _(
                "Nothing was saved: the database takes one writer at a time. Try again once it "
                "has finished."
            ),
        ]
    )


def notice():
    """[(level, message)] for the top of every admin page while a run writes:
    a warning where saves are refused meanwhile, else for information."""
    found = writing_now()
    if not found:
        return []
    if db.backend().DATABASE_WIDE_WRITE_LOCK:
        return [
            (
                "warning",
                _describe(run)
                + " "
                + _("Saving is refused until it has finished, rather than left to wait and fail."),
            )
            for run in found
        ]
    return [
        ("info", _describe(run) + " " + _("Editing goes on as usual meanwhile.")) for run in found
    ]


# --- Uploaded files and dead runs ----------------------------------------------------


def keep_upload(uploaded):
    """An uploaded file stored under RUN_UPLOAD_ROOT under a name of our own
    (never the one given), readable by this process's user only; its path,
    for `start(path=...)`."""
    root = Path(settings.RUN_UPLOAD_ROOT)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    suffix = Path(uploaded.name or "").suffix.lower()
    suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""
    target = root / f"{uuid.uuid4().hex}{suffix}"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return str(target)


def discard_upload(run):
    """The run's uploaded file deleted and forgotten; only a file under
    RUN_UPLOAD_ROOT is deleted. Whether there was one."""
    if not run.path:
        return False
    path = Path(run.path).resolve()
    if Path(settings.RUN_UPLOAD_ROOT).resolve() in path.parents:
        path.unlink(missing_ok=True)
    else:
        logger.warning("Run %s: %s is not under RUN_UPLOAD_ROOT; not deleted", run.pk, path)
    run.path = ""
    Run.objects.filter(pk=run.pk).update(path="")
    return True


def prune():
    """Runs whose worker died marked failed (active, and no progress for
    RUN_STALE_MINUTES); runs waiting for confirmation RUN_UPLOAD_HOURS after
    their upload cancelled; the uploads of runs not being worked on deleted
    after RUN_UPLOAD_HOURS; live progress of runs no longer active forgotten.
    The counts of each."""
    minutes, hours = settings.RUN_STALE_MINUTES, settings.RUN_UPLOAD_HOURS
    since = _stale_since()
    dead = [
        run
        for run in live(Run.objects.stale(minutes / 60))
        if run.state in Run.ACTIVE and run.last_seen < since
    ]
    for run in dead:
        error = _(
            "No progress for %(minutes)s minutes: the worker running it stopped. "
            "Marked failed by prune_runs."
        ) % {"minutes": minutes}
        finish(run, Run.State.FAILED, error=error)
    unconfirmed = Run.objects.filter(
        state=Run.State.READY, created_at__lt=timezone.now() - datetime.timedelta(hours=hours)
    )
    cancelled = unconfirmed.update(
        state=Run.State.CANCELLED,
        finished_at=timezone.now(),
        error=_("Not confirmed within %(hours)s hours of the upload.") % {"hours": hours},
    )
    uploads = sum(discard_upload(run) for run in Run.objects.uploads_older_than(hours))
    reported = _read_live()
    active = set(Run.objects.active().filter(pk__in=list(reported)).values_list("pk", flat=True))
    leftovers = [run_id for run_id in reported if run_id not in active]
    _forget_live(leftovers)
    return {
        "failed": len(dead),
        "cancelled": cancelled,
        "uploads": uploads,
        "forgotten": len(leftovers),
    }
