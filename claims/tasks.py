"""What the worker (`manage.py db_worker`) executes: one task, for every run,
which calls the handler `claims.runs` has registered for the run's kind."""

import logging

from django_tasks import task

from . import runs
from .exchange.sheets import background  # noqa: F401 (the spreadsheet import's handler)
from .models import Run

# A module that registers a handler (`@runs.handler(kind)`) is imported here,
# so that the worker, which imports this module, knows its kind.

logger = logging.getLogger(__name__)


@task()
def execute(run_id, arguments):
    """Run `run_id`, if it is still queued: the stage "previewing" begins now
    (a handler enters "writing" through `runs.writing`), the handler of its
    kind is called with `arguments`, and the run ends done, or in the state
    the handler left it in (such as ready), or failed with the error's message.
    The traceback goes to the log and the task's result, never to the run's
    report, which editors read."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("Run %s no longer exists: nothing to do.", run_id)
        return
    if run.state != Run.State.QUEUED:
        logger.info("Run %s is %s, no longer queued: left as it is.", run_id, run.state)
        return
    runs.progress(run, 0, state=Run.State.PREVIEWING)
    try:
        runs.handler_for(run.kind)(run, **arguments)
    except Exception as error:
        logger.exception("Run %s (%s) failed", run.pk, run.kind)
        runs.finish(run, Run.State.FAILED, error=str(error) or type(error).__name__)
        raise
    runs.finish(run)
