"""The demo's honest-figures movement (data/accounts/40-honest-figures/, issue 20): the
plausibility flags catch each of the three seeded inflating teams, in the way each inflates,
and no honest team; the verified ranking differs from the raw one as the seeded data implies;
the headline figure, exactly, as `pacesetter figures --format json` prints it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
import yaml
from django.contrib.auth import get_user_model

from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.demo.accounts import ACCOUNTS, load_accounts
from pacesetter.demo.drives import run_command
from pacesetter.demo.movements import DEMO_USERNAME, HISTORY, PEOPLE
from pacesetter.emulation.selectors import leaderboard, scoring_or_none
from pacesetter.ledger.models import ReportFlag, VerificationDecision
from pacesetter.movements.models import Movement, Period

from .conftest import figures_json

SLUG = "honest-bricks-1958"
FOLDER = ACCOUNTS / "40-honest-figures"
BRICKWORKS = "KP-NP-RYONGBUK-BR"


def team(number: int) -> str:
    return f"{BRICKWORKS}-{number:02d}"


def flags() -> dict[str, set[str]]:
    found = defaultdict(set)
    for code, kind in ReportFlag.objects.filter(movement__slug=SLUG).values_list(
        "unit__code", "kind"
    ):
        found[code].add(kind)
    return dict(found)


def fulfilment_order(records: dict[str, dict]) -> list[str]:
    return sorted(records, key=lambda code: (-Decimal(records[code]["fulfilment"]), code))


@pytest.fixture
def user(db, tmp_path):
    """The history's root and North Phyongan and the demo login, without the history's
    movements (small and fast)."""
    history = yaml.safe_load(HISTORY.read_text(encoding="utf-8"))
    people = yaml.safe_load(PEOPLE.read_text(encoding="utf-8"))["people"]
    path = tmp_path / "base.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "units": [u for u in history["units"] if u["code"] in {"KP", "KP-NP"}],
                "people": [p for p in people if p["username"] == DEMO_USERNAME],
            }
        ),
        encoding="utf-8",
    )
    run_command("apply", str(path))
    return get_user_model().objects.get(username=DEMO_USERNAME)


def test_the_flags_catch_the_inflators_and_the_verified_ranking_leaves_them_out(user):
    # The organiser's first steps by hand: the setup, then the teams' reports, unverified.
    steps = yaml.safe_load((FOLDER / "steps.yaml").read_text(encoding="utf-8"))["steps"]
    assert [step[0] for step in steps] == ["apply", "import_reports", "import_verifications"]
    with acting_as(actor_for(user)):
        run_command("apply", str(FOLDER / "setup.yaml"))
        run_command("import_reports", str(FOLDER / "reports.csv"), *steps[1][2:])

    # Each inflating team is caught in the way it inflates, and no honest team at all.
    assert flags() == {team(3): {"over_capacity"}, team(7): {"jump"}, team(11): {"block_outlier"}}
    assert ReportFlag.objects.filter(movement__slug=SLUG).count() == 30 + 10 + 4

    # As reported, team 03 leads on its June plan and team 07 comes second.
    records = {r["unit"]: r for r in figures_json(SLUG) if r["unit"] != BRICKWORKS}
    assert fulfilment_order(records) == [team(n) for n in (3, 7, 11, 4, 9, 5, 8, 1, 12, 2, 6, 10)]
    assert records[team(3)]["fulfilment"] == "207.8"
    assert all(r["actual_verified"] == "0" for r in records.values())

    # Then the rest, as the demo loads it: the verification decisions.
    assert load_accounts(user, only=frozenset({SLUG})).created == [SLUG]
    records = {r["unit"]: r for r in figures_json(SLUG)}

    # The headline: the brickworks' bricks, raw and verified (team 07's ten jumped reports
    # wait in the queue, unverified; teams 03 and 11 stand corrected to the kiln records).
    brickworks = records.pop(BRICKWORKS)
    assert (
        brickworks["actual"],
        brickworks["actual_verified"],
        brickworks["planned"],
        brickworks["fulfilment"],
    ) == ("968920", "932809", "921000", "105.2")

    # The raw figures now carry only team 07's jump, which still puts it first.
    assert fulfilment_order(records) == [team(n) for n in (7, 4, 9, 5, 8, 1, 12, 3, 2, 11, 6, 10)]
    assert (records[team(7)]["actual"], records[team(7)]["actual_verified"]) == ("58189", "22078")
    assert (records[team(3)]["actual"], records[team(3)]["actual_verified"]) == ("49283",) * 2

    # The movement ranks on verified figures: team 07 falls to the last place, teams 03 and 11
    # take the places their kiln records give them.
    movement = Movement.objects.get(slug=SLUG)
    assert movement.rank_on_verified
    board = leaderboard(
        scoring=scoring_or_none(movement, "june-plan"), period=Period.objects.get(movement=movement)
    )
    assert [(row.rank, row.unit.code[-2:], row.display) for row in board.rows] == [
        (1, "04", "110.7%"),
        (2, "09", "109.0%"),
        (3, "05", "107.4%"),
        (4, "08", "106.9%"),
        (5, "01", "106.2%"),
        (6, "12", "106.2%"),
        (7, "03", "102.7%"),
        (8, "02", "100.8%"),
        (9, "11", "100.5%"),
        (10, "06", "99.6%"),
        (11, "10", "98.5%"),
        (12, "07", "49.1%"),
    ]

    # The corrections the decisions filed are flagged too (many corrections on one unit), on
    # the inflators only.
    assert flags() == {
        team(3): {"over_capacity", "corrections"},
        team(7): {"jump"},
        team(11): {"block_outlier", "corrections"},
    }

    # The movement stays launched (its queue open), so the demo runs its steps again on each
    # load: they change nothing.
    decisions = VerificationDecision.objects.filter(movement=movement).count()
    assert decisions == 350
    assert load_accounts(user, only=frozenset({SLUG})).created == [SLUG]
    assert VerificationDecision.objects.filter(movement=movement).count() == decisions
    again = next(r for r in figures_json(SLUG) if r["unit"] == BRICKWORKS)
    assert (again["actual"], again["actual_verified"]) == ("968920", "932809")
