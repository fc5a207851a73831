"""The spreadsheet reader on its own, without a database: messy CSV files
(delimiters, quotes, line endings, encodings, ragged rows, headers) and
XLSX workbooks written here, read row by row, or refused saying why."""

import codecs
import csv
import datetime
import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from claims.exchange.sheets import reading
from claims.exchange.sheets.reading import (
    Cell,
    SheetError,
    column_letter,
    date_precision,
    open_sheet,
)

RUSSIAN = [
    ["Утверждение", "Дата", "Источник"],
    ["Правительство обещало снизить цены на хлеб и молоко к концу года", "12.03.2024", "Интерфакс"],
    ["Министр заявил, что безработица упала до самого низкого уровня", "15.04.2024", "ТАСС"],
    ["Депутат сказал, что новые школы построят во всех районах города", "02.05.2024", "РБК"],
]
ARABIC = [
    ["الادعاء", "التاريخ", "المصدر"],
    ["قالت الحكومة إن معدل البطالة انخفض إلى أدنى مستوى له منذ عشر سنوات", "12.03.2024", "الجزيرة"],
    ["أعلن الوزير أن أسعار الخبز ستنخفض قبل نهاية العام", "15.04.2024", "رويترز"],
    ["صرح النائب بأن المدارس الجديدة ستبنى في جميع أحياء المدينة", "02.05.2024", "الأهرام"],
]
FRENCH = [
    ["Affirmation", "Date", "Source"],
    ["Le ministre a déclaré que le chômage était au plus bas depuis dix ans", "12.03.2024", "AFP"],
    ["Les prix de l'électricité ont baissé, selon le gouvernement", "15.04.2024", "Libération"],
]


def csv_text(rows, delimiter=",", newline="\r\n"):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def write(tmp_path, data, name="claims.csv"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read(path, **options):
    """The sheet (closed) and its rows as (number, {column: value}, problems)."""
    with open_sheet(path, **options) as sheet:
        rows = [
            (row.number, {name: cell.value for name, cell in row.cells.items()}, row.problems)
            for row in sheet.rows()
        ]
    return sheet, rows


def refusal(path, **options):
    with pytest.raises(SheetError) as error, open_sheet(path, **options) as sheet:
        for _ in sheet.rows():
            pass
    return str(error.value)


# --- Delimiters, quotes, line endings -----------------------------------------


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "bar"]
)
def test_each_delimiter_is_detected_with_the_others_inside_cells(tmp_path, delimiter):
    rows = [
        ["Claim", "Date", "Source"],
        ["Prices fell; wages, too | said the minister\tagain", "2024-03-12", "Radio"],
        ["Unemployment is down, he said", "2024-04-15", "TV; evening news"],
        ["Schools | hospitals", "2024-05-02", "Paper"],
    ]
    sheet, read_rows = read(write(tmp_path, csv_text(rows, delimiter)))
    assert sheet.delimiter == delimiter
    assert sheet.columns == ["Claim", "Date", "Source"]
    assert [list(values.values()) for _, values, _ in read_rows] == rows[1:]


def test_the_delimiter_given_overrides_the_one_detected(tmp_path):
    path = write(tmp_path, "a;b;c,d\n1;2;3,4\n5;6;7,8\n")
    assert open_sheet(path).columns == ["a", "b", "c,d"]
    sheet, rows = read(path, delimiter=",")
    assert (sheet.delimiter, sheet.columns) == (",", ["a;b;c", "d"])
    assert rows[0][1] == {"a;b;c": "1;2;3", "d": "4"}


def test_tab_may_be_given_by_name(tmp_path):
    path = write(tmp_path, "a\tb;c\n1\t2;3\n")
    assert open_sheet(path, delimiter="tab").columns == ["a", "b;c"]
    assert open_sheet(path, delimiter="\\t").delimiter == "\t"


