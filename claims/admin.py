"""The editors' admin: a claim is entered, sourced, quantified and paired on
one page; lists stay fast however many rows they hold."""

import copy
import datetime
import json
import tempfile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from . import exchange, imports_admin, runs, workflow
from .models import (
    UNDATED,
    Citation,
    Claim,
    Correction,
    ExternalId,
    Figure,
    Mapping,
    Measure,
    Rebuttal,
    Run,
    Source,
    Speaker,
    Topic,
    count_of,
)

# Text may be Arabic or Russian as well as English: dir="auto" lets each field
# follow the direction of what is typed. Links typed without a scheme are https.
FORMFIELD_OVERRIDES = {
    models.CharField: {"widget": widgets.AdminTextInputWidget(attrs={"dir": "auto"})},
    models.TextField: {"widget": widgets.AdminTextareaWidget(attrs={"dir": "auto"})},
    models.URLField: {"assume_scheme": "https"},
}


def refusing(form_class, message):
    """`form_class`, whose forms are never valid: `message` says why."""

    class Refused(form_class):
        def clean(self):
            cleaned = super().clean()
            self.add_error(None, message)
            return cleaned

    return Refused


class WaitsForRuns:
    """While a background run writes on a database that takes one writer at a
    time (SQLite), a save would wait for the busy timeout and then fail: it is
    refused at once, with the reason (claims.runs.refusal), before any
    transaction begins. A form comes back with what was typed; a deletion, a
    bulk action or a list edit goes back to the page it came from. Actions that
    only read (`reading_actions`) go on. Elsewhere nothing is refused."""

    reading_actions = ()

    def run_refusal(self, request):
        """Why this request's save is refused, or None (asked once a request)."""
        if request.method != "POST":
            return None
        if not hasattr(request, "run_refusal"):
            request.run_refusal = runs.refusal()
        return request.run_refusal

    def refuse(self, request, message):
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        message = getattr(request, "run_refusal", None)
        return refusing(form, message) if message else form

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not self.run_refusal(request):
            return super().changeform_view(request, object_id, form_url, extra_context)
        # The form again, with what was typed and the reason; outside a
        # transaction (which would wait for the write lock), and nothing saved.
        return self._changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        message = self.run_refusal(request)
        if message:
            return self.refuse(request, message)
        return super().delete_view(request, object_id, extra_context)

    @csrf_protect_m
    def changelist_view(self, request, extra_context=None):
        if request.POST.get("action") not in self.reading_actions:
            message = self.run_refusal(request)
            if message:
                return self.refuse(request, message)
        return super().changelist_view(request, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.run_refusal(request)  # a revert's form refuses too
        return super().history_form_view(request, object_id, version_id, extra_context)


class EditorAdmin(WaitsForRuns, SimpleHistoryAdmin):
    """Every claims admin keeps history, and waits for no background run."""

    formfield_overrides = FORMFIELD_OVERRIDES


class SaidInYearFilter(admin.SimpleListFilter):
    """Claims said within a year, by their whole known date: "on or before
    10 February 2016" is not counted as said in 2016, nor "2016" as said on
    1 January."""

    title = "said in"
    parameter_name = "said_in"
    NOT_STATED = "not-stated"

    def lookups(self, request, model_admin):
        years = Claim.objects.exclude(said_sort=UNDATED).dates("said_sort", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years] + [(self.NOT_STATED, "no date")]

    def queryset(self, request, queryset):
        if self.value() == self.NOT_STATED:
            return queryset.filter(said_sort=UNDATED)
        if self.value() and self.value().isdigit():
            year = int(self.value())
            return queryset.said_within(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        return queryset


class ClaimForm(forms.ModelForm):
    """A change of status goes through the same checks as everywhere else
    (Claim.move_to): what publishing needs, a reason to withdraw. A
    substantive change to a published claim is a correction: it needs a
    public note, and only those who may publish may make it."""

    correction_note = forms.CharField(
        required=False,
        widget=widgets.AdminTextareaWidget(attrs={"dir": "auto", "rows": 3}),
        help_text="Required when the words, speaker, date, assessment or figures of this "
        "published claim change. Shown publicly with today's date.",
    )

    def _post_clean(self):
        super()._post_clean()
        note = self.cleaned_data.get("correction_note", "").strip()
        self.instance.correction_note = note
        changes = self.instance.substantive_changes()
        if changes and not note:
            self.add_error("correction_note", workflow.correction_needed_message(changes))
        if (changes or note) and not workflow.may_correct(self.request_user):
            self.add_error(
                "correction_note",
                f"{self.request_user} may not correct a published claim; ask a reviewer.",
            )

    def clean(self):
        cleaned = super().clean()
        if "status" not in self.changed_data or not cleaned.get("status"):
            return cleaned
        # The claim as it would be, still at its old status, asked to move.
        candidate = copy.copy(self.instance)
        fields = {f.name for f in Claim._meta.concrete_fields}
        for name, value in cleaned.items():
            if name in fields:
                setattr(candidate, name, value)
        candidate.status = self.initial.get("status", Claim.Status.DRAFT)
        try:
            candidate.move_to(cleaned["status"], self.request_user)
        except PermissionDenied as error:
            self.add_error("status", str(error))
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
        return cleaned


class NoSelfLinkForm(forms.ModelForm):
    """A speaker cannot belong to itself; a source cannot relay itself."""

    self_link_field = None

    def clean(self):
        cleaned = super().clean()
        linked = cleaned.get(self.self_link_field) or []
        if workflow.links_itself(self.instance, linked):
            self.add_error(self.self_link_field, f"“{self.instance}” {workflow.SELF_LINK}.")
        return cleaned


class NamesField(forms.CharField):
    """A list of names, one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class SpeakerForm(NoSelfLinkForm):
    self_link_field = "organisations"

    aliases = NamesField(
        label=_("aliases"),
        required=False,
        help_text=Speaker._meta.get_field("aliases").help_text,
    )


class SourceForm(NoSelfLinkForm):
    self_link_field = "relays"


# --- Inlines on the claim page -----------------------------------------------


class CitationInline(admin.TabularInline):
    model = Citation
    formfield_overrides = FORMFIELD_OVERRIDES
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "role", "locator", "excerpt"]
    verbose_name_plural = "citations: where it appeared and the evidence"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source__publisher")


class FigureFormSet(BaseInlineFormSet):
    """The figures of a published claim change only with a correction note
    (workflow.figures_changed compares them as stored and as submitted)."""

    changes = ()

    def clean(self):
        super().clean()
        claim = self.instance
        if not claim.pk or claim.stored_status() != Claim.Status.PUBLISHED:
            return
        stored = self.initial_forms
        submitted = [
            form.cleaned_data if form.has_changed() else form.initial
            for form in self.forms
            if not self._should_delete_form(form) and (form in stored or form.has_changed())
        ]
        if workflow.figures_changed([form.initial for form in stored], submitted):
            self.changes = [workflow.FIGURES]
        if self.changes and not claim.correction_note:
            raise ValidationError(workflow.correction_needed_message(self.changes))


class FigureInline(admin.StackedInline):
    model = Figure
    formset = FigureFormSet
    formfield_overrides = FORMFIELD_OVERRIDES
    fk_name = "claim"
    extra = 0
    autocomplete_fields = ["attributed_to"]
    fields = [
        ("position", "measure"),
        ("qualifier", "value_min", "value_max"),
        "stated_as",
        ("period_start", "period_start_precision", "period_end", "period_end_precision"),
        ("place", "attributed_to", "part_of"),
    ]
    verbose_name_plural = "figures: the numbers inside the claim"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("measure", "attributed_to", "part_of")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "part_of":
            # Only figures of the claim being edited can contain this one.
            object_id = request.resolver_match.kwargs.get("object_id")
            queryset = Figure.objects.none()
            if object_id and object_id.isdigit():
                queryset = Figure.objects.filter(claim_id=object_id).select_related("measure")
            kwargs["queryset"] = queryset
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("measure", "part_of"):
            # Every figure row offers the same choices: read them once per page.
            cache = request.__dict__.setdefault("_figure_choices", {})
            if db_field.name not in cache:
                cache[db_field.name] = list(field.choices)
            field.choices = cache[db_field.name]
        return field


class PairingFormSet(BaseInlineFormSet):
    """Counterclaims of this claim, checked against the claims it answers in
    the same submission: one pair entered both ways is one pair too many."""

    def clean(self):
        super().clean()
        answers = {
            str(form.cleaned_data["counterclaim"].pk)
            for form in self.forms
            if form.cleaned_data.get("counterclaim") and not form.cleaned_data.get("DELETE")
        }
        other = Rebuttal._meta.get_field("counterclaim").remote_field.get_accessor_name()
        try:
            total = min(int(self.data.get(f"{other}-TOTAL_FORMS", 0)), 1000)
        except ValueError:
            return  # the other formset reports its own broken management form
        answered = {
            self.data.get(f"{other}-{i}-claim")
            for i in range(total)
            if not self.data.get(f"{other}-{i}-DELETE")
        }
        if answers & answered:
            raise ValidationError(
                "The same claim is entered both as answering this claim and as answered "
                "by it. Two claims are paired once; keep one of the two rows."
            )


class RebuttalInline(admin.TabularInline):
    model = Rebuttal
    formfield_overrides = FORMFIELD_OVERRIDES
    formset = PairingFormSet
    fk_name = "claim"
    extra = 0
    autocomplete_fields = ["counterclaim"]
    fields = ["counterclaim", "relation", "note"]
    verbose_name = "counterclaim answering this claim"
    verbose_name_plural = "counterclaims answering this claim"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("counterclaim")


class AnsweredInline(admin.TabularInline):
    model = Rebuttal
    formfield_overrides = FORMFIELD_OVERRIDES
    fk_name = "counterclaim"
    extra = 0
    autocomplete_fields = ["claim"]
    fields = ["claim", "relation", "note"]
    verbose_name = "claim this one answers"
    verbose_name_plural = "claims this one answers"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim")


# --- Claims ------------------------------------------------------------------


class CorrectionInline(admin.TabularInline):
    """Past corrections of the claim, as readers see them."""

    model = Correction
    fields = ["corrected_at", "note", "changed"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "corrections: shown publicly on the claim page"

    def has_add_permission(self, request, obj=None):
        return False


class ExternalIdInline(admin.TabularInline):
    """The rows of other tables this claim came from (never shown to readers)."""

    model = ExternalId
    fields = ["namespace", "value", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("identifiers in other tables (spreadsheet imports; never public)")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(EditorAdmin):
    list_display = [
        "short_text",
        "speaker",
        "said_column",
        "rebuttals_column",
        "status",
        "assessment",
    ]
    list_display_links = ["short_text"]
    list_filter = [
        "status",
        "assessment",
        "speaker__kind",
        "topics",
        SaidInYearFilter,
        "text_kind",
        "date_supplied_by_editor",
    ]
    search_fields = [
        "slug",
        "text",
        "original_text",
        "speaker__name",
        "speaker__short_name",
        "speaking_for__name",
        "citations__source__title",
        "citations__source__slug",
        "citations__source__publisher__name",
    ]
    date_hierarchy = "said_on"
    list_per_page = 50
    autocomplete_fields = ["speaker", "speaking_for", "topics", "accused"]
    inlines = [
        CitationInline,
        FigureInline,
        RebuttalInline,
        AnsweredInline,
        CorrectionInline,
        ExternalIdInline,
    ]
    actions = ["send_to_review", "publish", "unpublish", "export_fixture"]
    reading_actions = ["export_fixture"]
    form = ClaimForm
    save_on_top = True
    fieldsets = [
        (
            "The words",
            {"fields": ["text", "text_kind", "original_text", "original_language", "translator"]},
        ),
        ("Who said it", {"fields": ["speaker", "speaking_for", "speaker_role"]}),
        (
            "When it was said",
            {
                "fields": [
                    "said_qualifier",
                    ("said_on", "said_on_precision"),
                    ("said_until", "said_until_precision"),
                    "date_supplied_by_editor",
                    "date_note",
                    "said_preview",
                ]
            },
        ),
        (
            "What it is about",
            {
                "fields": [
                    ("period_start", "period_start_precision"),
                    ("period_end", "period_end_precision"),
                    "place",
                    "topics",
                    "accused",
                ]
            },
        ),
        (
            "Editorial",
            {
                "fields": [
                    "slug",
                    "status",
                    "first_published_at",
                    "withdrawal_reason",
                    "withdrawn_at",
                    "assessment",
                    "assessment_rationale",
                    "internal_notes",
                ]
            },
        ),
    ]

    change_list_template = "admin/claims/claim/change_list.html"

    def get_urls(self):
        return imports_admin.urls(self.admin_site.admin_view) + super().get_urls()

    def get_queryset(self, request):
        return super().get_queryset(request).for_admin_list()

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj):
        return Truncator(obj.text).chars(90)

    @admin.display(description="said", ordering="said_on")
    def said_column(self, obj):
        return obj.said_display

    @admin.display(description="rebuttals", ordering="rebuttal_count")
    def rebuttals_column(self, obj):
        if obj.rebuts_count:
            return f"{obj.rebuttal_count} (answers {obj.rebuts_count})"
        return obj.rebuttal_count

    @admin.display(description="as readers will see the date")
    def said_preview(self, obj):
        return obj.said_display if obj.pk else "—"

    # Who may publish --------------------------------------------------------

    def has_publish_permission(self, request):
        return workflow.may_publish(request.user)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status == Claim.Status.PUBLISHED:
            correction = (
                "Correction",
                {
                    "fields": ["correction_note"],
                    "description": "This claim is published. Changing its words, speaker, "
                    "date, assessment or figures is a public correction.",
                },
            )
            fieldsets = [correction, *fieldsets]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["first_published_at", "withdrawn_at", "said_preview"]
        if not self.has_publish_permission(request):
            readonly += ["status", "withdrawal_reason", "assessment", "assessment_rationale"]
        if obj is not None and obj.first_published_at:
            readonly.append("slug")
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.first_published_at:
            return {}
        return {"slug": ["text"]}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.set_status(obj.status)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        correction = form.instance.last_correction
        figures_changed = any(
            isinstance(formset, FigureFormSet) and formset.changes for formset in formsets
        )
        if correction is not None and figures_changed:
            correction.changed = [*correction.changed, workflow.FIGURES]
            correction.save(update_fields=["changed"])

    def _set_status(self, request, queryset, status, verb):
        """Move each selected claim through Claim.move_to; those it refuses are
        listed with the reason, the others saved with one history record each."""
        now = timezone.now()
        moved, refused = [], []
        for claim in queryset.exclude(status=status).order_by("pk"):
            try:
                claim.move_to(status, request.user)
            except (PermissionDenied, ValidationError) as error:
                refused.append(f"“{claim}”: {' '.join(getattr(error, 'messages', [str(error)]))}")
                continue
            claim.updated_at = now
            moved.append(claim)
        bulk_update_with_history(
            moved,
            Claim,
            ["status", "first_published_at", "withdrawn_at", "updated_at"],
            default_user=request.user,
            default_change_reason=f"{verb} from the claims list",
        )
        if moved:
            self.message_user(request, f"{verb}: {len(moved)} claim(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not {verb.lower()}: {line}", messages.ERROR)

    @admin.action(description="Send selected claims to review", permissions=["change"])
    def send_to_review(self, request, queryset):
        drafts = queryset.filter(status=Claim.Status.DRAFT)
        self._set_status(request, drafts, Claim.Status.IN_REVIEW, "Sent to review")

    @admin.action(description="Export selected claims as fixture", permissions=["view"])
    def export_fixture(self, request, queryset):
        """The same file as `export_claims --slug ...` for the selected claims."""
        selection = exchange.Selection(slugs=list(queryset.values_list("slug", flat=True)))
        output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
        exchange.write(exchange.Plan(selection), "json", output)
        output.seek(0)
        return FileResponse(
            output,
            as_attachment=True,
            filename="counterclaim-claims.json",
            content_type="application/json",
        )

    @admin.action(description="Publish selected claims", permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Claim.Status.PUBLISHED, "Published")

    @admin.action(description="Unpublish selected claims (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Claim.Status.DRAFT, "Unpublished")


# --- Speakers, sources, vocabularies -----------------------------------------


@admin.register(Speaker)
class SpeakerAdmin(EditorAdmin):
    form = SpeakerForm
    list_display = ["name", "short_name", "kind", "country", "claims_column"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "short_name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["organisations"]
    readonly_fields = ["members_list"]
    fields = [
        "name",
        "short_name",
        "aliases",
        "slug",
        "kind",
        "organisations",
        "members_list",
        "description",
        "website",
        "country",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=count_of(Claim, "speaker"))

    @admin.display(description="claims", ordering="claim_count")
    def claims_column(self, obj):
        return obj.claim_count

    @admin.display(description="members")
    def members_list(self, obj):
        names = [member.name for member in obj.members.all()] if obj.pk else []
        return ", ".join(names) or "—"


@admin.register(Source)
class SourceAdmin(EditorAdmin):
    form = SourceForm
    list_display = ["__str__", "publisher", "published_column", "kind", "language", "restricted"]
    list_filter = ["kind", "restricted", "language"]
    search_fields = ["title", "slug", "url", "publisher__name"]
    autocomplete_fields = ["publisher", "relays"]
    readonly_fields = ["file_sha256"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "publisher", "kind", "language", "url"]}),
        (
            "Date",
            {"fields": [("published_on", "published_precision"), "date_note", "accessed_on"]},
        ),
        ("Preservation", {"fields": ["archive_url", "file", "file_sha256", "relays"]}),
        ("Restricted", {"fields": ["restricted", "internal_notes"]}),
    ]

    def get_queryset(self, request):
        # The publisher names untitled sources, in lists and autocompletion.
        return super().get_queryset(request).select_related("publisher")

    @admin.display(description="published", ordering="published_on")
    def published_column(self, obj):
        return obj.published_display


@admin.register(Topic)
class TopicAdmin(EditorAdmin):
    list_display = ["name", "slug", "claims_column"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(description="claims", ordering="claim_count")
    def claims_column(self, obj):
        return obj.claim_count


@admin.register(Measure)
class MeasureAdmin(EditorAdmin):
    list_display = ["name", "unit", "slug"]
    list_filter = ["unit"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# --- The parts of a claim, also listed on their own ---------------------------


@admin.register(Citation)
class CitationAdmin(EditorAdmin):
    list_display = ["claim", "role", "source", "locator"]
    list_select_related = ["claim", "source__publisher"]
    list_filter = ["role"]
    search_fields = ["claim__text", "claim__slug", "source__title", "excerpt"]
    autocomplete_fields = ["claim", "source"]


@admin.register(Correction)
class CorrectionAdmin(EditorAdmin):
    """The corrections log. A correction is made by editing the published
    claim; here a reviewer may only reword its note."""

    list_display = ["corrected_at", "claim", "note"]
    list_select_related = ["claim"]
    date_hierarchy = "corrected_at"
    search_fields = ["note", "claim__text", "claim__slug"]
    fields = ["claim", "corrected_at", "changed", "note"]
    readonly_fields = ["claim", "corrected_at", "changed"]

    def has_add_permission(self, request):
        return False


@admin.register(Figure)
class FigureAdmin(EditorAdmin):
    list_display = ["claim", "position", "measure", "value_column", "attributed_to"]
    list_select_related = ["claim", "measure", "attributed_to"]
    list_filter = ["measure", "qualifier"]
    search_fields = ["claim__text", "claim__slug", "stated_as"]
    autocomplete_fields = ["claim", "attributed_to", "part_of"]

    @admin.display(description="value", ordering="value_min")
    def value_column(self, obj):
        return obj.value_display

    def has_change_permission(self, request, obj=None):
        # A published claim's figures change on the claim, with a correction note.
        if obj is not None and obj.claim.status == Claim.Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(Rebuttal)
class RebuttalAdmin(EditorAdmin):
    list_display = ["counterclaim", "relation", "claim"]
    list_select_related = ["claim", "counterclaim"]
    list_filter = ["relation"]
    search_fields = ["claim__text", "counterclaim__text", "claim__slug", "counterclaim__slug"]
    autocomplete_fields = ["claim", "counterclaim"]


# --- Background runs ---------------------------------------------------------------


def readable(value):
    """A value of a run's report as an editor reads it."""
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in value))
        )
    if isinstance(value, dict | list):
        return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))
    return "—" if value in (None, "") else str(value)


