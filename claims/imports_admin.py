"""The admin's "Import a spreadsheet" pages: upload, then map the columns
(the file's headers with sample values, a target and options for each),
then the preview, then confirm; the result links to what was made. Each
step is one view; the import itself is claims.exchange.sheets, run in the
request for a small file and by the worker for a large one (claims.runs).

Only editors who may add claims see it; publishing rows needs the publish
permission, checked by the import like any other.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import mapping, runs, workflow
from .dates import WRITTEN
from .exchange.sheets import SheetError, background, open_sheet
from .models import Claim, Mapping, Run, Speaker

__all__ = ["urls"]

SAMPLES = 3  # sample values shown under each header
EXTRA_TARGETS = 2  # targets one column may feed, on the form


def _allowed(request):
    if not request.user.has_perm(workflow.permission("add", Claim)):
        raise PermissionDenied


def _run_of(request, pk):
    run = Run.objects.filter(pk=pk, kind=Run.Kind.IMPORT_SHEET).first()
    if run is None or (run.user_id != request.user.pk and not request.user.is_superuser):
        raise Http404
    return runs.live([run])[0]


def _page(request, template, title, **context):
    from django.contrib import admin

    context = {**admin.site.each_context(request), "title": title, **context}
    return TemplateResponse(request, f"admin/claims/import_sheet/{template}", context)


# --- Upload ------------------------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("CSV (any delimiter and encoding) or XLSX."),
    )
    saved = forms.ModelChoiceField(
        Mapping.objects.all(),
        required=False,
        label=gettext_lazy("Saved mapping"),
        empty_label=gettext_lazy("— map the columns now —"),
    )
    mapping_file = forms.FileField(
        required=False,
        label=gettext_lazy("or a mapping's JSON file"),
    )
    delimiter = forms.CharField(
        required=False, max_length=3, label=gettext_lazy("Delimiter (CSV; empty: detected)")
    )
    encoding = forms.CharField(
        required=False, max_length=40, label=gettext_lazy("Encoding (CSV; empty: detected)")
    )
    sheet = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Sheet (XLSX; empty: the first)")
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.SHEET_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB, over the limit of %(limit).0f MB.")
                % {"size": upload.size / 1e6, "limit": settings.SHEET_MAX_BYTES / 1e6}
            )
        if not upload.name.lower().endswith((".csv", ".tsv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        return upload

    def clean_delimiter(self):
        value = self.cleaned_data["delimiter"]
        return "\t" if value.lower() in ("tab", "\\t") else value

    def clean_mapping_file(self):
        import json

        upload = self.cleaned_data.get("mapping_file")
        if not upload:
            return None
        try:
            return mapping.parse(json.loads(upload.read().decode("utf-8-sig")))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise forms.ValidationError(
                _("Not a JSON file: %(error)s") % {"error": error}
            ) from None
        except mapping.MappingError as error:
            raise forms.ValidationError(str(error)) from None


def upload(request):
    _allowed(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["mapping_file"]:
            document = data["mapping_file"].as_document()
        elif data["saved"]:
            document = data["saved"].as_document()
        else:
            document = None
        stored = runs.keep_upload(data["file"])
        run = Run.objects.create(
            kind=Run.Kind.IMPORT_SHEET,
            user=request.user,
            file=data["file"].name,
            path=stored,
            state=Run.State.READY,
            report={
                "stage": "mapping",
                "mapping": document,
                "options": {k: data[k] for k in ("delimiter", "encoding", "sheet")},
            },
        )
        return redirect("admin:claims_import_mapping", run.pk)
    recent = Run.objects.filter(kind=Run.Kind.IMPORT_SHEET, user=request.user).order_by("-pk")[:10]
    return _page(request, "upload.html", _("Import a spreadsheet"), form=form, recent=recent)


# --- Mapping -----------------------------------------------------------------------------------


def _target_choices():
    return [("", _("— ignore —"))] + [(key, label) for key, (_h, label) in mapping.TARGETS.items()]


class MappingForm(forms.Form):
    """A target (or two) and options for each column, the constants, and a
    name under which to save it."""

    name = forms.CharField(max_length=200, label=gettext_lazy("Mapping name"))
    namespace = forms.CharField(
        max_length=100,
        label=gettext_lazy("Namespace of the rows' identifiers"),
        help_text=gettext_lazy("Whose table it is, e.g. the partner's name."),
    )
    save = forms.BooleanField(required=False, label=gettext_lazy("Save the mapping under its name"))

    def __init__(self, *args, columns, document=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = columns
        document = document or {}
        entries = {}
        for entry in document.get("columns", []):
            entries.setdefault(entry["column"], []).append(entry)
        targets = _target_choices()
        formats = [(f, f) for f in WRITTEN]
        self.rows = []
        for index, column in enumerate(columns):
            given = entries.get(column, [])
            names = []
            for extra in range(EXTRA_TARGETS):
                name = f"c{index}_t{extra}"
                self.fields[name] = forms.ChoiceField(
                    choices=targets,
                    required=False,
                    label=_("Target for “%(column)s”") % {"column": column},
                    initial=given[extra]["target"] if extra < len(given) else "",
                )
                names.append(name)
            first = given[0] if given else {}
            written = first.get("format", "YYYY-MM-DD")
            self.fields[f"c{index}_format"] = forms.ChoiceField(
                choices=formats,
                required=False,
                initial=written[0] if isinstance(written, list) else written,
                label=_("Date format"),
            )
            self.fields[f"c{index}_separator"] = forms.CharField(
                required=False,
                max_length=5,
                initial=first.get("separator", ""),
                label=_("Separator"),
            )
            self.fields[f"c{index}_find_urls"] = forms.BooleanField(
                required=False, initial=first.get("find_urls", False), label=_("Find URLs in text")
            )
            self.fields[f"c{index}_role"] = forms.ChoiceField(
                choices=[("", _("— evidence role: supports —"))]
                + [(role, role) for role in mapping.ROLES],
                required=False,
                initial=first.get("role", ""),
                label=_("Evidence role (for URLs)"),
            )
            self.fields[f"c{index}_unreadable"] = forms.BooleanField(
                required=False,
                initial=first.get("unreadable") == "note",
                label=_("A date that cannot be read leaves the claim undated, with a note"),
            )
            self.fields[f"c{index}_values"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
                initial="\n".join(f"{k} = {v}" for k, v in (first.get("values") or {}).items()),
                label=_("Values to replace, one per line: in the file = in the field"),
            )
            self.rows.append((index, column, names))
        self.constant_names = []
        for target, (holds, label) in mapping.TARGETS.items():
            if holds in (mapping.DATE, mapping.URLS, mapping.LIST):
                continue
            name = f"k_{target}"
            self.fields[name] = forms.CharField(
                required=False,
                max_length=500,
                label=label,
                initial=(document.get("constants") or {}).get(target, ""),
            )
            self.constant_names.append((name, target))
        self.fields["name"].initial = document.get("name", "")
        self.fields["namespace"].initial = document.get("namespace", "")
        self.document = document

    def column_rows(self):
        for index, column, names in self.rows:
            yield {
                "column": column,
                "targets": [self[name] for name in names],
                "format": self[f"c{index}_format"],
                "separator": self[f"c{index}_separator"],
                "find_urls": self[f"c{index}_find_urls"],
                "unreadable": self[f"c{index}_unreadable"],
                "role": self[f"c{index}_role"],
                "values": self[f"c{index}_values"],
                "samples": getattr(self, "samples", {}).get(column, []),
            }

    def _entry(self, data, index, column, target):
        """The column's entry: what the form gives, over what the mapping had."""
        previous = [
            e
            for e in self.document.get("columns", [])
            if e["column"] == column and e["target"] == target
        ]
        entry = dict(previous[0]) if previous else {"column": column, "target": target}
        holds = mapping.TARGETS[target][0]
        if holds == mapping.DATE:
            chosen = data.get(f"c{index}_format") or "YYYY-MM-DD"
            had = entry.get("format", "YYYY-MM-DD")
            first = had[0] if isinstance(had, list) else had
            if chosen != first:
                entry["format"] = chosen
            entry.pop("unreadable", None)
            if data.get(f"c{index}_unreadable"):
                entry["unreadable"] = "note"
        else:
            entry.pop("format", None)
            entry.pop("unreadable", None)
        if holds in (mapping.LIST, mapping.URLS):
            entry.pop("separator", None)
            if data.get(f"c{index}_separator"):
                entry["separator"] = data[f"c{index}_separator"]
        if holds == mapping.URLS:
            entry["find_urls"] = bool(data.get(f"c{index}_find_urls"))
            entry.pop("role", None)
            if data.get(f"c{index}_role"):
                entry["role"] = data[f"c{index}_role"]
        else:
            entry.pop("find_urls", None)
            entry.pop("role", None)
        values = {}
        for line in (data.get(f"c{index}_values") or "").splitlines():
            given, sep, meant = line.partition("=")
            if sep and given.strip():
                values[given.strip()] = meant.strip()
        entry.pop("values", None)
        if values and holds != mapping.URLS:
            entry["values"] = values
        return entry

    def constant_fields(self):
        return [self[name] for name, _t in self.constant_names]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        columns = []
        for index, column, names in self.rows:
            for name in names:
                target = data.get(name)
                if not target:
                    continue
                columns.append(self._entry(data, index, column, target))
        constants = {t: data[n].strip() for n, t in self.constant_names if data.get(n, "").strip()}
        document = {
            **{k: v for k, v in self.document.items() if k in ("read", "speakers", "description")},
            "format": mapping.FORMAT,
            "name": data["name"],
            "namespace": data["namespace"],
            "columns": columns,
            "constants": constants,
        }
        try:
            mapping.parse(document)
        except mapping.MappingError as error:
            raise forms.ValidationError(str(error)) from None
        data["document"] = document
        return data