def test_a_delimiter_of_more_than_one_character_is_refused(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    assert refusal(path, delimiter=";;").startswith("the delimiter is one character")
    assert refusal(path, delimiter='"').startswith("the delimiter is one character")


def test_a_file_of_one_column_has_the_comma_as_delimiter(tmp_path):
    sheet, rows = read(write(tmp_path, 'Claim\n"Prices fell, he said"\nWages rose, she said\n'))
    assert (sheet.delimiter, sheet.columns) == (",", ["Claim"])
    assert rows[0] == (2, {"Claim": "Prices fell, he said"}, [])
    # A comma not quoted is a delimiter all the same: the row is too long.
    assert rows[1] == (
        3,
        {"Claim": "Wages rose"},
        [(None, "the row has 2 cells but the header has 1: the cells from column B on "
                "have no heading and are left out")],
    )  # fmt: skip


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["CRLF", "LF"])
def test_line_breaks_inside_quotes_are_kept_as_lf_and_rows_numbered_by_line(tmp_path, newline):
    text = 'Claim,Date\n"first line\nsecond line\n",2024\nplain,2025\n'.replace("\n", newline)
    sheet, rows = read(write(tmp_path, text))
    assert rows == [
        (2, {"Claim": "first line\nsecond line\n", "Date": "2024"}, []),
        (5, {"Claim": "plain", "Date": "2025"}, []),
    ]


def test_doubled_quotes_and_delimiters_inside_quotes(tmp_path):
    _, rows = read(write(tmp_path, 'Claim,Source\n"He said ""no"", twice","A, B and ""C"""\n'))
    assert rows[0][1] == {"Claim": 'He said "no", twice', "Source": 'A, B and "C"'}


def test_cells_keep_their_whitespace_and_nbsp(tmp_path):
    _, rows = read(write(tmp_path, 'Name,Claim\n  Jo\u00a0Bloggs ,"\u00a0 50\u00a0% \t"\n'))
    assert rows[0][1] == {"Name": "  Jo\u00a0Bloggs ", "Claim": "\u00a0 50\u00a0% \t"}


def test_blank_rows_are_skipped_and_the_numbers_are_lines(tmp_path):
    _, rows = read(write(tmp_path, "\n\nClaim,Date\n\n , \n\u00a0,\nA,1\n"))
    assert rows == [(7, {"Claim": "A", "Date": "1"}, [])]


# --- Encodings ---------------------------------------------------------------


def test_utf8_without_a_bom(tmp_path):
    sheet, rows = read(write(tmp_path, csv_text(RUSSIAN)))
    assert (sheet.encoding, sheet.encoding_source) == ("utf-8", "utf-8")
    assert rows[0][1]["Утверждение"] == RUSSIAN[1][0]


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
    ids=["utf-8", "utf-16-le", "utf-16-be", "utf-32-le"],
)
def test_a_byte_order_mark_decides_the_encoding_and_is_not_read_as_text(tmp_path, bom, codec):
    sheet, rows = read(write(tmp_path, bom + csv_text(ARABIC).encode(codec)))
    assert (sheet.encoding, sheet.encoding_source) == (codec, "bom")
    assert sheet.columns == ARABIC[0]
    assert [list(values.values()) for _, values, _ in rows] == ARABIC[1:]


@pytest.mark.parametrize(
    ("rows", "codec"),
    [(RUSSIAN, "cp1251"), (ARABIC, "cp1256"), (FRENCH, "cp1252")],
    ids=["russian-cp1251", "arabic-cp1256", "french-cp1252"],
)
def test_a_legacy_code_page_is_guessed(tmp_path, rows, codec):
    sheet, read_rows = read(write(tmp_path, csv_text(rows, ";").encode(codec)))
    assert (sheet.encoding, sheet.encoding_source) == (codec, "detected")
    assert sheet.columns == rows[0]
    assert [list(values.values()) for _, values, _ in read_rows] == rows[1:]


def test_a_few_names_among_thousands_of_ascii_lines_are_enough_to_guess(tmp_path):
    lines = ["n,amount,speaker"] + [
        f"{n},{n * 7 % 9973}.50,{'محمد علي' if n % 97 == 5 else 'Smith'}" for n in range(2000)
    ]
    sheet, rows = read(write(tmp_path, "\n".join(lines).encode("cp1256")))
    assert sheet.encoding == "cp1256"
    assert rows[5][1]["speaker"] == "محمد علي"


