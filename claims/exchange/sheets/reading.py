"""Reading a spreadsheet: the rows of a CSV or XLSX file one at a time, each
cell as the file gives it, or why the file cannot be read, naming where.

A file is streamed: memory follows the longest row, not the file. Nothing
here knows claims; the mapping of columns to fields, and any trimming of
texts, is the caller's.

CSV
    Encoding: a byte order mark decides (UTF-8, UTF-16, UTF-32); without
    one, UTF-8 if the first SAMPLE_BYTES decode as UTF-8; else
    charset-normalizer guesses among LEGACY_ENCODINGS only, from the lines
    of that sample with bytes beyond ASCII, so that a few names in Cyrillic
    or Arabic among thousands of ASCII lines still decide. A guess wants a
    line or so of such text: a word on its own ("Müller", "déclaré") is
    often taken for cp1251. An encoding given is used as it is (its own
    byte order mark skipped). A byte that does not decode further on, past
    the sample, is a SheetError naming its line.
    Delimiter: of DELIMITERS, the one that splits the first record into two
    or more cells and the most of the first SAMPLE_RECORDS records into as
    many cells as the first (more cells breaking a tie, then the order of
    DELIMITERS); the csv module counts, so a delimiter inside quotes is
    text. None splits the first record: a file of one column, ",".
    Cells are texts exactly as in the file, but for CRLF in a quoted cell,
    which becomes LF. A cell is at most MAX_CELL characters (through
    csv.field_size_limit, which is the process's), a line MAX_LINE.

XLSX
    openpyxl in read-only mode: a sheet is parsed as it is read (the shared
    strings of the workbook are held in memory, as openpyxl does), and the
    file stays open until the Sheet is closed. Formulas give their cached
    values (None in a file never opened in a spreadsheet program). A cell
    gives its value and its number format; `date_precision` tells what a
    date format shows of a date. The first sheet of cells, or one named.

Either
    The first non-blank row is the header (or, with header=False, the
    columns are A, B, C... as many as the widest of the first rows needs).
    Header names are stripped; an empty one is named by its column letter,
    a repeated one (in any case) gets " (2)", " (3)"... Rows with no text
    are skipped. A row with more cells than there are columns, or in CSV
    fewer, is read with a problem saying so.
"""

import codecs
import csv
import datetime
import io
import re
import weakref
import zipfile
import zlib
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from charset_normalizer import from_bytes
from defusedxml import DefusedXmlException, ElementTree
from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.exceptions import InvalidFileException

__all__ = [
    "DELIMITERS",
    "KINDS",
    "LEGACY_ENCODINGS",
    "MAX_CELL",
    "Cell",
    "Row",
    "Sheet",
    "SheetError",
    "column_letter",
    "date_precision",
    "open_sheet",
]

KINDS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
DELIMITERS = (",", ";", "\t", "|")  # in order of preference when they tie
LEGACY_ENCODINGS = ("cp1251", "cp1256", "cp1252", "latin_1")  # what a guess chooses from
SAMPLE_BYTES = 1 << 16  # read to choose the encoding and the delimiter
SAMPLE_RECORDS = 50  # records counted to choose the delimiter, or the columns without a header
MAX_CELL = 1 << 24  # characters in a CSV cell (csv.field_size_limit)
MAX_LINE = 4 * MAX_CELL  # characters in a line of a CSV file
BOMS = (  # UTF-32 LE before UTF-16 LE: its mark begins with UTF-16 LE's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls file, or an encrypted .xlsx
# What openpyxl raises on a file that is not a workbook or is damaged.
NOT_A_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    ElementTree.ParseError,
    DefusedXmlException,  # a workbook with entity declarations
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    OverflowError,
    EOFError,
)


