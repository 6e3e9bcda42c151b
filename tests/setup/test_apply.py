"""`pacesetter apply`: declarative and idempotent; `--dry-run` prints the plan; `export`
writes the file that recreates a movement."""

import textwrap

import yaml

from pacesetter.movements.models import Movement, Plan
from pacesetter.units.models import Block, Unit

SETUP = textwrap.dedent(
    """\
    units:
      - {code: BT, name: Brickworks, kind: enterprise, parent: C1, headcount: 40}
      - {code: BT-N, name: North kiln team, kind: workteam, parent: BT}
      - {code: BT-S, name: South kiln team, kind: workteam, parent: BT}
    blocks:
      - {code: kiln-teams, name: Kiln teams, units: [BT-N, BT-S]}
    movements:
      - slug: kiln-repair
        title: Kiln repair
        organiser: BT
        starts_on: 2025-10-01
        ends_on: 2025-10-28
        time_zone: Europe/Paris
        indicators:
          - {code: repairs, name: Kilns repaired, unit_of_measure: kilns}
        periods:
          - {name: Week 1, starts_on: 2025-10-01, ends_on: 2025-10-07}
          - {name: Week 2, starts_on: 2025-10-08, ends_on: 2025-10-14}
        plans:
          - {unit: BT-N, indicator: repairs, planned: 5}
          - {unit: BT-S, indicator: repairs, period: Week 1, planned: 2}
        launch: true
    """
)


def _apply(cli, tmp_path, text, *flags):
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    return cli("apply", str(path), *flags)


def test_applying_twice_changes_nothing_the_second_time(cli, units, tmp_path):
    first = _apply(cli, tmp_path, SETUP)
    assert first.code == 0, first.out + first.err
    assert "create unit BT-N (North kiln team)" in first.out
    assert "create movement kiln-repair: 1 indicators, 2 periods, 2 plans, launched" in first.out
    movement = Movement.objects.get(slug="kiln-repair")
    assert movement.status == "launched" and Plan.objects.count() == 2
    assert Unit.objects.get(code="BT").parent.code == "C1"
    again = _apply(cli, tmp_path, SETUP)
    assert (again.code, "no change" in again.out) == (0, True), again.out


def test_a_changed_file_changes_only_what_changed(cli, units, tmp_path):
    assert _apply(cli, tmp_path, SETUP).code == 0
    changed = (
        SETUP.replace("title: Kiln repair", "title: Kiln repair before the frost")
        .replace("planned: 5", "planned: 6")
        .replace("name: South kiln team", "name: Southern kiln team")
        .replace("units: [BT-N, BT-S]", "units: [BT-N]")
    )
    outcome = _apply(cli, tmp_path, changed)
    assert outcome.code == 0, outcome.err
    lines = [line.strip() for line in outcome.out.splitlines()[1:]]
    assert lines == [
        "change unit BT-S: name 'South kiln team' → 'Southern kiln team'",
        "change block kiln-teams: remove BT-S",
        "change movement kiln-repair: title",
        "change plan of BT-N on repairs (Whole movement)",
    ]
    assert Movement.objects.get().title == "Kiln repair before the frost"
    assert list(Block.objects.get().units.values_list("code", flat=True)) == ["BT-N"]


def test_a_dry_run_prints_the_plan_and_changes_nothing(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, SETUP, "--dry-run")
    assert outcome.code == 0 and "would change (dry run: nothing changed)" in outcome.out
    assert "create block kiln-teams of 2 units" in outcome.out
    assert not Movement.objects.exists() and not Unit.objects.filter(code="BT").exists()


def test_what_cannot_change_is_refused_by_its_line_and_nothing_changes(cli, units, tmp_path):
    assert _apply(cli, tmp_path, SETUP).code == 0
    bad = (
        SETUP.replace("ends_on: 2025-10-28", "ends_on: 2025-11-28")
        .replace("unit_of_measure: kilns}", "unit_of_measure: kilns, decimal_places: 1}")
        .replace("headcount: 40", "headcount: 41")
    )
    outcome = _apply(cli, tmp_path, bad)
    assert outcome.code == 1 and "nothing was changed" in outcome.err
    assert "movements[1].ends_on" in outcome.out and "cannot change once created" in outcome.out
    assert Unit.objects.get(code="BT").headcount == 40  # the units' change rolled back too


def test_unknown_fields_are_named(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, SETUP.replace("headcount: 40}", "headcount: 40, colour: red}"))
    assert outcome.code == 1 and "units[1].colour" in outcome.out and "unknown field" in outcome.out


def test_export_writes_what_apply_reads_back_unchanged(cli, units, tmp_path):
    assert _apply(cli, tmp_path, SETUP).code == 0
    exported = cli("export", "kiln-repair")
    assert exported.code == 0
    document = yaml.safe_load(exported.out)
    assert [u["code"] for u in document["units"]][:3] == ["KP", "P1", "C1"]
    assert document["movements"][0]["plans"] == [
        {"unit": "BT-N", "indicator": "repairs", "planned": "5"},
        {"unit": "BT-S", "indicator": "repairs", "period": "Week 1", "planned": "2"},
    ]
    again = _apply(cli, tmp_path, exported.out)
    assert again.code == 0 and "no change" in again.out, again.out


