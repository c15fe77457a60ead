"""The CSV format read and written without a database: encodings, delimiters, quotes, caps, formula
injection."""

from __future__ import annotations

import codecs
from datetime import date, datetime, time

import pytest

from portevoix.planning import csvformat
from portevoix.planning.csvformat import FileRefused, read

NETWORKS = ("telegram", "x", "bluesky", "mastodon")
HEADER = "date,time,timezone,channels,text,title,link,rubric\n"


def rows_of(text: str, **kwargs) -> csvformat.Parsed:
    return read(text.encode("utf-8"), networks=NETWORKS, **kwargs)


def test_plain_utf8_rows_are_read():
    parsed = rows_of(HEADER + "2030-01-02,09:30,,Acme;News,Hello,Launch,https://example.com,Tips\n")
    assert parsed.problems == []
    assert parsed.total_rows == 1
    row = parsed.rows[0]
    assert row.number == 2
    assert row.date == date(2030, 1, 2)
    assert row.time == time(9, 30)
    assert row.channels == ["Acme", "News"]
    assert (row.text, row.title, row.link, row.rubric) == ("Hello", "Launch", "https://example.com", "Tips")


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its BOM (little-endian here)
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ],
    ids=["utf8-bom", "utf16-le-bom", "utf16-be-bom"],
)
def test_byte_order_marks_are_recognised(encode):
    text = HEADER + "2030-01-02,09:30,,Acme,Привет — ünïcode ✓,,,\n"
    parsed = read(encode(text), networks=NETWORKS)
    assert parsed.problems == []
    assert parsed.rows[0].text == "Привет — ünïcode ✓"
    assert parsed.columns[0] == "date"  # the BOM did not stick to the first column's name


def test_latin1_is_refused_naming_the_line():
    data = (HEADER + "2030-01-02,09:30,,Acme,fine,,,\n2030-01-03,09:30,,Acme,caf\xe9,,,\n").encode("latin-1")
    with pytest.raises(FileRefused) as refused:
        read(data, networks=NETWORKS)
    assert "Line 3" in refused.value.message
    assert "UTF-8" in refused.value.message


def test_utf16_without_bom_is_refused_for_its_nul_bytes():
    with pytest.raises(FileRefused) as refused:
        read((HEADER + "2030-01-02,09:30,,Acme,x,,,\n").encode("utf-16-le"), networks=NETWORKS)
    assert "NUL" in refused.value.message
    assert "Line 1" in refused.value.message


def test_nul_character_in_a_cell_is_refused():
    with pytest.raises(FileRefused) as refused:
        rows_of(HEADER + "2030-01-02,09:30,,Acme,a\x00b,,,\n")
    assert "Line 2" in refused.value.message


def test_empty_file_is_refused():
    with pytest.raises(FileRefused):
        read(b"", networks=NETWORKS)
    with pytest.raises(FileRefused):
        read(b"  \n\n", networks=NETWORKS)


def test_semicolon_delimiter_is_sniffed_and_quoted_cells_span_lines():
    text = 'date;time;channels;text\n2030-01-02;18:00;Acme|News;"Line one;\nline ""two"""\n'
    parsed = rows_of(text)
    assert parsed.delimiter == ";"
    assert parsed.problems == []
    assert parsed.rows[0].text == 'Line one;\nline "two"'
    assert parsed.rows[0].channels == ["Acme", "News"]


def test_crlf_line_ends_and_blank_rows():
    text = (
        'date,time,channels,text\r\n2030-01-02,18:00,Acme,"a\r\nb"\r\n,,,\r\n\r\n2030-01-03,18:00,Acme,c\r\n'
    )
    parsed = rows_of(text)
    assert parsed.total_rows == 2  # blank rows are skipped
    assert [row.text for row in parsed.rows] == ["a\nb", "c"]
    assert [row.number for row in parsed.rows] == [2, 5]  # spreadsheet rows (multi-line cell is one row)


def test_unbalanced_quote_is_a_problem_naming_the_line_not_an_exception():
    text = HEADER + '2030-01-02,09:30,,Acme,"never closed,,,\n2030-01-03,09:30,,Acme,x,,,\n'
    parsed = rows_of(text)
    assert parsed.rows == []
    assert len(parsed.problems) == 1
    assert "line 2" in parsed.problems[0].message
    assert "quote" in parsed.problems[0].message


def test_stray_quote_inside_a_cell_is_reported():
    parsed = rows_of(HEADER + '2030-01-02,09:30,,Acme,"quoted"tail,,,\n')
    assert parsed.rows == []
    assert parsed.problems
    assert "quote" in parsed.problems[0].message