class SheetError(Exception):
    """The file cannot be read on. `row` is a row's number as Row.number
    gives it, `line` a line of a CSV file where no row is meant."""

    def __init__(self, message, row=None, column=None, *, line=None):
        self.message, self.row, self.column, self.line = message, row, column, line
        super().__init__(message)

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column “{self.column}”")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(slots=True)
class Cell:
    value: object  # str for CSV; openpyxl's value for XLSX; None for no cell
    number_format: str = ""  # XLSX only


@dataclass(slots=True)
class Row:
    number: int  # CSV: the line the row starts on; XLSX: the sheet's row number
    cells: dict  # column name -> Cell, for every column
    problems: list = field(default_factory=list)  # (column name or None, message)


def column_letter(index):
    """The spreadsheet letters of the column at `index` from 0: A ... Z, AA, AB ..."""
    if index < 0:
        raise ValueError(f"a column index is 0 or more, not {index}")
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- Date formats ------------------------------------------------------------

_FORMAT_TOKEN = re.compile(
    r'"[^"]*"?'  # a quoted literal
    r"|\\.|[_*]."  # an escaped character; a space as wide as one; a fill
    r"|\[[^\]]*\]?"  # a locale, colour, condition, or elapsed time ([h], [mm], [ss])
    r"|am/pm|a/p|general"
    r"|y+|m+|d+|h+|s+"
    r"|;"  # the end of a section
    r"|.",
    re.IGNORECASE | re.DOTALL,
)
_ELAPSED = re.compile(r"h+|m+|s+", re.IGNORECASE)


def _date_parts(number_format):
    """The date and time parts of the first section of a number format, in
    order: "y", "mo" (month), "d", "h", "mi" (minute), "s"."""
    parts = []
    for token in _FORMAT_TOKEN.findall(number_format):
        lower = token.lower()
        if lower == ";":
            break
        if lower.startswith("["):
            elapsed = lower.strip("[]")
            if _ELAPSED.fullmatch(elapsed):  # [h]:mm, [mm]:ss: a duration
                parts.append({"h": "h", "m": "mi", "s": "s"}[elapsed[0]])
        elif lower in ("general", "am/pm", "a/p") or not lower.isalpha():
            continue
        elif lower[0] in "ydhs":
            parts.append(lower[0])
        elif lower[0] == "m":
            parts.append("mo" if len(lower) > 2 else "m?")
    # m and mm are minutes right after hours or right before seconds.
    for index, part in enumerate(parts):
        if part == "m?":
            after_hours = index > 0 and parts[index - 1] == "h"
            before_seconds = index + 1 < len(parts) and parts[index + 1] == "s"
            parts[index] = "mi" if after_hours or before_seconds else "mo"
    return parts


def date_precision(number_format):
    """What a date shown in `number_format` tells of it: "day", "month" or
    "year"; None for a format of no date (a number, text, a time only).
    Excel's built-in format ids are taken too."""
    if isinstance(number_format, int):
        number_format = BUILTIN_FORMATS.get(number_format, "")
    parts = _date_parts(number_format or "")
    for part, precision in (("d", "day"), ("mo", "month"), ("y", "year")):
        if part in parts:
            return precision
    return None


# --- The sheet ---------------------------------------------------------------


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _cells(count):
    return "1 cell" if count == 1 else f"{count} cells"


