"""`pacesetter import-reports`: streamed batches, rejects with reasons, reruns counted once."""

import datetime as dt
from decimal import Decimal

from pacesetter.ledger import aggregates
from pacesetter.ledger.domain import client_key
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from pacesetter.movements import actions as movement_actions
from tests.cli.conftest import write_csv, write_xlsx

HEADER = ["unit", "indicator", "day", "quantity"]


def steel_total(unit: str, movement) -> Decimal:
    """The unit's subtree total of steel over the whole movement, from the aggregates."""
    total = SubtreePeriodTotal.objects.get(
        unit__code=unit, indicator__code="steel", period=movement.periods.get(is_whole=True)
    )
    return Decimal(total.quantity_minor).scaleb(-1)


def counts(out: str) -> dict[str, str]:
    """The summary's figures: 'rows read' → '3', ..."""
    found = {}
    for line in out.splitlines():
        for name in ("rows read", "created", "replayed", "rejected"):
            if line.strip().startswith(name + " "):
                found[name] = line.split()[-1]
    return found


def test_csv_is_recorded_and_counted_in_the_aggregates(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "reports.csv",
        [
            HEADER,
            ["W1", "steel", "2025-03-10", "12.5"],
            ["W2", "steel", "2025-03-11", "1,000"],
            ["W4", "steel", "2025-04-01", " 3 "],
        ],
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert outcome.code == 0, outcome.err
    assert counts(outcome.out) == {
        "rows read": "3",
        "created": "3",
        "replayed": "0",
        "rejected": "0",
    }
    assert steel_total("KP", movement) == Decimal("1015.5")
    assert steel_total("C1", movement) == Decimal("1012.5")
    assert set(Report.objects.values_list("source", flat=True)) == {"import"}
    assert not (tmp_path / "reports.csv.rejects.csv").exists()
    assert aggregates.rebuild() == []


def test_xlsx_with_date_and_number_cells(cli, movement, tmp_path):
    path = write_xlsx(
        tmp_path / "reports.xlsx",
        [
            ["unit_code", "indicator", "day", "quantity", "idempotency_key"],
            ["W1", "steel", dt.date(2025, 3, 10), 12.5, "sheet-1"],
            ["W3", "steel", dt.date(2025, 3, 11), 7, None],
            [None, None, None, None, None],
            ["W3", "steel", "2025-03-12", "0.5", ""],
        ],
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug, "--source", "cli")
    assert outcome.code == 0, outcome.err
    assert counts(outcome.out)["created"] == "3"
    assert steel_total("KP", movement) == Decimal("20.0")
    keys = {client_key(k) for k in Report.objects.values_list("idempotency_key", flat=True)}
    assert "sheet-1" in keys
    # Rows without a key of their own are named by the file's hash and their row number.
    derived = sorted(k for k in keys if k != "sheet-1")
    assert [k.rsplit(":", 1)[1] for k in derived] == ["3", "5"]
    assert all(k.startswith("file:") and len(k.split(":")[1]) == 16 for k in derived)
    assert set(Report.objects.values_list("source", flat=True)) == {"cli"}


def test_bad_rows_go_to_the_rejects_file_and_the_good_ones_are_recorded(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "reports.csv",
        [
            [*HEADER, "note"],
            ["W1", "steel", "2025-03-10", "10", "a"],
            ["NOPE", "steel", "2025-03-10", "5", "b"],
            ["W2", "steel", "2025-03-10", "20", "c"],
            ["W2", "iron", "2026-13-01", "1.25", "d"],
            ["W3", "steel", "2025-03-10", "30", "e"],
            ["W4", "steel", "2025-03-10", "40", "f"],
        ],
    )
    # Batches of 2: the bad rows sit in the second batch, between good batches.
    outcome = cli("import_reports", str(path), "--movement", movement.slug, "--batch-size", "2")
    assert outcome.code == 2
    assert counts(outcome.out) == {
        "rows read": "6",
        "created": "4",
        "replayed": "0",
        "rejected": "2",
    }
    assert Report.objects.count() == 4
    assert steel_total("KP", movement) == Decimal("100.0")
    rejects = (tmp_path / "reports.csv.rejects.csv").read_text(encoding="utf-8")
    assert rejects.splitlines() == [
        "unit,indicator,day,quantity,note,row,field,reason",
        "NOPE,steel,2025-03-10,5,b,3,unit,no unit with code 'NOPE'",
        "W2,iron,2026-13-01,1.25,d,5,day; indicator,"
        "'2026-13-01' is not a date in the form YYYY-MM-DD; no indicator 'iron' in this movement",
    ]
    assert "2 of 6 rows were rejected" in outcome.err
    assert aggregates.rebuild() == []


def test_corrected_rejects_file_imports_as_it_is(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "reports.csv",
        [HEADER, ["W1", "steel", "2025-03-10", "10"], ["W1", "steel", "2025-03-10", "x"]],
    )
    assert cli("import_reports", str(path), "--movement", movement.slug).code == 2
    rejects = tmp_path / "reports.csv.rejects.csv"
    rejects.write_text(rejects.read_text().replace(",x,", ",15,"), encoding="utf-8")
    outcome = cli("import_reports", str(rejects), "--movement", movement.slug)
    assert outcome.code == 0, outcome.err
    assert steel_total("KP", movement) == Decimal("25.0")
    # A clean rerun of the original removes its rejects file: those rows are recorded now.
    path.write_text(path.read_text().replace(",x", ",15"))
    assert cli("import_reports", str(path), "--movement", movement.slug).code == 0
    assert not rejects.exists()


def test_rerun_of_the_same_file_counts_nothing_twice(cli, movement, tmp_path):
    rows = [[f"W{n % 4 + 1}", "steel", f"2025-03-{n % 28 + 1:02d}", f"{n}.5"] for n in range(25)]
    path = write_csv(tmp_path / "reports.csv", [HEADER, *rows, ["W1", "steel", "", "1"]])
    first = cli("import_reports", str(path), "--movement", movement.slug, "--batch-size", "7")
    assert first.code == 2 and counts(first.out)["created"] == "25"
    total = steel_total("KP", movement)
    second = cli("import_reports", str(path), "--movement", movement.slug, "--batch-size", "10")
    assert second.code == 2
    assert counts(second.out) == {
        "rows read": "26",
        "created": "0",
        "replayed": "25",
        "rejected": "1",
    }
    assert Report.objects.count() == 25
    assert (
        steel_total("KP", movement) == total == Decimal(sum(n for n in range(25))) + Decimal("12.5")
    )
    assert aggregates.rebuild() == []


def test_own_idempotency_keys_and_members(cli, movement, units, tmp_path):
    from pacesetter.units.actions import create_member

    create_member(unit=units["W1"], full_name="A. Worker", external_id="M-1")
    path = write_csv(
        tmp_path / "reports.csv",
        [
            [*HEADER, "member", "idempotency_key"],
            ["W1", "steel", "2025-03-10", "1", "M-1", "k1"],
            ["W2", "steel", "2025-03-10", "2", "M-1", "k2"],
            ["W1", "steel", "2025-03-10", "3", "", "k1"],
        ],
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert outcome.code == 2
    assert Report.objects.get(idempotency_key__endswith="\x1fk1").member.external_id == "M-1"
    reasons = (tmp_path / "reports.csv.rejects.csv").read_text().splitlines()[1:]
    assert [line.split(",")[-2] for line in reasons] == ["member", "idempotency_key"]


def test_fatal_errors_exit_1_and_record_nothing(cli, movement, units, tmp_path):
    good = write_csv(tmp_path / "reports.csv", [HEADER, ["W1", "steel", "2025-03-10", "1"]])
    outcome = cli("import_reports", str(good), "--movement", "nope")
    assert (outcome.code, "No movement 'nope'" in outcome.err) == (1, True)

    outcome = cli("import_reports", str(tmp_path / "missing.csv"), "--movement", movement.slug)
    assert (outcome.code, "no such file" in outcome.err) == (1, True)

    no_day = write_csv(tmp_path / "no_day.csv", [["unit", "indicator", "quantity"], ["W1", "x", 1]])
    outcome = cli("import_reports", str(no_day), "--movement", movement.slug)
    assert (outcome.code, "lacks the column day" in outcome.err) == (1, True)

    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"unit,indicator,day,quantity\nW1,steel,2025-03-10,1\nW\xe9,steel,x,1\n")
    outcome = cli("import_reports", str(latin), "--movement", movement.slug)
    assert (outcome.code, "not UTF-8" in outcome.err) == (1, True)

    broken = tmp_path / "broken.csv"
    broken.write_text('unit,indicator,day,quantity\nW1,steel,2025-03-10,1\nW1,"steel,x,1\n')
    outcome = cli("import_reports", str(broken), "--movement", movement.slug)
    assert outcome.code == 1, outcome.err

    assert (
        cli("import_reports", str(good), "--movement", movement.slug, "--batch-size", "0").code == 1
    )

    draft = movement_actions.create_movement(
        title="Draft",
        slug="draft",
        organiser=units["KP"],
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    outcome = cli("import_reports", str(good), "--movement", draft.slug)
    assert (outcome.code, "is draft" in outcome.err) == (1, True)
    movement_actions.close_movement(movement=movement)
    outcome = cli("import_reports", str(good), "--movement", movement.slug)
    assert (outcome.code, "is closed" in outcome.err) == (1, True)
    assert not Report.objects.exists()


def test_a_nul_idempotency_key_is_a_row_error_and_nothing_is_recorded(cli, movement, tmp_path):
    path = write_csv(
        tmp_path / "reports.csv",
        [
            [*HEADER, "idempotency_key"],
            ["W1", "steel", "2025-03-10", "1", "k1"],
            ["W2", "steel", "2025-03-10", "2", "k\x002"],
        ],
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert outcome.code == 1
    assert "row 3, idempotency_key: contains the control character U+0000" in outcome.err
    assert not Report.objects.exists()


def test_a_semicolon_export_with_a_byte_order_mark(cli, movement, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_bytes("\ufeffunit;indicator;day;quantity\r\nW1;steel;2025-03-10;2\r\n".encode())
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert outcome.code == 0, outcome.err
    assert Report.objects.get().quantity_minor == 20


def test_a_decimal_comma_where_the_indicator_says_so_and_a_row_error_elsewhere(
    cli, movement, tmp_path
):
    movement.indicators.filter(code="steel").update(decimal_comma=True)
    path = tmp_path / "reports.csv"
    path.write_bytes(
        "\ufeffunit;indicator;day;quantity\r\n"
        "W1;steel;2025-03-10;1,5\r\n"
        "W2;steel;2025-03-10;1.234,5\r\n"
        "W1;stock;2025-03-10;2,0\r\n".encode()
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert outcome.code == 2, outcome.err
    assert sorted(Report.objects.values_list("indicator__code", "quantity_minor")) == [
        ("steel", 15),
        ("steel", 12345),
    ]
    rejects = tmp_path / "reports.csv.rejects.csv"
    rejected = rejects.read_text().splitlines()
    assert rejected[0].startswith("unit;indicator;day;quantity;")
    assert len(rejected) == 2 and "'2,0' is not a number" in rejected[1]
    # Marked as it should have been, the indicator takes the corrected rejects as they are.
    movement.indicators.filter(code="stock").update(decimal_comma=True)
    outcome = cli("import_reports", str(rejects), "--movement", movement.slug)
    assert outcome.code == 0, outcome.err
    assert Report.objects.get(indicator__code="stock").quantity_minor == 2


def test_a_key_twice_in_one_file_counts_once_or_is_refused_naming_the_first_row(
    cli, movement, tmp_path
):
    """A repeated idempotency key in one file is deliberate: the same report again counts
    once (a replay); another report under the same key is refused naming the first row, in
    the file's own numbering."""
    path = write_csv(
        tmp_path / "reports.csv",
        [
            [*HEADER, "idempotency_key"],
            ["W1", "steel", "2025-03-10", "1", "k1"],
            ["W2", "steel", "2025-03-10", "2", "k2"],
            ["W1", "steel", "2025-03-10", "1", "k1"],
            ["W1", "steel", "2025-03-10", "5", "k2"],
        ],
    )
    outcome = cli("import_reports", str(path), "--movement", movement.slug)
    assert counts(outcome.out) == {
        "rows read": "4",
        "created": "2",
        "replayed": "1",
        "rejected": "1",
    }
    assert steel_total("KP", movement) == Decimal(3)
    (reason,) = (tmp_path / "reports.csv.rejects.csv").read_text().splitlines()[1:]
    assert "key 'k2' is used by row 3 for a different report" in reason