def test_the_encoding_given_overrides_the_guess(tmp_path):
    # The same bytes: Cyrillic as cp1251, accented Latin as cp1252.
    path = write(tmp_path, csv_text(RUSSIAN).encode("cp1251"))
    sheet, rows = read(path, encoding="windows-1252")
    assert (sheet.encoding, sheet.encoding_source) == ("cp1252", "given")
    assert sheet.columns[0] == "Óòâåðæäåíèå"
    assert read(path, encoding="cp1251")[0].columns[0] == "Утверждение"


def test_a_bom_of_the_encoding_given_is_not_read_as_text(tmp_path):
    sheet = open_sheet(write(tmp_path, codecs.BOM_UTF8 + b"Claim\nA\n"), encoding="utf8")
    assert (sheet.encoding, sheet.encoding_source, sheet.columns) == ("utf-8", "given", ["Claim"])


@pytest.mark.parametrize("name", ["klingon", "base64"])
def test_an_unknown_encoding_is_refused(tmp_path, name):
    path = write(tmp_path, "a,b\n1,2\n")
    assert refusal(path, encoding=name) == (
        f"“{name}” is not the name of a text encoding; give one such as utf-8, "
        "cp1251, cp1256 or cp1252"
    )


def test_a_byte_not_utf8_after_the_sample_names_its_line(tmp_path):
    lines = [f"{n},claim number {n} as said on the evening news" for n in range(3000)]
    lines[2500] = "2500,the caf\xe9 owner said so"
    data = "\n".join(["n,claim", *lines]).encode("cp1252")
    assert data.index(b"\xe9") > reading.SAMPLE_BYTES
    path = write(tmp_path, data)
    with open_sheet(path) as sheet:
        assert (sheet.encoding, sheet.encoding_source) == ("utf-8", "utf-8")
    assert refusal(path) == (
        "line 2502: this line is not UTF-8 (0xE9) although the start of the file is; "
        "give the file's encoding, for example cp1252, cp1251 or cp1256"
    )
    assert read(path, encoding="cp1252")[1][2500][1]["claim"] == "the caf\xe9 owner said so"


def test_a_crlf_split_between_two_reads_is_one_line_break(tmp_path):
    header = "n,claim\r\n"
    first = "1," + "x" * (reading.SAMPLE_BYTES - 1 - len(header) - 2) + "\r\n"
    data = (header + first + "2,ok\r\n3,caf\xe9\r\n").encode("cp1252")
    assert data[reading.SAMPLE_BYTES - 1 : reading.SAMPLE_BYTES + 1] == b"\r\n"
    assert refusal(write(tmp_path, data)).startswith("line 4: this line is not UTF-8 (0xE9)")


def test_a_byte_the_given_encoding_lacks_names_its_line(tmp_path):
    path = write(tmp_path, b'a,b\r\n1,"two\r\nlines"\r\n3,\x98\r\n')
    assert refusal(path, encoding="cp1251") == (
        "line 4: this line cannot be read as cp1251 (0x98), the encoding given; "
        "check the file's encoding"
    )


def test_a_nul_byte_names_its_line(tmp_path):
    path = write(tmp_path, 'a,b\n1,2\n3,"x\ny\x00"\n')
    assert refusal(path) == (
        "line 4: the line has a NUL character, which text never has: the file may be "
        "UTF-16 without a byte order mark, or not a CSV file; save it again as CSV (UTF-8)"
    )


# --- Empty files, headers, ragged rows -----------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"  \r\n\t\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF8 + b"\n \n"],
    ids=["0 bytes", "whitespace", "utf-8 bom", "utf-16 bom", "bom and whitespace"],
)
def test_an_empty_file_is_refused(tmp_path, data):
    assert refusal(write(tmp_path, data)) == "the file is empty"


def test_a_file_of_empty_cells_is_refused(tmp_path):
    assert refusal(write(tmp_path, ",,\n , ,\n")) == "the file has only empty cells"


def test_a_header_only_file_has_columns_and_no_rows(tmp_path):
    with open_sheet(write(tmp_path, "Claim,Date\r\n")) as sheet:
        assert sheet.columns == ["Claim", "Date"]
        assert list(sheet.rows()) == []
        assert sheet.sample() == []


def test_headers_are_stripped_and_made_distinct_visibly(tmp_path):
    sheet = open_sheet(write(tmp_path, " Date ,,Date,date,B, \n1,2,3,4,5,6\n"))
    assert sheet.columns == ["Date", "B", "Date (2)", "date (3)", "B (2)", "F"]