def _open(run):
    """The run's uploaded sheet, read with the options given at the upload."""
    options = run.report.get("options", {})
    return open_sheet(
        run.path,
        delimiter=options.get("delimiter") or None,
        encoding=options.get("encoding") or None,
        sheet=options.get("sheet") or None,
    )


def _samples(run):
    with _open(run) as sheet:
        rows = sheet.sample(SAMPLES)
        samples = {
            column: [str(row.cells[column].value or "")[:80] for row in rows]
            for column in sheet.columns
        }
        return sheet, samples


def mapping_view(request, pk):
    _allowed(request)
    run = _run_of(request, pk)
    if run.state != Run.State.READY or run.report.get("stage") not in ("mapping", "preview"):
        return redirect("admin:claims_import_run", run.pk)
    try:
        sheet, samples = _samples(run)
    except (SheetError, OSError) as error:
        messages.error(
            request, _("%(file)s cannot be read: %(error)s") % {"file": run.file, "error": error}
        )
        runs.finish(run, Run.State.FAILED, error=str(error))
        runs.discard_upload(run)
        return redirect("admin:claims_import")
    form = MappingForm(
        request.POST or None, columns=sheet.columns, document=run.report.get("mapping")
    )
    form.samples = samples
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["document"]
        if form.cleaned_data["save"]:
            _save_mapping(document)
        run.report = {**run.report, "mapping": document, "stage": "previewing"}
        run.save(update_fields=["report"])
        return _preview(request, run)
    return _page(
        request,
        "mapping.html",
        _("Map the columns of %(file)s") % {"file": run.file},
        run=run,
        form=form,
        reading=_reading(sheet),
    )


