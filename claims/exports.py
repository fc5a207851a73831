"""Downloads of what a reader sees: every claim a filtered list matches, as
CSV, JSON or XLSX, in plain text, in bounded memory however many there are."""

import csv
import json
import tempfile

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "json", "xlsx")
XLSX_MAX_ROWS = 1_048_576 - 2  # the sheet limit, less the header and the note
CHUNK = 2000

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


def record(claim, base_url):
    """One claim as plain values, the same for every format."""
    earliest, latest = claim.said_interval
    return {
        "slug": claim.slug,
        "url": base_url + claim.get_absolute_url(),
        "text": claim.text,
        "wording": claim.get_text_kind_display(),
        "original_language": claim.original_language,
        "original_text": claim.original_text,
        "speaker": claim.speaker.name if claim.speaker else "",
        "speaker_kind": claim.speaker.get_kind_display() if claim.speaker else "",
        "speaking_for": claim.speaking_for.name if claim.speaking_for else "",
        "speaker_role": claim.speaker_role,
        "said": claim.said_display,
        "said_from": earliest.isoformat() if earliest else "",
        "said_until": latest.isoformat() if latest else "",
        "date_note": claim.date_note,
        "period": claim.period_display,
        "place": claim.place,
        "topics": "; ".join(t.name for t in claim.topics.all()),
        "accused": "; ".join(s.name for s in claim.accused.all()),
        "assessment": claim.get_assessment_display(),
        "assessment_rationale": claim.assessment_rationale,
        "counterclaims": claim.counterclaim_count,
        "first_published": claim.first_published_at.isoformat() if claim.first_published_at else "",
    }


def records(queryset, base_url):
    queryset = queryset.prefetch_related("topics", "accused")
    for claim in queryset.iterator(chunk_size=CHUNK):
        yield record(claim, base_url)


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

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
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

    response = StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")
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
