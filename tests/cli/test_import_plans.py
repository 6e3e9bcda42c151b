"""`pacesetter import-plans`: all rows or none, errors by file row, the changes listed, an
idempotent rerun, any spreadsheet's CSV or an XLSX."""

from decimal import Decimal

from pacesetter.figures import selectors
from pacesetter.movements.models import Plan
from tests.cli.conftest import write_csv, write_xlsx

HEADER = ["unit_code", "indicator", "period", "planned", "rated_capacity"]


def _planned():
    return {
        (p.unit.code, p.period.name): p.indicator.from_minor(p.planned_minor)
        for p in Plan.objects.select_related("unit", "period", "indicator")
    }


def test_plans_are_set_and_a_rerun_changes_nothing(cli, movement, tmp_path, units):
    path = write_csv(
        tmp_path / "plans.csv",
        [
            HEADER,
            ["W1", "steel", "", "100", ""],
            ["W4", "steel", "", "50.5", "80"],
            ["W2", "steel", "March 2025", "9", ""],
        ],
    )
    first = cli("import_plans", str(path), "--movement", movement.slug)
    assert first.code == 0, first.err
    assert "created" in first.out and " 3" in first.out.split("created")[1].splitlines()[0]
    assert _planned() == {
        ("W1", "Whole movement"): Decimal("100.0"),
        ("W4", "Whole movement"): Decimal("50.5"),
        ("W2", "March 2025"): Decimal("9.0"),
    }
    # The plans roll up: the country's plan is its counties', summed.
    (steel, *_) = selectors.unit_figures(unit=units["KP"], movement=movement)
    assert steel.planned == Decimal("150.5") and steel.planned_below

    again = cli("import_plans", str(path), "--movement", movement.slug)
    lines = {line.split()[0]: line.split()[-1] for line in again.out.splitlines() if line.strip()}
    assert (lines["created"], lines["changed"], lines["unchanged"]) == ("0", "0", "3")

    write_csv(path, [HEADER, ["W1", "steel", "", "120", ""]])
    changed = cli("import_plans", str(path), "--movement", movement.slug)
    assert "100.0 → 120.0" in changed.out
    assert _planned()[("W1", "Whole movement")] == Decimal("120.0")


def test_a_bad_row_writes_nothing_and_every_bad_row_is_named(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "plans.csv",
        [
            HEADER,
            ["W1", "steel", "", "100", ""],
            ["NOPE", "steel", "", "5", ""],
            ["W2", "coal", "", "x", ""],
        ],
    )
    outcome = cli("import_plans", str(path), "--movement", movement.slug)
    assert outcome.code == 1
    assert "2 of 3 rows are not valid; no plan was written." in outcome.err
    # Row numbers as in the spreadsheet: the header is row 1.
    assert "no unit with code 'NOPE'" in outcome.out and "no indicator 'coal'" in outcome.out
    table_rows = [line for line in outcome.out.splitlines() if "│" in line]
    assert any(line.split("│")[1].strip() == "3" for line in table_rows)
    assert any(line.split("│")[1].strip() == "4" for line in table_rows)
    assert not Plan.objects.exists()


def test_a_dry_run_shows_the_changes_and_writes_nothing(cli, movement, tmp_path):
    path = write_csv(tmp_path / "plans.csv", [HEADER, ["W1", "steel", "", "100", ""]])
    outcome = cli("import_plans", str(path), "--movement", movement.slug, "--dry-run")
    assert outcome.code == 0 and "dry run: nothing written" in " ".join(outcome.out.split())
    assert "plans that would change" in outcome.out and not Plan.objects.exists()


def test_a_semicolon_export_with_a_byte_order_mark_and_an_xlsx(cli, movement, tmp_path):
    path = tmp_path / "plans.csv"
    path.write_bytes("\ufeffunit_code;indicator;planned\r\nW1;steel;100\r\n".encode())
    assert cli("import_plans", str(path), "--movement", movement.slug).code == 0
    xlsx = write_xlsx(
        tmp_path / "plans.xlsx", [["unit", "indicator", "planned"], ["W2", "steel", 7]]
    )
    assert cli("import_plans", str(xlsx), "--movement", movement.slug).code == 0
    assert _planned() == {
        ("W1", "Whole movement"): Decimal("100.0"),
        ("W2", "Whole movement"): Decimal("7.0"),
    }


def test_an_unknown_movement_is_refused(cli, db, tmp_path):
    path = write_csv(tmp_path / "plans.csv", [HEADER])
    outcome = cli("import_plans", str(path), "--movement", "nope")
    assert outcome.code == 1 and "No movement 'nope'" in outcome.err


def test_a_plan_twice_in_one_file_is_a_row_error_naming_both_rows(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "plans.csv",
        [
            HEADER,
            ["W1", "steel", "", "100", ""],
            ["W2", "steel", "", "5", ""],
            ["W1", "steel", "", "120", ""],
        ],
    )
    outcome = cli("import_plans", str(path), "--movement", movement.slug)
    assert outcome.code == 1, outcome.err
    table_rows = [line.split("│")[1:4] for line in outcome.out.splitlines() if "│" in line]
    assert [[c.strip() for c in r] for r in table_rows if r[0].strip() == "4"] == [
        ["4", "unit_code", "repeats the plan of row 2"]
    ]
    assert not Plan.objects.exists()