def test_a_plans_note_is_applied_exported_and_changed_like_its_quantities(cli, units, tmp_path):
    noted = SETUP.replace(
        "{unit: BT-N, indicator: repairs, planned: 5}",
        "{unit: BT-N, indicator: repairs, planned: 5, note: the north kiln}",
    )
    assert _apply(cli, tmp_path, noted).code == 0
    assert Plan.objects.get(unit__code="BT-N").note == "the north kiln"
    exported = cli("export", "kiln-repair").out
    assert yaml.safe_load(exported)["movements"][0]["plans"][0]["note"] == "the north kiln"
    assert "no change" in _apply(cli, tmp_path, exported).out
    renamed = _apply(cli, tmp_path, noted.replace("the north kiln", "kiln No. 1"))
    assert renamed.code == 0, renamed.out
    assert Plan.objects.get(unit__code="BT-N").note == "kiln No. 1"


RANKED = SETUP.replace(
    "    launch: true\n",
    "    rankings:\n"
    "      - code: teams\n"
    "        name: Kiln teams by plan fulfilment\n"
    "        block: kiln-teams\n"
    "        components: [{indicator: repairs, normalisation: fulfilment}]\n"
    "    launch: true\n",
)
assert "rankings:" in RANKED


def test_a_ranked_block_is_set_up_from_the_file_and_ranks_reports(cli, units, tmp_path):
    from pacesetter.emulation.models import Scoring
    from pacesetter.emulation.selectors import leaderboard, with_components
    from pacesetter.ledger.actions import ReportRow, record_reports

    outcome = _apply(cli, tmp_path, RANKED)
    assert outcome.code == 0, outcome.out + outcome.err
    scoring = Scoring.objects.get(code="teams")
    assert (scoring.block.code, [c.normalisation for c in scoring.components.all()]) == (
        "kiln-teams",
        ["fulfilment"],
    )
    movement = Movement.objects.get()
    record_reports(
        movement=movement,
        rows=[ReportRow(unit="BT-N", indicator="repairs", day="2025-10-02", quantity="4")],
        source="api",
    )
    (scoring,) = with_components([scoring])
    board = leaderboard(scoring=scoring, period=movement.periods.get(is_whole=True))
    assert board.rows[0].unit.code == "BT-N"
    assert "no change" in _apply(cli, tmp_path, RANKED).out
    changed = _apply(
        cli, tmp_path, RANKED.replace("normalisation: fulfilment", "normalisation: raw")
    )
    assert changed.code == 1 and "fixed once its movement is launched" in changed.out
    exported = yaml.safe_load(cli("export", "kiln-repair").out)
    assert exported["movements"][0]["rankings"] == [
        {
            "code": "teams",
            "name": "Kiln teams by plan fulfilment",
            "block": "kiln-teams",
            "components": [{"indicator": "repairs", "normalisation": "fulfilment", "weight": "1"}],
        }
    ]


def test_a_ranking_removed_from_the_file_is_retired_and_its_code_stays_retired(
    cli, units, tmp_path
):
    from pacesetter.emulation.models import Scoring

    assert _apply(cli, tmp_path, RANKED).code == 0
    renamed = _apply(cli, tmp_path, RANKED.replace("by plan fulfilment", "by fulfilment"))
    assert renamed.code == 0, renamed.out + renamed.err
    assert [line.strip() for line in renamed.out.splitlines()[1:]] == ["change ranking teams: name"]
    without = RANKED.replace(RANKED[RANKED.index("    rankings:") : RANKED.index("    launch")], "")
    # A movement that says nothing of rankings leaves them alone …
    assert "no change" in _apply(cli, tmp_path, without).out
    # … one whose `rankings:` list leaves one out retires it (rows kept, with a change line).
    emptied = without.replace("    launch: true\n", "    rankings: []\n    launch: true\n")
    dry = _apply(cli, tmp_path, emptied, "--dry-run")
    assert "retire ranking teams" in dry.out
    assert Scoring.objects.get(code="teams").retired_at is None
    retired = _apply(cli, tmp_path, emptied)
    assert [line.strip() for line in retired.out.splitlines()[1:]] == ["retire ranking teams"]
    assert Scoring.objects.get(code="teams").retired_at is not None
    assert "no change" in _apply(cli, tmp_path, emptied).out
    exported = yaml.safe_load(cli("export", "kiln-repair").out)
    assert exported["movements"][0]["rankings"] == []  # the export writes live rankings only
    again = _apply(cli, tmp_path, RANKED)  # a retired code is not brought back
    assert again.code == 1 and "was retired" in again.out and "another code" in again.out
