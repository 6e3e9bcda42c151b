"""core.tabular: the streaming CSV/XLSX reader under the import commands."""

import datetime as dt
import hashlib
import re
import zipfile

import pytest

from pacesetter.core.tabular import (
    TabularError,
    cell_text,
    decimal_point_text,
    delimiter_of,
    open_table,
)
from tests.cli.conftest import write_csv, write_xlsx


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (dt.datetime(2025, 3, 10), "2025-03-10"),
        (dt.datetime(2025, 3, 10, 8, 30), "2025-03-10 08:30:00"),
        (dt.date(2025, 3, 10), "2025-03-10"),
        (12.0, "12"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (7, "7"),
        ("W1", "W1"),
    ],
)
def test_cells_read_as_a_person_typed_them(value, text):
    assert cell_text(value) == text


def test_csv_rows_keep_their_file_numbers_across_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    # A byte-order mark, a blank line, a short row, a quoted cell with a newline in it.
    path.write_bytes('\ufeffUnit , Day\nW1,1\n\n,\nW2\n"W\n3",4\n'.encode())
    with open_table(path) as table:
        assert table.columns(required=["unit", "day"]) == {"unit": 0, "day": 1}
        assert list(table.rows()) == [(2, ["W1", "1"]), (5, ["W2", ""]), (6, ["W\n3", "4"])]
        assert table.position == table.total == path.stat().st_size
        assert table.fingerprint() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_header_problems_are_named(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["unit", "Unit_Code"], ["W1", "W2"]])
    with open_table(path) as table, pytest.raises(TabularError, match="names column 'unit' twice"):
        table.columns(required=["unit"], aliases={"unit_code": "unit"})
    with pytest.raises(TabularError, match="the first row must be the header"):
        open_table(write_csv(tmp_path / "b.csv", [[], ["W1"]]))
    with pytest.raises(TabularError, match="not a readable XLSX"):
        (tmp_path / "c.xlsx").write_text("not a zip")
        open_table(tmp_path / "c.xlsx")


def test_xlsx_is_read_past_a_wrong_stated_size(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx", [["unit", "day"], ["W1", dt.date(2025, 3, 10)], ["W2", 3]]
    )
    with open_table(path) as table:
        assert table.total == 2
        assert list(table.rows()) == [(2, ["W1", "2025-03-10"]), (3, ["W2", "3"])]
        assert table.position == 2
    # Some writers state a size of one cell; openpyxl would stop reading there.
    shrunk = tmp_path / "shrunk.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(shrunk, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            target.writestr(item, data)
    with open_table(shrunk) as table:
        assert table.total is None
        assert [number for number, _cells in table.rows()] == [2, 3]


def test_control_characters_refuse_the_file_naming_every_row_and_column(tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        [["unit", "note"], ["W1", "two\tcells\r\nof text"], ["W\x002", "x"], ["W3", "\x1b[31m"]],
    )
    with open_table(path) as table, pytest.raises(TabularError) as refused:
        table.fingerprint()
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (3, "unit", "control_character"),
        (4, "note", "control_character"),
    ]
    assert "t.csv: row 3, unit: contains the control character U+0000" in str(refused.value)
    with open_table(path) as table, pytest.raises(TabularError, match="row 3, unit: contains"):
        list(table.rows())


def test_control_characters_in_xlsx_cells_are_refused(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [["unit", "note"], ["W1", "fine"], ["W2", "a\x7fb"]])
    with open_table(path) as table, pytest.raises(TabularError) as refused:
        list(table.rows())
    assert [(e.row, e.field) for e in refused.value.errors] == [(3, "note")]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("unit,day", ","),
        ("unit;day", ";"),
        ("unit\tday", "\t"),
        ("unit", ","),  # one column: nothing to tell, nothing to split
        ('"unit, code";day', ";"),  # a separator inside quotes does not count
        ("unit;day,of;report", ";"),
    ],
)
def test_the_separator_is_the_one_the_header_holds_most_of(header, delimiter):
    assert delimiter_of(f"{header}\nW1,2,3;4;5;6\n") == delimiter


def test_a_spreadsheet_export_with_a_bom_and_semicolons_reads_like_any_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufeffunit;quantity;note\r\nW1;1,5;"a; b"\r\n'.encode())
    with open_table(path) as table:
        assert table.delimiter == ";"
        assert table.columns(required=["unit", "quantity"]) == {"unit": 0, "quantity": 1}
        assert list(table.rows()) == [(2, ["W1", "1,5", "a; b"])]
        assert table.fingerprint() == hashlib.sha256(path.read_bytes()).hexdigest()
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("unit\tquantity\nW1\t2\n")
    with open_table(tabs) as table:
        assert (table.delimiter, list(table.rows())) == ("\t", [(2, ["W1", "2"])])


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("1,5", "1.5"),
        ("-1,25", "-1.25"),
        ("1.234,5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234", "1234"),
        ("12", "12"),
        ("1.5", "1.5"),  # not comma notation: left for the parser
        ("1,2,3", "1,2,3"),
        ("x", "x"),
    ],
)
def test_decimal_comma_text(cell, text):
    assert decimal_point_text(cell) == text


def test_a_decimal_comma_is_read_only_in_a_semicolon_file(tmp_path):
    semicolons = tmp_path / "s.csv"
    semicolons.write_text("unit;quantity\nW1;1,5\n")
    commas = write_csv(tmp_path / "c.csv", [["unit", "quantity"], ["W1", "1,5"]])
    with open_table(semicolons) as table:
        assert table.quantity_text("1,5", decimal_comma=True) == "1.5"
        assert table.quantity_text("1,5", decimal_comma=False) == "1,5"
    with open_table(commas) as table:
        assert table.quantity_text("1,5", decimal_comma=True) == "1,5"