def test_without_a_header_columns_are_letters_as_wide_as_the_widest_first_row(tmp_path):
    sheet, rows = read(write(tmp_path, "x,y\n1,2,3\n"), header=False)
    assert sheet.columns == ["A", "B", "C"]
    assert rows[0] == (
        1,
        {"A": "x", "B": "y", "C": None},
        [("C", "the row has 2 cells but there are columns for 3: it ends before “C”")],
    )
    assert rows[1] == (2, {"A": "1", "B": "2", "C": "3"}, [])


def test_a_row_with_more_cells_than_the_header_has_a_problem(tmp_path):
    _, rows = read(write(tmp_path, "a,b\n1,2,3,4\n1,2,,\n"))
    assert rows[0] == (
        2,
        {"a": "1", "b": "2"},
        [(None, "the row has 4 cells but the header has 2: the cells from column C on "
                "have no heading and are left out")],
    )  # fmt: skip
    # Empty cells after the last heading (a delimiter at the end) are no problem.
    assert rows[1] == (3, {"a": "1", "b": "2"}, [])


def test_a_row_with_fewer_cells_than_the_header_has_a_problem(tmp_path):
    _, rows = read(write(tmp_path, "a,b,c\n1\n"))
    assert rows == [
        (
            2,
            {"a": "1", "b": None, "c": None},
            [("b", "the row has 1 cell but the header has 3: it ends before “b”")],
        )
    ]


def test_a_quote_never_closed_is_a_problem_of_the_last_row(tmp_path):
    _, rows = read(write(tmp_path, 'a,b\n1,"two\n3,4\n'))
    assert rows == [
        (
            2,
            {"a": "1", "b": "two\n3,4\n"},
            [("b", "a quote opened in this row is never closed, so its last cell runs to "
                   "the end of the file")],
        )
    ]  # fmt: skip


def test_a_long_cell_is_read_and_one_over_the_limit_refused(tmp_path, monkeypatch):
    long = "x" * (1 << 20)  # beyond csv's own limit of 128 K
    path = write(tmp_path, f'a,b\n1,"{long}"\n2,"{"y" * 5000}"\n')
    assert read(path)[1][0][1]["b"] == long
    monkeypatch.setattr(reading, "MAX_CELL", 4000)
    with pytest.raises(SheetError) as error, open_sheet(path) as sheet:
        list(sheet.rows())
    assert error.value.row == 2
    assert str(error.value) == (
        "row 2: a cell is longer than 4,000 characters, the most read in one cell; "
        "perhaps a quote in it is never closed"
    )


def test_a_line_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE", 100)
    path = write(tmp_path, "a,b\n1,2\n" + "3," + "x" * 200 + "\n")
    assert refusal(path) == (
        "line 3: the line is longer than 100 characters, the most read in one line"
    )


# --- Kinds, files ----------------------------------------------------------------


def test_an_unknown_suffix_is_refused_naming_the_ones_read(tmp_path):
    assert refusal(write(tmp_path, "a\n1\n", "claims.xls")) == (
        "“claims.xls” is not a spreadsheet read here: the name of one ends in "
        ".csv, .tsv, .txt, .xlsx or .xlsm (save it as .xlsx or CSV)"
    )


def test_the_kind_given_overrides_the_suffix(tmp_path):
    sheet, rows = read(write(tmp_path, "a|b\n1|2\n", "export.dat"), kind="csv")
    assert (sheet.kind, sheet.name, rows[0][1]) == ("csv", "export.dat", {"a": "1", "b": "2"})


def test_an_unknown_kind_is_refused(tmp_path):
    path = write(tmp_path, "a\n1\n")
    assert refusal(path, kind="ods") == "a spreadsheet to read is CSV or XLSX, not “ods”"


def test_a_missing_file_is_refused(tmp_path):
    assert refusal(tmp_path / "nowhere.csv") == f"there is no file “{tmp_path / 'nowhere.csv'}”"


def test_sample_reads_the_first_rows_apart_from_rows(tmp_path):
    path = write(tmp_path, "n\n" + "".join(f"{n}\n" for n in range(1, 51)))
    with open_sheet(path) as sheet:
        rows = sheet.rows()
        assert next(rows).cells["n"].value == "1"
        assert [row.cells["n"].value for row in sheet.sample(3)] == ["1", "2", "3"]
        assert len(sheet.sample()) == 20
        assert next(rows).cells["n"].value == "2"