class MappingForm(forms.ModelForm):
    """A mapping's columns and constants as its JSON document (README), checked."""

    class Meta:
        model = Mapping
        fields = ["name", "slug", "namespace", "description", "spec"]


@admin.register(Mapping)
class MappingAdmin(EditorAdmin):
    form = MappingForm
    list_display = ["name", "namespace", "updated_at"]
    search_fields = ["name", "namespace", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["download_json"]
    reading_actions = ["download_json"]

    @admin.action(description=_("Download as a JSON file"))
    def download_json(self, request, queryset):
        """One mapping's JSON file (to keep beside the spreadsheet, or give a
        partner); several as a JSON list of them."""
        documents = [m.as_document() for m in queryset.order_by("name")]
        body = documents[0] if len(documents) == 1 else documents
        name = f"{queryset.first().slug}.json" if len(documents) == 1 else "mappings.json"
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Spreadsheet imports and other background work, as their worker reports
    them (live progress included): read only, for staff allowed to view runs.
    Nobody adds, changes or deletes a run by hand."""

    list_display = [
        "created_at",
        "kind",
        "user",
        "file",
        "state",
        "progress_column",
        "started_at",
        "finished_at",
        "estimated_end_column",
    ]
    list_filter = ["kind", "state"]
    list_select_related = ["user"]
    search_fields = ["file", "user__username"]
    fields = [
        "kind",
        "user",
        "file",
        "state",
        "progress_column",
        "created_at",
        "started_at",
        "finished_at",
        "estimated_end_column",
        "error",
        "report_column",
        "task_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        runs.live(changelist.result_list)  # the page's runs, as they stand now
        return changelist

    def get_object(self, request, object_id, from_field=None):
        run = super().get_object(request, object_id, from_field)
        if run is not None:
            runs.live([run])
        return run

    @admin.display(description=_("progress"))
    def progress_column(self, obj):
        percent = obj.progress_percent
        if percent is None:
            return formats.number_format(obj.done) if obj.done else "—"
        return format_html(
            '<progress value="{}" max="100">{} %</progress> {} % ({} / {})',
            percent,
            percent,
            percent,
            formats.number_format(obj.done),
            formats.number_format(obj.total),
        )

    @admin.display(description=_("estimated end"))
    def estimated_end_column(self, obj):
        end = obj.estimated_end
        return formats.date_format(timezone.localtime(end), "DATETIME_FORMAT") if end else "—"

    @admin.display(description=_("report"))
    def report_column(self, obj):
        report = obj.report
        if not report:
            return "—"
        if not isinstance(report, dict):
            return readable(report)
        rows = (
            (capfirst(str(key).replace("_", " ")), readable(value)) for key, value in report.items()
        )
        return format_html(
            '<dl class="run-report">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
        )
