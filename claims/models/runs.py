"""Background work and its record: one `Run` for each spreadsheet import (and,
later, each re-indexing, matching or dataset release), with its state, its
progress and its report. `claims.runs` starts runs and reports their progress;
`claims.tasks` is what the worker executes. A run keeps no history: it is a
record already, and it changes every few hundred rows."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Run", "RunQuerySet"]


class RunQuerySet(models.QuerySet):
    def active(self):
        """Runs a worker has still to start, or is working on."""
        return self.filter(state__in=Run.ACTIVE)

    def writing(self):
        """Runs writing to the database now (holding the write lock on SQLite)."""
        return self.filter(state=Run.State.WRITING)

    def stale(self, hours):
        """Active runs whose row has not moved for `hours` (which may be a
        fraction): neither started nor created since. Their live progress
        (claims.runs.live) says whether they are still going."""
        since = timezone.now() - datetime.timedelta(hours=hours)
        return (
            self.active().alias(moved=Coalesce("started_at", "created_at")).filter(moved__lt=since)
        )

    def uploads_older_than(self, hours):
        """Runs not being worked on whose uploaded file was given more than
        `hours` ago and is still kept."""
        since = timezone.now() - datetime.timedelta(hours=hours)
        return self.exclude(path="").exclude(state__in=Run.ACTIVE).filter(created_at__lt=since)


class Run(models.Model):
    """One piece of background work, from the upload to its report."""

    class Kind(models.TextChoices):
        IMPORT_SHEET = "import_sheet", _("spreadsheet import")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        PREVIEWING = "previewing", _("previewing")
        READY = "ready", _("ready: preview done, waiting for confirmation")
        WRITING = "writing", _("writing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # PROTECT: who ran an import is part of its record (its report says what it
    # changed). People who leave are made inactive, not deleted; deleting one who
    # ran something is refused, naming the runs. Empty for work nobody started
    # by hand (a later re-indexing or dataset release).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("started by"),
    )
    file = models.CharField(
        _("file"), max_length=255, blank=True, help_text=_("The file's name as it was given.")
    )
    # Where the uploaded file is kept (under RUN_UPLOAD_ROOT); never shown.
    path = models.CharField(_("stored at"), max_length=500, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(
        _("total"), default=0, help_text=_("0 while the total is not known.")
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(
        _("task"), max_length=64, blank=True, help_text=_("The id of the background task.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_default=Now())
    started_at = models.DateTimeField(
        _("started"),
        null=True,
        blank=True,
        help_text=_("When the current stage (preview or writing) began."),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = RunQuerySet.as_manager()

    ACTIVE = (State.QUEUED, State.PREVIEWING, State.WRITING)
    WORKING = (State.PREVIEWING, State.WRITING)
    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    # When the run last reported progress, from its live progress (claims.runs.live).
    seen_at = None

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        indexes = [models.Index(fields=["state"], name="run_state")]

    def __str__(self):
        name = f" {self.file}" if self.file else ""
        return f"{self.get_kind_display()}{name} ({self.get_state_display()})"

    @property
    def progress_percent(self):
        """How far the current stage is, 0 to 100; None while the total is unknown."""
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    @property
    def estimated_end(self):
        """When the current stage should end, at the pace it has kept since it
        began; None when that cannot be told (not working, or nothing done yet,
        or no total)."""
        if self.state not in self.WORKING or not self.started_at or not self.done:
            return None
        if not self.total:
            return None
        elapsed = timezone.now() - self.started_at
        return self.started_at + elapsed * (max(self.total, self.done) / self.done)

    @property
    def last_seen(self):
        """The latest sign of life: live progress, else the start of the stage, else creation."""
        return self.seen_at or self.started_at or self.created_at
