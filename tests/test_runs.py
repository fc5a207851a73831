"""Background runs (claims.runs, claims.tasks): tasks enqueued and executed by the
real worker (`db_worker --batch`) on the database under test; progress seen from
another connection while an import's transaction is open; what editors are told
and refused meanwhile; the read-only admin of runs; `prune_runs`."""

import datetime
import io
import json
import logging
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from claims import runs
from claims.db import backend
from claims.models import Claim, Run, Speaker
from tracker.settings import progress_database

from .admin_forms import CHANGELIST, form_data, form_values
from .factories import make_claim, make_speaker
from .sites import ON_POSTGRESQL, PROJECT, site_env, work

# Transactions as in production (the worker, on_commit, a second connection),
# with the progress database beside the default one.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

IMPORT = Run.Kind.IMPORT_SHEET
WRITING, DONE, FAILED, READY = (
    Run.State.WRITING,
    Run.State.DONE,
    Run.State.FAILED,
    Run.State.READY,
)
on_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite's one writer at a time")
on_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL is not PostgreSQL")


@pytest.fixture(autouse=True)
def handlers(request, monkeypatch):
    """A registry of handlers of the test's own, and no live progress left over
    (for the tests on the test databases)."""
    monkeypatch.setattr(runs, "_handlers", {})
    on_databases = request.node.get_closest_marker("django_db").kwargs.get("databases")
    if on_databases:
        runs._forget_live(list(runs._read_live()))
    yield runs.handler
    if on_databases:
        runs._forget_live(list(runs._read_live()))


@pytest.fixture
def editor(django_user_model):
    """An editor as the Editors group makes one (the group itself, made by a data
    migration, does not outlive the flush of a transactional test): every
    permission on the claims app but publishing."""
    user = django_user_model.objects.create_user("editor", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="claims").exclude(
            codename="publish_claim"
        )
    )
    return user


@pytest.mark.django_db
def test_editors_and_reviewers_may_view_runs_only():
    for name in ["Editors", "Reviewers"]:
        codenames = set(
            Group.objects.get(name=name)
            .permissions.filter(content_type__model="run")
            .values_list("codename", flat=True)
        )
        assert codenames == {"view_run"}


