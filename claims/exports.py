"""Downloads of what a reader sees: every claim a filtered list matches, as
CSV, JSON or XLSX, in plain text, in bounded memory however many there are."""

import csv
import json
import tempfile
from itertools import islice

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, OuterRef, Subquery, Value
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .limits import EXPORT_CHUNK, XLSX_MAX_ROWS
from .models import Claim, Speaker

FORMATS = ("csv", "json", "xlsx")
CHUNK = EXPORT_CHUNK

COLUMNS = [
    "slug",
    "url",
    "text",
    "wording",
    "original_language",
    "original_text",
    "speaker",
    "speaker_kind",
    "speaking_for",
    "speaker_role",
    "said",
    "said_from",
    "said_until",
    "date_note",
    "period",
    "place",
    "topics",
    "accused",
    "assessment",
    "assessment_rationale",
    "counterclaims",
    "first_published",
]


# The columns a download reads: the claim's, its speaker's and the speaking-for
# organisation's. Not the search document, notes or timestamps.
FIELDS = [
    *("slug", "text", "text_kind", "original_language", "original_text", "speaker_role"),
    *("said_qualifier", "said_on", "said_on_precision", "said_until", "said_until_precision"),
    *("date_note", "period_start", "period_start_precision", "period_end"),
    *("period_end_precision", "place", "status", "assessment", "assessment_rationale"),
    *("first_published_at", "speaker__name", "speaker__kind", "speaking_for__name"),
]
TEXT_KINDS = dict(Claim.TextKind.choices)
ASSESSMENTS = dict(Claim.Assessment.choices)
SPEAKER_KINDS = dict(Speaker.Kind.choices)


class Row:
    """A claim as a download reads it: its columns' plain values, with the
    claim's own rules for its dates and address (Claim's properties
    themselves, not copies). Reading rows as values instead of model
    objects halves a large download's time."""

    DateQualifier = Claim.DateQualifier
    said = Claim.said
    said_latest = Claim.said_latest
    said_display = Claim.said_display
    said_interval = Claim.said_interval
    period_display = Claim.period_display
    get_absolute_url = Claim.get_absolute_url

    def __init__(self, values):
        self.__dict__.update(values)


def record(claim, base_url, topics, accused):
    """One claim (a Row) as plain values, the same for every format."""
    earliest, latest = claim.said_interval
    return {
        "slug": claim.slug,
        "url": base_url + claim.get_absolute_url(),
        "text": claim.text,
        "wording": TEXT_KINDS.get(claim.text_kind, claim.text_kind),
        "original_language": claim.original_language,
        "original_text": claim.original_text,
        "speaker": claim.speaker__name or "",
        "speaker_kind": SPEAKER_KINDS.get(claim.speaker__kind, ""),
        "speaking_for": claim.speaking_for__name or "",
        "speaker_role": claim.speaker_role,
        "said": claim.said_display,
        "said_from": earliest.isoformat() if earliest else "",
        "said_until": latest.isoformat() if latest else "",
        "date_note": claim.date_note,
        "period": claim.period_display,
        "place": claim.place,
        "topics": "; ".join(topics.get(claim.pk, ())),
        "accused": "; ".join(accused.get(claim.pk, ())),
        "assessment": ASSESSMENTS.get(claim.assessment, claim.assessment),
        "assessment_rationale": claim.assessment_rationale,
        "counterclaims": claim.counterclaim_count,
        "first_published": claim.first_published_at.isoformat() if claim.first_published_at else "",
    }


LINKED = ("topics", "accused")


def records(queryset, base_url):
    """The rows of a selection (with its counterclaim counts, for_list()), a
    chunk at a time: the claims, then the names of their topics and accused
    parties in one query, per chunk."""
    claims = queryset.values("pk", *FIELDS, "counterclaim_count").iterator(chunk_size=CHUNK)
    while chunk := [Row(values) for values in islice(claims, CHUNK)]:
        names = linked_names([claim.pk for claim in chunk])
        for claim in chunk:
            yield record(claim, base_url, names["topics"], names["accused"])


def linked_names(ids):
    """{field: {claim id: names}} for the many-to-many fields in LINKED, each
    claim's names in name order. One query: the link rows of every field,
    each asking its target's name by id (joined instead, SQLite's planner
    walked every speaker when the links had no statistics)."""
    rows = []
    for field in LINKED:
        m2m = Claim._meta.get_field(field)
        claim_id, target_id = f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"
        name = m2m.related_model._default_manager.filter(pk=OuterRef(target_id)).values("name")
        rows.append(
            m2m.remote_field.through.objects.filter(**{f"{claim_id}__in": ids})
            .order_by()
            .annotate(field=Value(field), name=Subquery(name[:1]), target=F(target_id))
            .values_list(claim_id, "field", "name", "target")
        )
    found = {field: {} for field in LINKED}
    for claim, field, name, _ in rows[0].union(*rows[1:], all=True).order_by("name", "target"):
        if name is not None:  # deleted since
            found[field].setdefault(claim, []).append(name)
    return found


def spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _sheet_safe(value):
    """As spreadsheet_safe, without the control characters a sheet cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = spreadsheet_safe(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def joined(parts, size=200):
    """Strings joined a few hundred at a time: the server then writes a few
    hundred pieces of a large download, not one per row."""
    batch = []
    for part in parts:
        batch.append(part)
        if len(batch) == size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


class _Echo:
    def write(self, value):
        return value


def filename(fmt):
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"counterclaim-claims-{stamp}.{fmt}"


def csv_response(queryset, base_url):
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # so spreadsheets read the file as UTF-8
        yield writer.writerow(COLUMNS)
        for row in records(queryset, base_url):
            yield writer.writerow([spreadsheet_safe(row[c]) for c in COLUMNS])

    response = StreamingHttpResponse(joined(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename("csv")}"'
    return response


def json_response(queryset, base_url):
    def chunks():
        yield "[\n"
        first = True
        for row in records(queryset, base_url):
            yield ("" if first else ",\n") + json.dumps(
                row, cls=DjangoJSONEncoder, ensure_ascii=False
            )
            first = False
        yield "\n]\n"

    response = StreamingHttpResponse(
        joined(chunks()), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename("json")}"'
    return response


def xlsx_response(queryset, base_url):
    from openpyxl import Workbook

    # A write-only workbook streams rows to disk as they come.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("claims")
    sheet.append(COLUMNS)
    for written, row in enumerate(records(queryset, base_url)):
        if written == XLSX_MAX_ROWS:
            sheet.append(
                [
                    f"Stopped at {XLSX_MAX_ROWS:,} rows, the most a sheet holds: "
                    "download CSV or JSON for every row."
                ]
            )
            break
        sheet.append([_sheet_safe(row[c]) for c in COLUMNS])
    # The response closes the file once it is sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=filename("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


RESPONSES = {"csv": csv_response, "json": json_response, "xlsx": xlsx_response}


def export(fmt, queryset, base_url):
    return RESPONSES[fmt](queryset, base_url)
