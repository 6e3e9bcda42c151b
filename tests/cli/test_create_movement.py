"""`pacesetter create-movement FILE.yaml`: a whole movement from a setup file, all or nothing,
every problem named by its line."""

import textwrap

from pacesetter.movements.models import Movement
from pacesetter.units.models import Block

SETUP = textwrap.dedent(
    """\
    slug: kiln-repair
    title: Kiln repair before the frost
    call_text: Every kiln repaired before the frost.
    organiser: KP
    scope: [P1]
    starts_on: 2025-10-01
    ends_on: 2025-11-30
    time_zone: Europe/Paris
    public: true
    indicators:
      - {code: repairs, name: Kilns repaired, unit_of_measure: kilns}
      - code: bricks
        name: Bricks laid
        unit_of_measure: bricks
        decimal_places: 1
        decimal_comma: true
    periods:
      - {name: October, starts_on: 2025-10-01, ends_on: 2025-10-31}
      - {name: November, starts_on: 2025-11-01, ends_on: 2025-11-30}
    blocks:
      - {code: kiln-teams, name: Kiln teams, units: [W1, W2, W3]}
    launch: true
    """
)


def test_a_movement_is_created_whole_from_its_file(cli, units, tmp_path):
    path = tmp_path / "kiln.yaml"
    path.write_text(SETUP)
    outcome = cli("create_movement", str(path))
    assert outcome.code == 0, outcome.err
    movement = Movement.objects.get(slug="kiln-repair")
    assert (movement.status, movement.time_zone, movement.is_public) == (
        "launched",
        "Europe/Paris",
        True,
    )
    assert [u.code for u in movement.scope.all()] == ["P1"]
    assert [(i.code, i.decimal_places, i.decimal_comma) for i in movement.indicators.all()] == [
        ("repairs", 0, False),
        ("bricks", 1, True),
    ]
    assert [p.name for p in movement.periods.all()] == ["Whole movement", "October", "November"]
    assert sorted(Block.objects.get(code="kiln-teams").units.values_list("code", flat=True)) == [
        "W1",
        "W2",
        "W3",
    ]
    # Kept and repeated: the same file again creates nothing and says why.
    again = cli("create_movement", str(path))
    assert again.code == 1 and "already exists" in again.out and "nothing" in again.err
    assert Movement.objects.count() == 1


def test_every_problem_is_named_by_its_line_and_nothing_is_created(cli, units, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        SETUP.replace("starts_on: 2025-10-01\n", "starts_on: 1 October\n")
        .replace("unit_of_measure: kilns}", "unit_of_measure: kilns, colour: red}")
        .replace("decimal_places: 1", "decimal_places: one")
    )
    outcome = cli("create_movement", str(path))
    assert outcome.code == 1 and "3 problems in the setup file; nothing was created." in outcome.err
    rows = [
        [c.strip() for c in line.split("│")[1:4]]
        for line in outcome.out.splitlines()
        if "│" in line
    ]
    assert [
        "6",
        "starts_on",
        "expected a date (YYYY-MM-DD, or today, today-6, today+30), not '1 October'",
    ] in rows
    assert rows[1][:2] == ["11", "indicators[1].colour"]
    assert ["15", "indicators[2].decimal_places", "expected a whole number, not 'one'"] in rows
    assert not Movement.objects.exists()


def test_a_refusal_by_an_action_rolls_the_whole_file_back(cli, units, tmp_path):
    path = tmp_path / "late.yaml"
    # A period outside the movement is refused by add_period, after the movement was made.
    path.write_text(SETUP.replace("ends_on: 2025-11-30}", "ends_on: 2026-01-31}"))
    outcome = cli("create_movement", str(path))
    assert outcome.code == 1
    assert "periods[2].starts_on" in outcome.out and "inside the movement's period" in outcome.out
    assert not Movement.objects.exists() and not Block.objects.exists()


def test_unknown_units_are_named(cli, units, tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(SETUP.replace("units: [W1, W2, W3]", "units: [W1, NOPE]"))
    outcome = cli("create_movement", str(path))
    assert outcome.code == 1 and "no unit with code 'NOPE'" in outcome.out
    assert not Movement.objects.exists()


def test_a_person_creates_only_under_units_they_organise(cli, units, tmp_path):
    from pacesetter.accounts.models import Grant, Role
    from pacesetter.accounts.permissions import acting_as, actor_for
    from tests import factories

    head = factories.UserFactory(username="p2-organiser")
    Grant.objects.create(user=head, role=Role.ORGANISER, unit=units["P2"])
    Grant.objects.create(user=head, role=Role.VIEWER, unit=units["P1"])
    path = tmp_path / "kiln.yaml"
    path.write_text(
        SETUP.replace("organiser: KP", "organiser: P1").replace("scope: [P1]", "scope: [C3, KP]")
    )
    with acting_as(actor_for(head)):
        outcome = cli("create_movement", str(path))
    # P1 they see but do not organise; KP, above them, does not exist for them.
    assert outcome.code == 1 and "you may not organise movements for P1" in outcome.out
    assert "no unit with code 'KP'" in outcome.out
    assert not Movement.objects.exists()


def test_plans_in_the_file_are_set_and_their_bad_rows_named(cli, units, tmp_path):
    from decimal import Decimal

    from pacesetter.figures.selectors import unit_figures

    path = tmp_path / "plans.yaml"
    plans = "plans:\n  - {unit: W1, indicator: repairs, planned: 4}\n  - {unit: W3, indicator: repairs, period: October, planned: 2}\n"
    path.write_text(SETUP + plans)
    assert cli("create_movement", str(path)).code == 0
    movement = Movement.objects.get()
    (repairs, _bricks) = unit_figures(unit=units["P1"], movement=movement)
    assert repairs.planned == Decimal(4) and repairs.planned_below
    path.write_text(
        SETUP.replace("kiln-repair", "other").replace("kiln-teams", "k2")
        + plans.replace("W3", "NOPE")
    )
    outcome = cli("create_movement", str(path))
    assert outcome.code == 1 and "plans[2].unit" in outcome.out and "'NOPE'" in outcome.out
    assert Movement.objects.count() == 1
