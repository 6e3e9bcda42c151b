"""`pacesetter rebuild-aggregates`: differences listed with --check, replaced with --fix."""

from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import DailyTotal


def test_check_lists_differences_and_fix_replaces_them(cli, movement):
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="W1", indicator="steel", day="2025-03-10", quantity="12.5")],
        source="api",
    )
    clean = cli("rebuild_aggregates", "--check")
    assert (clean.code, clean.out.strip()) == (0, "no differences")

    # An aggregate gone wrong behind the ledger's back (the aggregates take plain writes).
    DailyTotal.objects.filter(unit__code="W1").update(quantity_minor=100)
    wrong = cli("rebuild_aggregates", "--check", "--movement", movement.slug)
    assert wrong.code == 1
    line = next(line for line in wrong.out.splitlines() if "ledger_dailytotal" in line)
    assert [cell.strip() for cell in line.strip("│ ").split("│")] == [
        "ledger_dailytotal",
        "W1",
        "drive / steel",
        "2025-03-10",
        "10.0 · 0.0 · 1 · 0",
        "12.5 · 0.0 · 1 · 0",
    ]
    assert "1 difference between the aggregates and the ledger or the plans" in wrong.err

    fixed = cli("rebuild_aggregates", "--fix")
    assert fixed.code == 0 and "fixed 1 difference" in fixed.out
    assert DailyTotal.objects.get(unit__code="W1").quantity_minor == 125
    assert cli("rebuild_aggregates").code == 0


def test_unknown_movement_is_refused(cli, db):
    outcome = cli("rebuild_aggregates", "--movement", "nope")
    assert (outcome.code, "No movement 'nope'" in outcome.err) == (1, True)


def test_plan_roll_ups_are_checked_and_fixed(cli, movement):
    from pacesetter.movements.actions import PlanRow, set_plans
    from pacesetter.movements.models import PlanTotal

    set_plans(movement=movement, rows=[PlanRow("W1", "steel", "10"), PlanRow("W4", "steel", "5")])
    assert cli("rebuild_aggregates", "--check").code == 0
    PlanTotal.objects.filter(unit__code="KP").update(planned_minor=1)
    wrong = cli("rebuild_aggregates", "--check")
    assert wrong.code == 1 and "plan roll-ups" in wrong.out
    assert "KP" in wrong.out and "1 · 150 · 2" in wrong.out and "150 · 150 · 2" in wrong.out
    assert cli("rebuild_aggregates", "--fix").code == 0
    assert PlanTotal.objects.get(unit__code="KP", period__is_whole=True).planned_minor == 150
    assert cli("rebuild_aggregates").code == 0