def _reading(sheet):
    if sheet.kind == "xlsx":
        return _("sheet “%(sheet)s”") % {"sheet": sheet.sheet_name}
    return _("CSV, encoding %(encoding)s (%(source)s), delimiter “%(delimiter)s”") % {
        "encoding": sheet.encoding,
        "source": sheet.encoding_source,
        "delimiter": {"\t": "tab"}.get(sheet.delimiter, sheet.delimiter),
    }


def _save_mapping(document):
    saved = Mapping.objects.filter(name=document["name"]).first() or Mapping(
        name=document["name"], slug=slugify(document["name"])[:100] or "mapping"
    )
    saved.namespace = document["namespace"]
    saved.spec = {k: v for k, v in document.items() if k not in ("name", "namespace")}
    saved.save()
    return saved


def _count_rows(run, limit):
    with _open(run) as sheet:
        count = 0
        for _row in sheet.rows():
            count += 1
            if count > limit:
                break
        return count


def _preview(request, run):
    from django.conf import settings

    rows = _count_rows(run, settings.SHEET_BACKGROUND_ROWS)
    if background.in_background(rows):
        runs.resume(run, action="preview")
        messages.info(request, _("The file is large: the worker previews it."))
    else:
        background.preview(run)
    return redirect("admin:claims_import_run", run.pk)