def in_another_thread(fn):
    """What `fn` returns when called in a thread of its own, on connections of its own."""
    outcome = {}

    def call():
        try:
            outcome["value"] = fn()
        except Exception as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the other connection waited (for a lock?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def writing_run(minutes_ago=10, done=50, total=100, **fields):
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    fields = {"kind": IMPORT, "file": "claims.xlsx", "state": WRITING, **fields}
    return Run.objects.create(started_at=started, done=done, total=total, **fields)


# --- The worker runs what is registered -----------------------------------------------


def test_a_registered_handler_runs_in_the_worker_and_records_progress_and_report(handlers):
    called = []

    @handlers(IMPORT)
    def count_rows(run, rows, sheet):
        called.append((run.pk, rows, sheet))
        for done in range(1, rows + 1):
            runs.progress(run, done, rows)
        run.report = {"created": rows, "sheet": sheet}

    run = runs.start(IMPORT, None, file="claims.xlsx", rows=3, sheet="Claims")
    assert run.state == Run.State.QUEUED and run.task_id
    work()

    run.refresh_from_db()
    assert called == [(run.pk, 3, "Claims")]
    assert (run.state, run.done, run.total) == (DONE, 3, 3)
    assert run.report == {"created": 3, "sheet": "Claims"}
    assert run.started_at <= run.finished_at
    assert run.error == ""
    result = DBTaskResult.objects.get(pk=run.task_id)
    assert result.status == "SUCCESSFUL"
    assert result.task_path == "claims.tasks.execute"
    assert runs._read_live() == {}  # forgotten once the run ended


def test_the_task_is_enqueued_only_once_the_run_is_committed(handlers):
    handlers(IMPORT)(lambda run: None)
    with transaction.atomic():
        run = runs.start(IMPORT, None)
        assert not DBTaskResult.objects.exists()
    assert DBTaskResult.objects.get().args_kwargs == {"args": [run.pk, {}], "kwargs": {}}
    assert Run.objects.get(pk=run.pk).task_id == run.task_id != ""


def test_a_handler_that_raises_leaves_the_run_failed_with_its_message(handlers, caplog):
    @handlers(IMPORT)
    def fail(run):
        runs.progress(run, 6, 10)
        run.report = {"checked": 6}
        raise ValueError("Row 7: no speaker is named “Kremlin spokesman”.")

    run = runs.start(IMPORT, None, file="claims.xlsx")
    with caplog.at_level(logging.ERROR, logger="claims.tasks"):
        work()

    run.refresh_from_db()
    assert run.state == FAILED
    assert run.error == "Row 7: no speaker is named “Kremlin spokesman”."
    assert (run.done, run.total) == (6, 10)
    assert run.finished_at is not None
    assert run.report == {"checked": 6}
    assert "Traceback" not in json.dumps(run.report) + run.error
    logged = [r for r in caplog.records if r.name == "claims.tasks"]
    assert logged and logged[0].exc_info[0] is ValueError  # the traceback is in the log
    assert DBTaskResult.objects.get(pk=run.task_id).status == "FAILED"


def test_a_preview_waits_for_confirmation_then_writes(handlers):
    @handlers(IMPORT)
    def import_sheet(run, confirmed=False):
        if not confirmed:
            runs.progress(run, 2, 2, state=READY)
            run.report = {"would_create": 2}
            return
        with runs.writing(run, total=2):
            make_speaker(slug="imported-1")
            runs.progress(run, 1)
            make_speaker(slug="imported-2")
            runs.progress(run, 2)
        run.report = {"created": 2}

    run = runs.start(IMPORT, None, file="two.xlsx")
    work()
    run.refresh_from_db()
    assert (run.state, run.report, run.finished_at) == (READY, {"would_create": 2}, None)
    assert not Speaker.objects.filter(slug__startswith="imported").exists()

    runs.resume(run, confirmed=True)
    with pytest.raises(ValueError, match="not waiting for confirmation"):
        runs.resume(run, confirmed=True)  # a second click
    work()
    run.refresh_from_db()
    assert (run.state, run.done, run.total, run.report) == (DONE, 2, 2, {"created": 2})
    assert Speaker.objects.filter(slug__startswith="imported").count() == 2
    assert DBTaskResult.objects.count() == 2


def test_a_run_cancelled_before_the_worker_comes_is_not_executed(handlers, settings, tmp_path):
    settings.RUN_UPLOAD_ROOT = tmp_path
    called = []
    handlers(IMPORT)(lambda run: called.append(run.pk))
    path = runs.keep_upload(SimpleUploadedFile("claims.xlsx", b"sheet"))
    run = runs.start(IMPORT, None, file="claims.xlsx", path=path)
    assert runs.cancel(run)
    work()
    run.refresh_from_db()
    assert called == []
    assert run.state == Run.State.CANCELLED and run.finished_at
    assert run.path == "" and not Path(path).exists()
    assert not runs.cancel(run)


def test_an_unknown_kind_is_refused_before_anything_is_queued():
    with pytest.raises(LookupError, match="no_such_kind"):
        runs.start("no_such_kind", None)
    assert not Run.objects.exists() and not DBTaskResult.objects.exists()


def test_writing_must_open_the_transaction_itself():
    run = writing_run(state=Run.State.PREVIEWING)
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside"), runs.writing(run):
        pass


# --- Progress seen while the import's transaction is open ---------------------------


def test_progress_inside_a_long_transaction_is_seen_from_another_connection():
    run = writing_run(state=Run.State.PREVIEWING, done=0, total=0)
    with runs.writing(run, total=10):
        make_speaker(slug="written-by-the-import")
        runs.progress(run, 4)

        def look():
            stored = Run.objects.get(pk=run.pk)
            durable = (stored.state, stored.done, stored.total)
            (seen,) = runs.live([stored])
            return durable, (seen.state, seen.done, seen.total, seen.seen_at)

        durable, seen = in_another_thread(look)
        # The run's own row says "writing" (saved before the transaction) but
        # not what has been done since; the side channel says it at once.
        assert durable == (WRITING, 0, 10)
        assert seen[:3] == (WRITING, 4, 10)
        assert seen[3] > timezone.now() - datetime.timedelta(minutes=1)
        assert "done" in run._unsaved
    runs.finish(run)
    stored = Run.objects.get(pk=run.pk)
    assert (stored.state, stored.done, stored.total) == (DONE, 4, 10)
    assert Speaker.objects.filter(slug="written-by-the-import").exists()


def test_progress_outside_a_transaction_is_saved_on_the_run_too():
    run = writing_run(state=Run.State.PREVIEWING, done=0, total=0)
    runs.progress(run, 3, 9)
    stored = Run.objects.get(pk=run.pk)
    assert (stored.done, stored.total) == (3, 9)
    assert run._unsaved == set()


def test_the_side_channel_makes_its_table_again_when_it_is_gone():
    with connections["progress"].cursor() as cursor:
        cursor.execute("DROP TABLE claims_run_progress")
    assert runs._read_live() == {}
    run = writing_run()
    runs.progress(run, 60)
    assert runs._read_live()[run.pk][:3] == (WRITING, 60, 100)


@on_postgresql
def test_on_postgresql_editors_save_while_an_import_writes(editor):
    run = writing_run(state=Run.State.PREVIEWING, done=0, total=0)
    speaker = make_speaker(name="Before")
    with runs.writing(run, total=10):
        make_speaker(slug="written-by-the-import")
        runs.progress(run, 4)

        def edit():
            client = Client()
            client.force_login(editor)
            url = reverse("admin:claims_speaker_change", args=[speaker.pk])
            page = client.get(url)
            data = form_data(page) | {"name": "After"}
            return page.content.decode(), client.post(url, data)

        page, response = in_another_thread(edit)
        assert "is writing until about" in page
        assert "Editing goes on as usual" in page
        assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.name == "After"


# --- What editors are told, and refused, while a run writes ------------------------


def speaker_change(speaker):
    return reverse("admin:claims_speaker_change", args=[speaker.pk])


def test_no_run_writing_no_notice(editor_client):
    Run.objects.create(kind=IMPORT, state=DONE)
    page = editor_client.get(reverse("admin:index")).content.decode()
    assert "is writing" not in page


def test_the_notice_says_until_when_the_run_should_write(editor_client):
    writing_run(minutes_ago=10, done=50, total=100)
    page = editor_client.get(reverse("admin:index")).content.decode()
    end = timezone.now() + datetime.timedelta(minutes=10)
    # "HH:MM UTC", with the date when that is another day.
    expected = [runs._clock(end + datetime.timedelta(minutes=shift)) for shift in (-1, 0, 1)]
    assert "Spreadsheet import “claims.xlsx” is writing until about" in page
    assert any(f"until about {clock}." in page for clock in expected), page
    assert all(
        clock.endswith(f"{(end + datetime.timedelta(minutes=shift)):%H:%M} UTC")
        for shift, clock in zip((-1, 0, 1), expected, strict=True)
    )


def test_the_notice_follows_the_live_progress(editor_client):
    run = writing_run(minutes_ago=10, done=0, total=100)
    page = editor_client.get(reverse("admin:index")).content.decode()
    assert "its end cannot be estimated yet" in page
    run.done = 50
    runs._write_live(run)  # reported from inside the import's transaction
    page = editor_client.get(reverse("admin:index")).content.decode()
    assert "is writing until about" in page


def test_a_run_silent_for_too_long_is_taken_for_dead(editor_client, settings):
    settings.RUN_STALE_MINUTES = 30
    writing_run(minutes_ago=45)
    speaker = make_speaker(name="Before")
    assert "is writing" not in editor_client.get(speaker_change(speaker)).content.decode()
    assert runs.refusal() is None


@on_sqlite
def test_on_sqlite_a_save_is_refused_at_once_while_a_run_writes(editor_client):
    assert backend().DATABASE_WIDE_WRITE_LOCK
    speaker = make_speaker(name="Before")
    page = editor_client.get(speaker_change(speaker))
    writing_run()

    shown = editor_client.get(speaker_change(speaker)).content.decode()
    assert "is writing until about" in shown and "Saving is refused" in shown

    response = editor_client.post(speaker_change(speaker), form_data(page) | {"name": "After"})
    assert response.status_code == 200  # the form again, with what was typed
    assert "Nothing was saved" in response.content.decode()
    assert response.context["adminform"].form["name"].value() == "After"
    speaker.refresh_from_db()
    assert speaker.name == "Before"

    added = editor_client.post(
        reverse("admin:claims_speaker_add"), {"name": "New", "slug": "new", "kind": "person"}
    )
    assert added.status_code == 200 and not Speaker.objects.filter(slug="new").exists()

    delete = reverse("admin:claims_speaker_delete", args=[speaker.pk])
    response = editor_client.post(delete, {"post": "yes"}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    assert Speaker.objects.filter(pk=speaker.pk).exists()


@on_sqlite
def test_on_sqlite_bulk_actions_that_write_are_refused_and_reading_ones_go_on(editor_client):
    claim = make_claim(status=Claim.Status.DRAFT)
    writing_run()
    selected = {"_selected_action": [claim.pk]}
    response = editor_client.post(CHANGELIST, {"action": "send_to_review", **selected}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT

    export = editor_client.post(CHANGELIST, {"action": "export_fixture", **selected})
    assert export.status_code == 200
    assert claim.slug in b"".join(export.streaming_content).decode()


@on_sqlite
def test_on_sqlite_a_revert_is_refused_too(editor_client):
    speaker = make_speaker(name="Before")
    speaker.name = "After"
    speaker.save()
    version = speaker.history.earliest()
    url = reverse("admin:claims_speaker_simple_history", args=[speaker.pk, version.history_id])
    page = editor_client.get(url)
    writing_run()
    response = editor_client.post(url, form_values(page.context["adminform"].form))
    assert "Nothing was saved" in response.content.decode()
    speaker.refresh_from_db()
    assert speaker.name == "After"


@on_postgresql
def test_on_postgresql_a_save_goes_through_while_a_run_writes(editor_client):
    assert not backend().DATABASE_WIDE_WRITE_LOCK
    speaker = make_speaker(name="Before")
    page = editor_client.get(speaker_change(speaker))
    writing_run()
    shown = editor_client.get(speaker_change(speaker)).content.decode()
    assert "is writing until about" in shown and "Editing goes on as usual" in shown
    assert "Saving is refused" not in shown
    response = editor_client.post(speaker_change(speaker), form_data(page) | {"name": "After"})
    assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.name == "After"
    assert runs.refusal() is None


@on_sqlite
def test_on_sqlite_a_new_run_waits_for_none_while_one_writes(handlers):
    handlers(IMPORT)(lambda run: None)
    writing_run()
    with pytest.raises(runs.Busy, match="is writing until about"):
        runs.start(IMPORT, None)


# --- The admin of runs ------------------------------------------------------------------


def test_staff_allowed_to_view_runs_follow_them_live(editor_client):
    finished = Run.objects.create(
        kind=IMPORT,
        file="old.xlsx",
        path="/srv/private/2f9c.xlsx",
        state=DONE,
        done=4,
        total=4,
        report={"created": 3, "updated_rows": [2, 5], "problems": {"row 4": "no speaker"}},
    )
    going = writing_run(file="new.xlsx", done=0, total=200)
    runs.progress(going, 50)  # saved on the run too (no transaction here)
    Run.objects.filter(pk=going.pk).update(done=0)  # as if reported from inside one

    listing = editor_client.get(reverse("admin:claims_run_changelist")).content.decode()
    assert "new.xlsx" in listing and "old.xlsx" in listing
    assert '<progress value="25" max="100">' in listing  # 50 of 200, live
    assert '<progress value="100" max="100">' in listing
    assert "/srv/private" not in listing

    page = editor_client.get(reverse("admin:claims_run_change", args=[finished.pk]))
    text = page.content.decode()
    assert "<dt>Updated rows</dt><dd><ul><li>2</li><li>5</li></ul></dd>" in text
    assert "no speaker" in text and "/srv/private" not in text
    assert 'name="file"' not in text  # read only


def test_nobody_adds_changes_or_deletes_a_run(editor_client, client, django_user_model):
    run = Run.objects.create(kind=IMPORT, state=DONE)
    assert editor_client.get(reverse("admin:claims_run_add")).status_code == 403
    change = reverse("admin:claims_run_change", args=[run.pk])
    assert editor_client.post(change, {"state": "failed"}).status_code == 403
    delete = reverse("admin:claims_run_delete", args=[run.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Run.objects.get(pk=run.pk).state == DONE

    staff = django_user_model.objects.create_user("staff", is_staff=True)
    client.force_login(staff)  # staff, but not allowed to view runs
    assert client.get(reverse("admin:claims_run_changelist")).status_code == 403


# --- Pruning -------------------------------------------------------------------------


def test_prune_runs_deletes_old_uploads_and_marks_dead_runs_failed(settings, tmp_path):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    settings.RUN_UPLOAD_HOURS = 24
    settings.RUN_STALE_MINUTES = 30

    def upload(name):
        return runs.keep_upload(SimpleUploadedFile(name, b"rows"))

    def aged(run, hours):
        Run.objects.filter(pk=run.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=hours)
        )
        return run

    unconfirmed = aged(Run.objects.create(kind=IMPORT, state=READY, path=upload("a.xlsx")), 25)
    finished = aged(Run.objects.create(kind=IMPORT, state=DONE, path=upload("b.xlsx")), 25)
    recent = aged(Run.objects.create(kind=IMPORT, state=READY, path=upload("c.xlsx")), 2)
    outside = tmp_path / "not-an-upload.xlsx"
    outside.write_bytes(b"keep me")
    stray = aged(Run.objects.create(kind=IMPORT, state=DONE, path=str(outside)), 25)
    dead = writing_run(minutes_ago=120)
    alive = writing_run(minutes_ago=120)
    runs.progress(alive, 60)  # reported just now
    leftover = Run.objects.create(kind=IMPORT, state=DONE)
    runs._write_live(leftover)

    out = io.StringIO()
    call_command("prune_runs", stdout=out)

    for run in (unconfirmed, finished, recent, stray, dead, alive):
        run.refresh_from_db()
    assert unconfirmed.state == Run.State.CANCELLED and "Not confirmed within 24 hours" in (
        unconfirmed.error
    )
    assert unconfirmed.path == finished.path == "" and finished.state == DONE
    assert recent.state == READY and Path(recent.path).exists()
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [Path(recent.path).name]
    assert outside.exists() and stray.path == ""
    assert dead.state == FAILED and dead.finished_at and "No progress for 30 minutes" in dead.error
    assert alive.state == WRITING and alive.done == 60
    assert set(runs._read_live()) == {alive.pk}
    assert out.getvalue().strip() == (
        "1 run(s) marked failed, 1 unconfirmed run(s) cancelled, 3 upload(s) deleted, "
        "1 live progress row(s) forgotten."
    )


def test_an_upload_is_kept_under_a_name_of_our_own_for_this_user_only(settings, tmp_path):
    settings.RUN_UPLOAD_ROOT = tmp_path
    path = Path(runs.keep_upload(SimpleUploadedFile("../../Claims 2016.XLSX", b"rows")))
    assert path.parent == tmp_path and path.suffix == ".xlsx"
    assert "Claims" not in path.name
    assert path.read_bytes() == b"rows"
    assert path.stat().st_mode & 0o777 == 0o600
    odd = Path(runs.keep_upload(SimpleUploadedFile("sheet.x;rm -rf", b"")))
    assert odd.suffix == ""


# --- The model and the settings, without the worker --------------------------------


@pytest.mark.parametrize(
    ("state", "done", "total", "percent", "minutes_left"),
    [
        (WRITING, 50, 100, 50, 10),
        (WRITING, 25, 100, 25, 30),
        (WRITING, 0, 100, 0, None),  # nothing done yet: no pace
        (WRITING, 30, 0, None, None),  # total unknown
        (DONE, 100, 100, 100, None),  # not working
    ],
)
def test_progress_and_estimated_end(state, done, total, percent, minutes_left):
    now = timezone.now()
    run = Run(state=state, done=done, total=total, started_at=now - datetime.timedelta(minutes=10))
    assert run.progress_percent == percent
    end = run.estimated_end
    if minutes_left is None:
        assert end is None
    else:
        left = (end - now).total_seconds() / 60
        assert minutes_left - 0.1 < left < minutes_left + 0.1


def test_the_progress_database_is_a_file_beside_sqlite_and_the_same_database_on_postgresql():
    sqlite = progress_database(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/cc/counterclaim.sqlite3"}
    )
    assert sqlite["NAME"] == "/srv/cc/counterclaim-progress.sqlite3"
    assert sqlite["TEST"] == {}
    default = {"ENGINE": "tracker.postgresql", "NAME": "cc", "TEST": {"CHARSET": "UTF8"}}
    postgresql = progress_database(default)
    assert postgresql["NAME"] == "cc"
    assert postgresql["TEST"] == {"CHARSET": "UTF8", "MIRROR": "default"}
    assert default["TEST"] == {"CHARSET": "UTF8"}  # the default's own left alone


# --- SQLite files, as on a server: an import holding the write lock --------------

IMPORT_HOLDING_THE_LOCK = """
import sys
from django.contrib.auth import get_user_model
from django.utils import timezone
from claims import runs
from claims.models import Run, Speaker

user = get_user_model().objects.get(username="editor")
run = Run.objects.create(kind="import_sheet", user=user, file="claims.xlsx",
                         state="previewing", started_at=timezone.now())
with runs.writing(run, total=10):
    Speaker.objects.create(name="Written by the import", slug="written-by-the-import")
    runs.progress(run, 4)
    print("WRITING", run.pk, flush=True)
    sys.stdin.readline()
print("COMMITTED", flush=True)
"""

EDITOR_MEANWHILE = """
import json, sys, time
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import Client
from claims import runs
from claims.models import Run, Speaker

User = get_user_model()
editor = User.objects.create_superuser("editor", password="x")
speaker = Speaker.objects.create(name="Before", slug="before")
client = Client()
client.force_login(editor)
url = f"/admin/claims/speaker/{speaker.pk}/change/"
data = {"name": "After", "slug": "before", "kind": "person"}
print("READY", flush=True)
sys.stdin.readline()

result = {}
(run,) = runs.live(Run.objects.all())
result["live"] = [run.state, run.done, run.total]
result["stored"] = list(Run.objects.values_list("state", "done", "total").get())
result["notice"] = "is writing" in client.get(url).content.decode()
began = time.monotonic()
response = client.post(url, data)
result["post_seconds"] = time.monotonic() - began
result["post_status"] = response.status_code
result["refused"] = "Nothing was saved" in response.content.decode()
try:
    Speaker.objects.filter(pk=speaker.pk).update(short_name="direct")
    result["direct_write"] = "saved"
except OperationalError as error:
    result["direct_write"] = str(error)
print("RESULT", json.dumps(result), flush=True)
"""


class Process:
    """A manage.py shell process whose lines are read as they come."""

    def __init__(self, env, code):
        self.popen = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.put(line)

    def expect(self, word, timeout=60):
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no {word} within {timeout} s:\n{''.join(self.seen)}")
            self.seen.append(line)
            if line.startswith(word):
                return line.split(" ", 1)[1].strip() if " " in line else ""

    def say(self):
        self.popen.stdin.write("\n")
        self.popen.stdin.flush()

    def end(self):
        try:
            self.popen.wait(timeout=30)
        finally:
            self.popen.kill()


@on_sqlite
@pytest.mark.django_db(transaction=False, databases=[])
def test_on_sqlite_files_progress_and_the_refusal_while_an_import_holds_the_write_lock(
    migrated_sqlite, tmp_path
):
    database = shutil.copy(migrated_sqlite, tmp_path / "site.sqlite3")
    env = site_env(f"sqlite:///{database}", tmp_path / "media")
    env |= {"SQLITE_BUSY_TIMEOUT": "2", "ALLOWED_HOSTS": "testserver"}
    editor = Process(env, EDITOR_MEANWHILE)
    importer = None
    try:
        editor.expect("READY")
        importer = Process(env, IMPORT_HOLDING_THE_LOCK)
        importer.expect("WRITING")
        editor.say()
        result = json.loads(editor.expect("RESULT"))
        importer.say()
        importer.expect("COMMITTED")
    finally:
        editor.end()
        if importer:
            importer.end()

    assert result["live"] == ["writing", 4, 10]  # from the side file, at once
    assert result["stored"] == ["writing", 0, 10]  # the run's row: before the transaction
    assert result["notice"]
    assert result["refused"] and result["post_status"] == 200
    assert result["post_seconds"] < 2  # refused at once, not after the busy timeout
    assert "database is locked" in result["direct_write"]  # the lock was really held
    assert (tmp_path / "site-progress.sqlite3").exists()
    check = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", CHECK_AFTER],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.split() == ["Before", "True"], check.stderr


CHECK_AFTER = """
from claims.models import Speaker
print(Speaker.objects.get(slug="before").name)
print(Speaker.objects.filter(slug="written-by-the-import").exists())
"""
