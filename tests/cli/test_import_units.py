"""`pacesetter import-units`: all rows or none; errors name the file's row, field and reason."""

from pacesetter.units.models import Unit
from tests.cli.conftest import write_csv, write_xlsx

HEADER = ["code", "name", "kind", "parent_code", "headcount"]


def test_csv_creates_the_tree_in_any_order(cli, db, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            HEADER,
            ["W1", "Workteam 1", "workteam", "C1", "12"],
            ["C1", "County 1", "county", "KP", ""],
            ["KP", "Country", "country", "", "0"],
        ],
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 0, outcome.err
    assert Unit.objects.get(code="W1").path == (
        f"/{Unit.objects.get(code='KP').pk}/{Unit.objects.get(code='C1').pk}"
        f"/{Unit.objects.get(code='W1').pk}/"
    )
    assert Unit.objects.get(code="W1").headcount == 12
    assert "created" in outcome.out and " 3 " in outcome.out
    # The same file again changes nothing.
    again = cli("import_units", str(path))
    assert again.code == 0 and "unchanged" in again.out
    assert Unit.objects.count() == 3


def test_xlsx_with_numbers_as_cells(cli, db, tmp_path):
    path = write_xlsx(
        tmp_path / "units.xlsx",
        [HEADER, ["KP", "Country", "country", None, 0], ["P1", "Province", "province", "KP", 250]],
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 0, outcome.err
    assert Unit.objects.get(code="P1").headcount == 250


def test_row_errors_are_listed_with_file_row_numbers_and_nothing_is_written(cli, db, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            HEADER,
            ["KP", "Country", "country", "", ""],
            [],  # a blank line keeps its number: the rows below are 4 and 5
            ["P1", "", "province", "KP", "-3"],
            ["P2", "Province 2", "province", "NOWHERE", ""],
        ],
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 1
    assert not Unit.objects.exists()
    lines = [line.split("│")[1:4] for line in outcome.out.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in line] for line in lines] == [
        ["4", "name", "a name is required"],
        ["4", "headcount", "a whole number from 0 to 2,147,483,647 is required"],
        ["5", "parent_code", "no unit with code 'NOWHERE'"],
    ]
    assert "2 of 3 rows are not valid; nothing was imported." in outcome.err


def test_missing_columns_are_named(cli, db, tmp_path):
    path = write_csv(tmp_path / "units.csv", [["code", "title"], ["KP", "Country"]])
    outcome = cli("import_units", str(path))
    assert outcome.code == 1
    assert "lacks the columns name, kind" in outcome.err


def test_unknown_file_type_is_refused(cli, db, tmp_path):
    path = tmp_path / "units.txt"
    path.write_text("code,name,kind\n")
    outcome = cli("import_units", str(path))
    assert outcome.code == 1 and "give a .csv, .csv.gz or .xlsx file" in outcome.err


def test_a_name_with_a_nul_character_is_a_row_error_on_every_database(cli, db, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            HEADER,
            ["KP", "Country", "country", "", ""],
            ["P1", "Prov\x00ince", "province", "KP", ""],
        ],
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 1
    assert "row 3, name: contains the control character U+0000" in outcome.err
    assert not Unit.objects.exists()


def test_a_semicolon_export_with_a_byte_order_mark(cli, db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(
        "\ufeffcode;name;kind;parent_code\r\nKP;Country;country;\r\nP1;Province, north;"
        "province;KP\r\n".encode()
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 0, outcome.err
    assert Unit.objects.get(code="P1").name == "Province, north"


def test_a_code_twice_in_one_file_is_a_row_error_naming_both_rows(cli, db, tmp_path):
    path = write_csv(
        tmp_path / "units.csv",
        [
            HEADER,
            ["KP", "Country", "country", "", ""],
            ["P1", "Province 1", "province", "KP", ""],
            ["P1", "Province one", "province", "KP", ""],
        ],
    )
    outcome = cli("import_units", str(path))
    assert outcome.code == 1, outcome.err
    lines = [line.split("│")[1:4] for line in outcome.out.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in line] for line in lines] == [
        ["4", "code", "code 'P1' repeats row 3"]
    ]
    assert not Unit.objects.exists()