def _heading(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()
    return "" if value is None else str(value).strip()


def _distinct(headings):
    """Header names, each once: an empty one named by its column letter, a
    repeated one (whatever its case) numbered."""
    names, seen = [], set()
    for index, heading in enumerate(headings):
        base = heading or column_letter(index)
        name, copy = base, 1
        while name.casefold() in seen:
            copy += 1
            name = f"{base} ({copy})"
        seen.add(name.casefold())
        names.append(name)
    return names


class Sheet:
    """A CSV file or a sheet of a workbook, its columns known; rows() reads
    its rows. A context manager: leaving it closes the file."""

    kind = ""
    short_rows_are_normal = False  # XLSX leaves out empty cells at the end of a row

    def __init__(self, path, header):
        self.path = Path(path)
        self.name = self.path.name
        self.encoding = self.encoding_source = self.delimiter = self.sheet_name = None
        self.columns = []
        self._header = header
        self._readers = weakref.WeakSet()  # records() generators not finished
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<Sheet {self.name} ({self.kind}): {len(self.columns)} columns>"

    def close(self):
        self._closed = True
        for reader in list(self._readers):
            reader.close()

    def _records(self):
        """(number, [Cell], [problem]) for each record of the file, blank or not."""
        raise NotImplementedError

    def _width(self, cells):
        return len(cells)

    def _reading(self):
        if self._closed:
            raise ValueError(f"the sheet of {self.name} is closed")
        records = self._records()
        self._readers.add(records)
        return closing(records)

    def _set_columns(self):
        """The columns from the header, or from the widest of the first rows."""
        with self._reading() as records:
            found = (cells for _, cells, _ in records if not all(_is_blank(c.value) for c in cells))
            if self._header:
                header = next(found, None)
                if header is not None:
                    self.columns = _distinct(
                        [_heading(cell.value) for cell in header[: self._width(header)]]
                    )
            else:
                width = max(
                    (self._width(cells) for cells in islice(found, SAMPLE_RECORDS)), default=0
                )
                self.columns = [column_letter(index) for index in range(width)]
        if not self.columns:
            raise SheetError(self._no_cells())

    def _no_cells(self):
        return "the file has only empty cells"

    def rows(self):
        """Row for each data row, blank rows left out, one at a time."""
        with self._reading() as records:
            header_pending = self._header
            for number, cells, problems in records:
                if all(_is_blank(cell.value) for cell in cells):
                    continue
                if header_pending:
                    header_pending = False
                    continue
                yield self._row(number, cells, problems)

    def sample(self, n=20):
        """The first n data rows, read apart from any rows() under way."""
        with closing(self.rows()) as rows:
            return list(islice(rows, n))

    def _row(self, number, cells, problems):
        columns = self.columns
        count, width = len(cells), len(columns)
        row = Row(number, dict(zip(columns, cells, strict=False)), list(problems))
        if count < width:
            for name in columns[count:]:
                row.cells[name] = Cell(None)
            if not self.short_rows_are_normal:
                row.problems.append(
                    (
                        columns[count],
                        f"the row has {_cells(count)} but {self._against()} {width}: "
                        f"it ends before “{columns[count]}”",
                    )
                )
        extra = next((i for i in range(width, count) if not _is_blank(cells[i].value)), None)
        if extra is not None:
            used = max(i for i in range(count) if not _is_blank(cells[i].value)) + 1
            row.problems.append(
                (
                    None,
                    f"the row has {_cells(used)} but {self._against()} {width}: "
                    f"the cells from column {column_letter(extra)} on have no heading "
                    "and are left out",
                )
            )
        return row

    def _against(self):
        return "the header has" if self._header else "there are columns for"


# --- CSV ---------------------------------------------------------------------


def _line_breaks(text, after_cr=False):
    """Line breaks in `text` as the csv module counts them (LF, CRLF, CR)."""
    count = text.count("\n") + text.count("\r") - text.count("\r\n")
    return count - 1 if after_cr and text.startswith("\n") else count


def _known_encoding(name):
    try:
        info = codecs.lookup(name)
        io.TextIOWrapper(io.BytesIO(), encoding=info.name)  # refuses base64 and the like
    except (LookupError, TypeError):
        raise SheetError(
            f"“{name}” is not the name of a text encoding; give one such as utf-8, "
            "cp1251, cp1256 or cp1252"
        ) from None
    return info.name


def _guess_legacy(head):
    """The legacy code page of `head` (bytes that are not UTF-8), judged on
    its lines with bytes beyond ASCII; None when none fits."""
    telling = b"\n".join(line for line in head.split(b"\n") if not line.isascii())
    best = from_bytes(telling or head, cp_isolation=list(LEGACY_ENCODINGS)).best()
    name = None if best is None else codecs.lookup(best.encoding).name
    return name if name in {codecs.lookup(legacy).name for legacy in LEGACY_ENCODINGS} else None


def _decodes(head, encoding, complete):
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


class CSVSheet(Sheet):
    kind = "csv"

    def __init__(self, path, *, delimiter=None, encoding=None, header=True):
        super().__init__(path, header)
        self._skip = 0  # bytes of a byte order mark
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise SheetError(
                    f"the delimiter is one character other than a quote or a line break, "
                    f"not “{delimiter}”"
                )
        with open(self.path, "rb") as raw:
            head = raw.read(SAMPLE_BYTES)
            complete = not raw.read(1)
        if not head:
            raise SheetError("the file is empty")
        self._choose_encoding(head, complete, encoding)
        with self._text() as text:
            sample = self._decoded(lambda: text.read(SAMPLE_BYTES))
            if not sample.strip() and self._decoded(lambda: _blank_to_the_end(text)):
                raise SheetError("the file is empty")
        self.delimiter = delimiter or _detect_delimiter(sample, len(sample) < SAMPLE_BYTES)
        self._set_columns()

    def _choose_encoding(self, head, complete, given):
        bom = next(((mark, name) for mark, name in BOMS if head.startswith(mark)), None)
        if given is not None:
            self.encoding, self.encoding_source = _known_encoding(given), "given"
            if bom and bom[1] == self.encoding:
                self._skip = len(bom[0])
        elif bom:
            self.encoding, self.encoding_source = bom[1], "bom"
            self._skip = len(bom[0])
        elif _decodes(head, "utf-8", complete):
            self.encoding, self.encoding_source = "utf-8", "utf-8"
        else:
            self.encoding, self.encoding_source = _guess_legacy(head), "detected"
            if self.encoding is None:
                raise SheetError(
                    "the file is not UTF-8 and its encoding cannot be told; "
                    "give it, for example cp1252, cp1251 or cp1256"
                )

    @contextmanager
    def _text(self):
        with open(self.path, "rb") as raw:
            raw.seek(self._skip)
            with io.TextIOWrapper(raw, encoding=self.encoding, newline="") as text:
                yield text

    def _decoded(self, read):
        """What read() returns, or SheetError naming the line of a byte
        that does not decode."""
        try:
            return read()
        except UnicodeDecodeError as error:
            raise self._undecodable(error) from None

    def _undecodable(self, error):
        found = _first_undecodable(self.path, self._skip, self.encoding)
        line, bad = found if found else (None, error.object[error.start : error.end])
        byte = " ".join(f"0x{b:02X}" for b in bad[:4])
        name = self.encoding.upper() if self.encoding.startswith("utf") else self.encoding
        advice = {
            "utf-8": f"this line is not {name} ({byte}) although the start of the file is; "
            "give the file's encoding, for example cp1252, cp1251 or cp1256",
            "detected": f"this line cannot be read as {name} ({byte}), the encoding guessed "
            "from the start of the file; give the file's encoding",
            "given": f"this line cannot be read as {name} ({byte}), the encoding given; "
            "check the file's encoding",
            "bom": f"this line is not {name} ({byte}) although the file begins with its "
            "byte order mark; the file is damaged",
        }[self.encoding_source]
        return SheetError(advice, line=line)

    def _lines(self, text, state):
        """The lines of `text`, each ending with its line break, counted in
        state["lines"]; state["eof"] once all are read."""
        while line := self._decoded(lambda: text.readline(MAX_LINE)):
            state["lines"] += 1
            if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
                raise SheetError(
                    f"the line is longer than {MAX_LINE:,} characters, the most read in one line",
                    line=state["lines"],
                )
            yield line
        state["eof"] = True

    def _records(self):
        csv.field_size_limit(MAX_CELL)
        with self._text() as text:
            state = {"lines": 0, "eof": False}
            records = csv.reader(
                self._lines(text, state),
                delimiter=self.delimiter or ",",
                quotechar='"',
                doublequote=True,
                skipinitialspace=False,
                strict=False,
            )
            while True:
                number = state["lines"] + 1
                try:
                    fields = next(records)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise _csv_failure(error, number) from None
                problems = []
                if any("\x00" in f for f in fields):
                    raise _nul(fields, number)
                if state["eof"]:
                    # The record ended with the file, not with a line: a quote never closed.
                    column = (
                        self.columns[len(fields) - 1] if len(fields) <= len(self.columns) else None
                    )
                    problems.append(
                        (
                            column,
                            "a quote opened in this row is never closed, so its last cell "
                            "runs to the end of the file",
                        )
                    )
                yield (
                    number,
                    [Cell(f.replace("\r\n", "\n") if "\r" in f else f) for f in fields],
                    problems,
                )


def _blank_to_the_end(text):
    while chunk := text.read(SAMPLE_BYTES):
        if chunk.strip():
            return False
    return True


def _first_undecodable(path, skip, encoding):
    """(line, bytes) of the first bytes of the file that do not decode."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines, after_cr = 1, False
    with open(path, "rb") as raw:
        raw.seek(skip)
        while True:
            chunk = raw.read(SAMPLE_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                before = error.object[: error.start].decode(encoding, "replace")
                return lines + _line_breaks(before, after_cr), error.object[error.start : error.end]
            if not chunk:
                return None
            lines += _line_breaks(text, after_cr)
            after_cr = text.endswith("\r") if text else after_cr


def _csv_failure(error, number):
    message = str(error)
    if "field larger than field limit" in message:
        return SheetError(
            f"a cell is longer than {MAX_CELL:,} characters, the most read in one cell; "
            "perhaps a quote in it is never closed",
            row=number,
        )
    if "NUL" in message:
        return SheetError(_NUL, row=number)
    return SheetError(f"the file cannot be read as CSV here ({message})", row=number)


_NUL = (
    "the line has a NUL character, which text never has: the file may be UTF-16 "
    "without a byte order mark, or not a CSV file; save it again as CSV (UTF-8)"
)


def _nul(fields, number):
    text = "".join(fields)
    return SheetError(_NUL, line=number + _line_breaks(text[: text.index("\x00")]))


def _detect_delimiter(sample, complete):
    """The delimiter of the text `sample` (the start of the file, `complete`
    when it is all of it)."""
    best, best_score = ",", None
    for candidate in DELIMITERS:
        counts = []
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=candidate, strict=False)
        try:
            for fields in reader:
                if any(f.strip() for f in fields):
                    counts.append(len(fields))
                    if len(counts) > SAMPLE_RECORDS:
                        break
        except csv.Error:  # a cell over the limit or a NUL: judged on what was read
            pass
        if len(counts) > SAMPLE_RECORDS or (not complete and len(counts) > 1):
            counts.pop()  # the last may be cut short by the end of the sample
        if not counts or counts[0] < 2:
            continue
        score = (sum(count == counts[0] for count in counts) / len(counts), counts[0])
        if best_score is None or score > best_score:
            best, best_score = candidate, score
    return best


# --- XLSX --------------------------------------------------------------------


class XLSXSheet(Sheet):
    kind = "xlsx"
    short_rows_are_normal = True

    def __init__(self, path, *, sheet=None, header=True):
        super().__init__(path, header)
        self._file = open(self.path, "rb")  # noqa: SIM115 (open until close())
        self._workbook = None
        try:
            self._open(sheet)
            self._set_columns()
        except BaseException:
            self.close()
            raise

    def _open(self, sheet):
        start = self._file.read(len(OLE_SIGNATURE))
        if not start:
            raise SheetError("the file is empty")
        if start == OLE_SIGNATURE:
            raise SheetError(
                "the file is an old Excel workbook (.xls) or one protected by a password; "
                "save it as .xlsx, without a password, or as CSV"
            )
        self._file.seek(0)
        try:
            self._workbook = load_workbook(
                self._file, read_only=True, data_only=True, keep_links=False
            )
        except NOT_A_WORKBOOK as error:
            raise SheetError(
                f"the file cannot be read as an Excel workbook (.xlsx): it is not one, "
                f"or it is damaged ({type(error).__name__}: {error})"
            ) from None
        worksheets = self._workbook.worksheets
        if not worksheets:
            raise SheetError("the workbook has no sheet of cells")
        if sheet is None:
            self._worksheet = worksheets[0]
        else:
            self._worksheet = self._named(sheet, worksheets)
        self._worksheet.reset_dimensions()  # read every row, whatever the file says its size is
        self.sheet_name = self._worksheet.title

    def _named(self, name, worksheets):
        by_title = {ws.title: ws for ws in worksheets}
        if name in by_title:
            return by_title[name]
        folded = [ws for ws in worksheets if ws.title.casefold() == str(name).strip().casefold()]
        if len(folded) == 1:
            return folded[0]
        names = ", ".join(f"“{title}”" for title in self._workbook.sheetnames)
        if name in self._workbook.sheetnames:
            raise SheetError(f"“{name}” is a chart, not a sheet of cells; the sheets: {names}")
        raise SheetError(f"the workbook has no sheet named “{name}”; its sheets: {names}")

    def close(self):
        super().close()
        if self._workbook is not None:
            self._workbook.close()
        self._file.close()

    def _no_cells(self):
        return f"the sheet “{self.sheet_name}” is empty"

    def _width(self, cells):
        """Up to the last cell with a value: XLSX keeps empty formatted cells."""
        return next((i + 1 for i in range(len(cells) - 1, -1, -1) if cells[i].value is not None), 0)

    def _records(self):
        number = 0
        rows = self._worksheet.iter_rows()
        while True:
            try:
                found = next(rows, None)
                cells = None if found is None else [_xlsx_cell(cell) for cell in found]
            except NOT_A_WORKBOOK as error:
                raise SheetError(
                    f"the sheet cannot be read on from here: it is damaged "
                    f"({type(error).__name__}: {error})",
                    row=number + 1,
                ) from None
            if cells is None:
                return
            number += 1
            yield number, cells, ()


def _xlsx_cell(cell):
    value = cell.value
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n")
    return Cell(value, cell.number_format or "")


# --- Opening -----------------------------------------------------------------


def open_sheet(path, *, delimiter=None, encoding=None, sheet=None, header=True, kind=None):
    """The Sheet of the CSV or XLSX file at `path` (its kind from its suffix
    unless given), its encoding and delimiter (CSV) or sheet (XLSX, the
    first unless named) found, its columns read; SheetError when it cannot
    be read. `delimiter` and `encoding` are for CSV, `sheet` for XLSX."""
    path = Path(path)
    if kind is None:
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            suffixes = ", ".join(list(KINDS)[:-1]) + " or " + list(KINDS)[-1]
            hint = " (save it as .xlsx or CSV)" if path.suffix.lower() in (".xls", ".ods") else ""
            raise SheetError(
                f"“{path.name}” is not a spreadsheet read here: the name of one ends in "
                f"{suffixes}{hint}"
            )
    elif kind not in ("csv", "xlsx"):
        raise SheetError(f"a spreadsheet to read is CSV or XLSX, not “{kind}”")
    if not path.is_file():
        raise SheetError(f"there is no file “{path}”")
    try:
        if kind == "csv":
            return CSVSheet(path, delimiter=delimiter, encoding=encoding, header=header)
        return XLSXSheet(path, sheet=sheet, header=header)
    except OSError as error:
        raise SheetError(f"the file cannot be read ({error.strerror or error})") from None
