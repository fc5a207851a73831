"""The admin's "Import a spreadsheet" pages as an editor uses them: upload,
map the columns (or take a saved mapping), preview, map a new speaker to
one kept, confirm; a large file previewed and written by the worker."""

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from claims.models import Claim, ExternalId, Mapping, Run, Speaker

from .sites import ON_POSTGRESQL, work

# The preview tells its progress through the progress database too.
pytestmark = pytest.mark.django_db(databases="__all__")

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
IMPORT = "/admin/claims/claim/import/"


def upload(client, name="cases.csv", content=None, **fields):
    content = content if content is not None else (EXAMPLES / "cases.csv").read_bytes()
    response = client.post(
        IMPORT, {"file": SimpleUploadedFile(name, content), **fields}, follow=False
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Run.objects.latest("pk")


def import_example(user, stdout=None):
    call_command(
        "import_sheet",
        str(EXAMPLES / "cases.csv"),
        "--mapping",
        str(EXAMPLES / "cases-mapping.json"),
        "--user",
        user,
        stdout=stdout or io.StringIO(),
    )


def saved_mapping(document, slug, name=None, namespace=None):
    """A saved Mapping of a mapping document (its name and namespace apart)."""
    return Mapping.objects.create(
        slug=slug,
        name=name or document["name"],
        namespace=namespace or document["namespace"],
        spec={k: v for k, v in document.items() if k not in ("name", "namespace")},
    )


def mapping_form(document, columns):
    """The mapping page's fields for a mapping document."""
    form = {"name": document["name"], "namespace": document["namespace"]}
    entries = {}
    for entry in document["columns"]:
        entries.setdefault(entry["column"], []).append(entry)
    for index, column in enumerate(columns):
        for extra, entry in enumerate(entries.get(column, [])):
            form[f"c{index}_t{extra}"] = entry["target"]
            if "format" in entry:
                written = entry["format"]
                form[f"c{index}_format"] = written[0] if isinstance(written, list) else written
            if entry.get("separator"):
                form[f"c{index}_separator"] = entry["separator"]
            if entry.get("find_urls"):
                form[f"c{index}_find_urls"] = "on"
            if entry.get("role"):
                form[f"c{index}_role"] = entry["role"]
            if entry.get("unreadable") == "note":
                form[f"c{index}_unreadable"] = "on"
            if entry.get("values"):
                form[f"c{index}_values"] = "\n".join(
                    f"{k} = {v}" for k, v in entry["values"].items()
                )
    for target, value in document["constants"].items():
        form[f"k_{target}"] = value
    return form


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("sheets", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_only_editors_who_may_add_claims_see_the_page(client, django_user_model, db):
    reader = django_user_model.objects.create_user("reader", is_staff=True)
    client.force_login(reader)
    assert client.get(IMPORT).status_code == 403


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_upload_map_preview_confirm(staff_client, staff, settings, tmp_path):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    page = staff_client.get("/admin/claims/claim/")
    assert "Import a spreadsheet" in page.content.decode()
    run = upload(staff_client)
    stored = Path(run.path)
    assert stored.exists() and str(stored).startswith(str(tmp_path / "uploads"))
    page = staff_client.get(f"{IMPORT}{run.pk}/mapping/")
    text = page.content.decode()
    assert "utf-8 (bom)" in text and "Case ID" in text and "SY-001" in text  # samples
    document = json.loads((EXAMPLES / "cases-mapping.json").read_text())
    columns = ["Case ID", "Date", "Outlet", "Language", "Keywords", "Source URL", "Summary"]
    form = mapping_form(document, [*columns, "Disproof"])
    form["save"] = "on"
    response = staff_client.post(f"{IMPORT}{run.pk}/mapping/", form)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == Run.State.READY and run.report["stage"] == "preview", run.report["outcome"][
        "problems"
    ]
    page = staff_client.get(f"{IMPORT}{run.pk}/").content.decode()
    assert "What the import will do" in page and "Confirm: import all rows" in page
    assert "Russian aircraft have not struck" in page  # the preview's first rows
    assert Claim.objects.count() == 0  # a preview writes nothing
    assert Mapping.objects.filter(name="Example case file").exists()
    # A new name filed under a speaker kept: the preview is made again with it.
    rt = Speaker.objects.create(name="Russia Today", slug="russia-today", kind="media")
    names = [entry["name"] for entry in run.report["outcome"]["new_speakers"]]
    response = staff_client.post(
        f"{IMPORT}{run.pk}/", {"confirm": "1", f"speaker_{names.index('RT')}": "russia-today"}
    )
    run.refresh_from_db()
    assert run.report["mapping"]["speakers"] == {"RT": "russia-today"}
    assert Claim.objects.count() == 0
    response = staff_client.post(f"{IMPORT}{run.pk}/", {"confirm": "1"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == Run.State.DONE, run.report
    assert Claim.objects.count() == 11
    assert Claim.objects.filter(speaker=rt).count() == 1
    assert run.report["mapping"]["columns"][-1]["role"] == "supports"  # the evidence role kept
    rt.refresh_from_db()
    assert rt.aliases == ["RT"]
    assert not stored.exists()  # the upload is deleted after the import
    page = staff_client.get(f"{IMPORT}{run.pk}/").content.decode()
    assert "What the import did" in page and "Claims created" in page
    first = ExternalId.objects.get(value="SY-001").claim
    assert f"/admin/claims/claim/{first.pk}/change/" in page
    # A second confirmation is refused.
    staff_client.post(f"{IMPORT}{run.pk}/", {"confirm": "1"})
    assert Claim.objects.count() == 11


def test_a_saved_mapping_and_problems_shown_before_anything_is_written(
    staff_client, settings, tmp_path
):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    document = json.loads((EXAMPLES / "cases-mapping.json").read_text())
    for column in document["columns"]:
        if column["target"] in ("said_on", "counterclaim.said_on"):
            column.pop("unreadable")
    saved = saved_mapping(document, "strict", "Strict", "x")
    run = upload(staff_client, saved=saved.pk)
    page = staff_client.get(f"{IMPORT}{run.pk}/mapping/").content.decode()
    assert 'value="Strict"' in page  # the saved mapping fills the form
    columns = ["Case ID", "Date", "Outlet", "Language", "Keywords", "Source URL", "Summary"]
    form = mapping_form({**document, "name": "Strict", "namespace": "x"}, [*columns, "Disproof"])
    staff_client.post(f"{IMPORT}{run.pk}/mapping/", form)
    run.refresh_from_db()
    assert run.state == Run.State.FAILED
    page = staff_client.get(f"{IMPORT}{run.pk}/").content.decode()
    assert "row 7, column “Date”: “31.02.2016” is not a date that exists." in page
    assert "Confirm: import all rows" not in page
    assert Claim.objects.count() == 0


def test_a_file_over_the_limit_is_refused_at_upload(staff_client, settings, db):
    settings.SHEET_MAX_BYTES = 100
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("big.csv", b"a;b\n" * 100)})
    assert response.status_code == 200
    assert "over the limit" in response.content.decode()
    assert not Run.objects.exists()


def test_an_unreadable_file_says_so(staff_client, settings, tmp_path, db):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    run = upload(staff_client, name="cases.xlsx", content=b"not a workbook")
    response = staff_client.get(f"{IMPORT}{run.pk}/mapping/", follow=True)
    assert "cannot be read" in response.content.decode()
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and not run.path


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_large_file_is_previewed_and_written_by_the_worker(
    client, django_user_model, settings, tmp_path
):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    settings.SHEET_BACKGROUND_ROWS = 3
    user = django_user_model.objects.create_user("bulk", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    client.force_login(user)
    document = json.loads((EXAMPLES / "cases-mapping.json").read_text())
    saved = saved_mapping(document, "cases")
    run = upload(client, saved=saved.pk)
    columns = ["Case ID", "Date", "Outlet", "Language", "Keywords", "Source URL", "Summary"]
    client.post(f"{IMPORT}{run.pk}/mapping/", mapping_form(document, [*columns, "Disproof"]))
    run.refresh_from_db()
    assert run.state == Run.State.QUEUED  # 7 rows > 3: the worker previews it
    work()
    run.refresh_from_db()
    assert run.state == Run.State.READY, (run.error, run.report.get("outcome"))
    assert Claim.objects.count() == 0
    client.post(f"{IMPORT}{run.pk}/", {"confirm": "1"})
    run.refresh_from_db()
    assert run.state == Run.State.QUEUED
    work()
    run.refresh_from_db()
    assert run.state == Run.State.DONE, (run.error, run.report.get("outcome"))
    assert Claim.objects.count() == 11
    assert run.done == 7


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_command_records_its_import_as_a_run(django_user_model):
    from django.core.management import CommandError
    from django.utils import timezone

    from claims import runs

    user = django_user_model.objects.create_user("cli", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    import_example("cli")
    run = Run.objects.get()
    assert run.state == Run.State.DONE and run.user == user and run.done == 7
    assert any("claims.claim: 11 created" in line for line in run.report["lines"])
    # Another import writing: on SQLite the command refuses at once, as the admin does.
    other = Run.objects.create(
        kind=Run.Kind.IMPORT_SHEET, user=user, file="other.csv", started_at=timezone.now()
    )
    runs.progress(other, 0, total=10, state=Run.State.WRITING)
    try:
        if ON_POSTGRESQL:
            assert runs.refusal() is None
        else:
            with pytest.raises(CommandError) as refused:
                import_example("cli")
            assert "other.csv" in str(refused.value) and "one writer at a time" in str(
                refused.value
            )
    finally:
        runs.finish(other, Run.State.DONE)


def test_mappings_are_edited_checked_and_downloaded_in_the_admin(staff_client):
    from claims import mapping as rules

    document = json.loads((EXAMPLES / "cases-mapping.json").read_text())
    spec = {k: v for k, v in document.items() if k not in ("name", "namespace")}
    form = {
        "name": "Partner file",
        "slug": "partner-file",
        "namespace": "partner",
        "description": "",
        "spec": json.dumps(spec),
    }
    response = staff_client.post("/admin/claims/mapping/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Mapping.objects.get(slug="partner-file")
    assert saved.history.count() == 1
    broken = {**spec, "columns": [{"column": "Date", "target": "said_when"}]}
    response = staff_client.post(
        f"/admin/claims/mapping/{saved.pk}/change/", {**form, "spec": json.dumps(broken)}
    )
    assert response.status_code == 200
    assert "column “Date”: unknown target &#x27;said_when&#x27;" in response.content.decode()
    response = staff_client.post(
        "/admin/claims/mapping/", {"action": "download_json", "_selected_action": [saved.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="partner-file.json"'
    downloaded = json.loads(response.content)
    assert rules.parse(downloaded).namespace == "partner"
    assert (
        rules.parse(downloaded).as_document()["columns"]
        == rules.parse(document).as_document()["columns"]
    )


def test_a_claims_identifiers_show_on_its_admin_page(staff_client):
    import_example("sheets")
    claim = ExternalId.objects.get(value="SY-001").claim
    page = staff_client.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert "identifiers in other tables" in page.lower() and "SY-001" in page