def test_a_large_file_is_streamed_a_row_at_a_time(tmp_path):
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("n,claim,date\r\n")
        for n in range(1, 100_001):
            out.write(f'{n},"Claim {n}, as said on the radio",2024-01-{n % 28 + 1:02}\r\n')
    assert path.stat().st_size > 5_000_000
    with open_sheet(path) as sheet:
        rows = sheet.rows()
        count, last = 0, None
        tracemalloc.start()
        try:
            for row in rows:
                count, last = count + 1, row
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert count == 100_000
    assert last.number == 100_001
    assert {name: cell.value for name, cell in last.cells.items()} == {
        "n": "100000",
        "claim": "Claim 100000, as said on the radio",
        "date": "2024-01-13",
    }
    # A list of the rows would take tens of megabytes; a row at a time, little.
    assert peak < 2_000_000, peak


# --- XLSX ----------------------------------------------------------------------


def workbook(path, sheets):
    """Write an .xlsx of {title: rows}; a cell given as (value, format) gets
    that number format."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row or (), start=1):
                if value is None:
                    continue
                value, number_format = value if isinstance(value, tuple) else (value, None)
                cell = sheet.cell(number, column, value)
                if number_format:
                    cell.number_format = number_format
    book.save(path)
    return path


CLAIMS = [
    ["Claim", "Said on", "Votes", "Share", "Checked"],
    ["Prices fell", (datetime.datetime(2024, 3, 1), "mmm yyyy"), 42, 0.5, True],
    ["Wages rose\nfast", (datetime.date(2024, 4, 15), "yyyy-mm-dd"), None, None, None],
    None,
    [" Schools ", (datetime.datetime(2023, 1, 1), "yyyy"), 7],
]


def test_xlsx_the_first_sheet_with_values_formats_and_sheet_row_numbers(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"Claims": CLAIMS, "Other": [["x"], [1]]})
    with open_sheet(path) as sheet:
        assert (sheet.kind, sheet.sheet_name, sheet.encoding, sheet.delimiter) == (
            "xlsx",
            "Claims",
            None,
            None,
        )
        assert sheet.columns == CLAIMS[0]
        rows = list(sheet.rows())
    assert [row.number for row in rows] == [2, 3, 5]
    first, second, third = (row.cells for row in rows)
    assert first["Said on"].value == datetime.datetime(2024, 3, 1)
    assert date_precision(first["Said on"].number_format) == "month"
    assert date_precision(second["Said on"].number_format) == "day"
    assert date_precision(third["Said on"].number_format) == "year"
    assert (first["Votes"].value, first["Share"].value, first["Checked"].value) == (42, 0.5, True)
    assert date_precision(first["Votes"].number_format) is None
    assert second["Claim"].value == "Wages rose\nfast"
    assert third["Claim"].value == " Schools "
    # Empty cells at the end of a row are normal in XLSX: no problem.
    assert third["Share"] == Cell(None) and third["Checked"] == Cell(None)
    assert [row.problems for row in rows] == [[], [], []]


def test_xlsx_a_sheet_by_name(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"Claims": CLAIMS, "Other": [["x"], [1]]})
    sheet, rows = read(path, sheet="Other")
    assert (sheet.sheet_name, sheet.columns, rows) == ("Other", ["x"], [(2, {"x": 1}, [])])
    with open_sheet(path, sheet="Claims") as sheet:
        rows = sheet.rows()
        assert next(rows).number == 2
        assert [row.number for row in sheet.sample()] == [2, 3, 5]
        assert next(rows).number == 3
    assert read(path, sheet="other")[0].sheet_name == "Other"


def test_xlsx_a_missing_sheet_is_refused_naming_the_sheets(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"Claims": CLAIMS, "Other": [["x"]]})
    assert refusal(path, sheet="Rebuttals") == (
        "the workbook has no sheet named “Rebuttals”; its sheets: “Claims”, “Other”"
    )


def test_xlsx_a_chart_sheet_is_not_a_sheet_of_cells(tmp_path):
    path = tmp_path / "claims.xlsx"
    book = Workbook()
    book.active.title = "Claims"
    book.active.append(["Votes", 3])
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=2, min_row=1, max_row=1))
    book.create_chartsheet("Chart").add_chart(chart)
    book.save(path)
    assert refusal(path, sheet="Chart") == (
        "“Chart” is a chart, not a sheet of cells; the sheets: “Claims”, “Chart”"
    )


def test_xlsx_without_a_header_and_a_row_wider_than_the_header(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"S": [["a", "b"], [1, 2, None, 4]]})
    sheet, rows = read(path, header=False)
    assert sheet.columns == ["A", "B", "C", "D"]
    assert rows[0] == (1, {"A": "a", "B": "b", "C": None, "D": None}, [])
    _, rows = read(path)
    assert rows[0][2] == [
        (None, "the row has 4 cells but the header has 2: the cells from column D on "
               "have no heading and are left out")
    ]  # fmt: skip


def test_xlsx_an_empty_sheet_is_refused(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"Blank": [], "Claims": CLAIMS})
    assert refusal(path) == "the sheet “Blank” is empty"


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"Claim,Date\n1,2\n", "the file cannot be read as an Excel workbook (.xlsx)"),
        (None, "the file cannot be read as an Excel workbook (.xlsx)"),
        (b"", "the file is empty"),
        (reading.OLE_SIGNATURE + b"\0" * 504, "the file is an old Excel workbook (.xls)"),
    ],
    ids=["a CSV renamed", "a zip of something else", "0 bytes", "an .xls renamed"],
)
def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(tmp_path, data, start):
    path = tmp_path / "claims.xlsx"
    if data is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "not a workbook")
    else:
        path.write_bytes(data)
    assert refusal(path).startswith(start)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="open files are listed in /proc")
def test_closing_an_xlsx_sheet_closes_the_file(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", {"Claims": CLAIMS})

    def open_files():
        return {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}

    with open_sheet(path) as sheet:
        rows = sheet.rows()
        next(rows)
        assert str(path) in open_files()
    assert str(path) not in open_files()
    with pytest.raises(ValueError):
        sheet.sample()


# --- Date formats and column letters ----------------------------------------------


@pytest.mark.parametrize(
    ("number_format", "precision"),
    [
        ("mmm yyyy", "month"),
        ("mmmm yyyy", "month"),
        ("mm/yyyy", "month"),
        ("yyyy-mm", "month"),
        ("MMM-YY", "month"),
        ("[$-409]mmmm yyyy;@", "month"),
        ("[Red]mm/yyyy", "month"),
        ("yyyy", "year"),
        ('"Year "yyyy', "year"),
        ("dd.mm.yyyy", "day"),
        ("yyyy-mm-dd", "day"),
        ("m/d/yy", "day"),
        ("d-mmm-yy", "day"),
        ("mm-dd-yy", "day"),
        ("m/d/yy h:mm", "day"),
        ("[$-F800]dddd, mmmm dd, yyyy", "day"),
        ('yyyy"年"m"月"d"日"', "day"),
        (14, "day"),
        (17, "month"),
        ("h:mm", None),
        ("h:mm:ss AM/PM", None),
        ("[h]:mm:ss", None),
        ("[mm]:ss", None),
        ("mm:ss", None),
        ("mmss.0", None),
        ('"Date: "0', None),
        ("General", None),
        ("0.00E+00", None),
        ("#,##0.00", None),
        ("@", None),
        ("", None),
        (None, None),
    ],
)
def test_date_precision(number_format, precision):
    assert date_precision(number_format) == precision


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"),
     (702, "AAA"), (16383, "XFD")],
)  # fmt: skip
def test_column_letter(index, letters):
    assert column_letter(index) == letters


def test_column_letter_of_a_negative_index_is_an_error():
    with pytest.raises(ValueError):
        column_letter(-1)


def test_a_sheet_error_says_where():
    assert str(SheetError("no date", row=12, column="Date")) == "row 12, column “Date”: no date"
    assert str(SheetError("bad byte", line=3)) == "line 3: bad byte"
    assert str(SheetError("the file is empty")) == "the file is empty"
    error = SheetError("no date", row=12, column="Date")
    assert (error.message, error.row, error.column) == ("no date", 12, "Date")