def test_header_problems_unknown_duplicate_missing():
    parsed = rows_of("date,time,text,colour,text_myspace,text\n2030-01-02,09:30,x,red,y,z\n")
    messages = {(problem.column, problem.message.split(".")[0]) for problem in parsed.problems}
    columns = {problem.column for problem in parsed.problems}
    assert {"colour", "text_myspace", "text", "channels"} <= columns
    assert all(problem.row == 1 for problem in parsed.problems)
    assert messages  # each has a sentence
    assert parsed.rows == []


def test_header_is_case_and_space_insensitive_and_variants_are_read():
    parsed = rows_of(" Date ,TIME,Channels,Text,TEXT_X\n2030-01-02,09:30,Acme,Long text,Short for X\n")
    assert parsed.problems == []
    assert parsed.rows[0].variants == {"x": "Short for X"}


def test_row_problems_name_row_and_column():
    text = HEADER + (
        "2030-02-30,9h,,,x,,ftp://nope,\n"  # bad date, bad time, no channel, bad link
        "2030-01-02,09:30,,Acme,x," + "T" * 201 + ",,\n"
    )
    parsed = rows_of(text)
    found = {(problem.row, problem.column) for problem in parsed.problems}
    assert {(2, "date"), (2, "time"), (2, "channels"), (2, "link"), (3, "title")} <= found
    assert parsed.rows == []
    assert parsed.error_rows == 2


def test_too_many_cells_in_a_row():
    parsed = rows_of("date,time,channels\n2030-01-02,09:30,Acme,extra\n")
    assert parsed.problems[0].row == 2
    assert "header has 3 columns" in parsed.problems[0].message


def test_row_cap_refuses_the_file():
    lines = "".join(f"2030-01-02,09:{n % 60:02d},Acme\n" for n in range(6))
    with pytest.raises(FileRefused) as refused:
        rows_of("date,time,channels\n" + lines, max_rows=5)
    assert "more than 5 rows" in refused.value.message
    assert rows_of("date,time,channels\n" + lines, max_rows=6).total_rows == 6


def test_cell_cap():
    parsed = rows_of(
        "date,time,channels,text\n2030-01-02,09:30,Acme," + "a" * (csvformat.MAX_CELL_CHARS + 1) + "\n"
    )
    assert parsed.problems[0].column == "text"
    assert str(csvformat.MAX_CELL_CHARS) in parsed.problems[0].message


def test_huge_cell_beyond_the_csv_module_limit_is_a_problem_not_a_crash():
    parsed = rows_of('date,time,channels,text\n2030-01-02,09:30,Acme,"' + "a" * 200_000 + '"\n')
    assert parsed.rows == []
    assert parsed.problems
    assert "too large" in parsed.problems[0].message


def test_header_without_rows():
    parsed = rows_of("date,time,channels\n")
    assert parsed.total_rows == 0
    assert parsed.problems[0].row == 0


@pytest.mark.parametrize("value", ["=1+1", "+33 1 23", "-5", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_export_prefixes_formula_cells(value):
    assert csvformat.safe_cell(value) == "'" + value
    assert csvformat.unescape_cell(csvformat.safe_cell(value)) == value


@pytest.mark.parametrize("value", ["Hello", "", "'quoted'", "1+1", " =not at start"])
def test_export_leaves_other_cells(value):
    assert csvformat.safe_cell(value) == value


def test_import_keeps_a_formula_as_text_and_strips_our_own_prefix():
    parsed = rows_of("date,time,channels,text,title\n2030-01-02,09:30,Acme,=cmd|' /C calc'!A0,'-- draft\n")
    row = parsed.rows[0]
    assert row.text == "=cmd|' /C calc'!A0"  # stored as is, never evaluated
    assert row.title == "-- draft"  # the ' our export adds is removed


def test_export_round_trips_through_read():
    row = csvformat.ExportRow(
        local=datetime(2030, 1, 2, 9, 30),
        timezone="Europe/Paris",
        channels=["Acme", "42"],
        text='=1+1, "quoted"\nsecond line',
        title="-draft",
        link="https://example.com/a?b=1,2",
        rubric="Tips",
        variants={"x": "@short"},
    )
    lines = list(csvformat.csv_lines([csvformat.header(["x"]), csvformat.export_cells(row, ["x"])]))
    parsed = read(("\ufeff" + "".join(lines)).encode("utf-8"), networks=NETWORKS)
    assert parsed.problems == []
    back = parsed.rows[0]
    assert back.text == '=1+1, "quoted"\nsecond line'
    assert back.title == "-draft"
    assert back.variants == {"x": "@short"}
    assert back.channels == ["Acme", "42"]
    assert back.timezone == "Europe/Paris"
    assert (back.date, back.time) == (date(2030, 1, 2), time(9, 30))