# --- Preview, confirmation, result ---------------------------------------------------------


def run_view(request, pk):
    _allowed(request)
    run = _run_of(request, pk)
    outcome = run.report.get("outcome") or {}
    stage = run.report.get("stage")
    if request.method == "POST" and run.state == Run.State.READY and stage == "preview":
        if "cancel" in request.POST:
            runs.cancel(run)
            messages.info(request, _("The import was cancelled and its file deleted."))
            return redirect("admin:claims_import")
        if "remap" in request.POST:
            run.report = {**run.report, "stage": "mapping"}
            run.save(update_fields=["report"])
            return redirect("admin:claims_import_mapping", run.pk)
        chosen = _chosen_speakers(request, outcome)
        if chosen is None:
            return redirect("admin:claims_import_run", run.pk)
        options = dict(run.report.get("options", {}))
        options["overwrite"] = bool(request.POST.get("overwrite"))
        options["correction_note"] = request.POST.get("correction_note", "").strip()
        document = dict(run.report["mapping"])
        document["speakers"] = {**document.get("speakers", {}), **chosen}
        run.report = {**run.report, "mapping": document, "options": options}
        run.save(update_fields=["report"])
        if chosen:  # the preview changes: shown again before writing
            return _preview(request, run)
        if background.in_background(run.done):
            runs.resume(run, action="write")
        else:
            background.write(run)
        return redirect("admin:claims_import_run", run.pk)
    return _page(
        request,
        "run.html",
        _("Import of %(file)s") % {"file": run.file},
        run=run,
        stage=stage,
        outcome=outcome,
        created=background.created_claims(run) if stage == "result" else [],
        may_confirm=_may_confirm(run, stage, outcome),
        active=run.state in Run.ACTIVE,
    )


def _may_confirm(run, stage, outcome):
    return run.state == Run.State.READY and stage == "preview" and not outcome.get("problem_count")


def _chosen_speakers(request, outcome):
    """{name: slug} for the new speakers the editor mapped to existing ones;
    None (with a message) when a slug names no speaker."""
    chosen = {}
    for number, entry in enumerate(outcome.get("new_speakers", [])):
        slug = request.POST.get(f"speaker_{number}", "").strip()
        if not slug:
            continue
        if not Speaker.objects.filter(slug=slug).exists():
            messages.error(request, _("No speaker has the identifier “%(slug)s”.") % {"slug": slug})
            return None
        chosen[entry["name"]] = slug
    return chosen


def urls(admin_view):
    return [
        path("import/", admin_view(upload), name="claims_import"),
        path("import/<int:pk>/mapping/", admin_view(mapping_view), name="claims_import_mapping"),
        path("import/<int:pk>/", admin_view(run_view), name="claims_import_run"),
    ]


def url_of(run):
    return reverse("admin:claims_import_run", args=[run.pk])
