"""A movement's `challenges:` in a setup file: proposed once through `propose_challenge`
(rights checked as on the page), shown by a dry run, written by `export` and proposed again
from it on a fresh database; every problem named by its place and line."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import yaml

from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import ValidationFailed
from pacesetter.emulation.actions import challenges as challenge_actions
from pacesetter.emulation.models import Challenge, ChallengeParticipant
from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import read_setup
from pacesetter.setup.challenges import propose_challenges
from pacesetter.setup.creating import Refused
from tests import factories
from tests.setup.test_apply import SETUP
from tests.setup.test_round_trip import TREE, _site

CHALLENGES = """\
    challenges:
      - challenger: BT-N
        opponent: BT-S
        indicator: repairs
        period: Week 1
        stake: The losers bake the bread
        answer_by: 2025-10-05
      - {challenger: BT-S, block: kiln-teams, indicator: repairs, normalisation: per_member, period: Week 2, answer_by: 2025-10-09}
"""
WITH_CHALLENGES = SETUP + CHALLENGES


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The movement's today: inside Week 1 of the file's October 2025."""
    monkeypatch.setattr(challenge_actions, "_today", lambda movement: dt.date(2025, 10, 2))


def _apply(cli, tmp_path, text, *flags):
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    return cli("apply", str(path), *flags)


def _shape(challenge: Challenge) -> tuple:
    return (
        challenge.challenger.code,
        challenge.group.code if challenge.group_id else None,
        sorted(p.unit.code for p in challenge.participants.all()),
        challenge.indicator.code,
        challenge.normalisation,
        challenge.period.name,
        challenge.stake,
        challenge.answer_by,
        challenge.status,
    )


def test_applying_twice_proposes_each_challenge_once(cli, units, tmp_path):
    first = _apply(cli, tmp_path, WITH_CHALLENGES)
    assert first.code == 0, first.out + first.err
    lines = [line.strip() for line in first.out.splitlines()[1:]]
    assert lines[-2:] == [
        "propose challenge: BT-N challenges unit BT-S on repairs (Week 1), answer by 2025-10-05",
        "propose challenge: BT-S challenges block kiln-teams on repairs (Week 2), answer by "
        "2025-10-09",
    ]
    assert sorted(_shape(c) for c in Challenge.objects.all()) == [
        (
            "BT-N",
            None,
            ["BT-N", "BT-S"],
            "repairs",
            "raw",
            "Week 1",
            "The losers bake the bread",
            dt.date(2025, 10, 5),
            "proposed",
        ),
        (
            "BT-S",
            "kiln-teams",
            ["BT-N", "BT-S"],
            "repairs",
            "per_member",
            "Week 2",
            "",
            dt.date(2025, 10, 9),
            "proposed",
        ),
    ]
    assert AuditEvent.objects.filter(action="emulation.propose_challenge").count() == 2
    again = _apply(cli, tmp_path, WITH_CHALLENGES)
    assert (again.code, "no change" in again.out) == (0, True), again.out
    assert Challenge.objects.count() == 2
    # An answered challenge is the challenged units' business: the file leaves it as it is.
    declined = Challenge.objects.get(challenger__code="BT-N")
    ChallengeParticipant.objects.filter(challenge=declined, unit__code="BT-S").update(
        answer="declined"
    )
    Challenge.objects.filter(pk=declined.pk).update(status="declined")
    assert "no change" in _apply(cli, tmp_path, WITH_CHALLENGES).out
    assert Challenge.objects.count() == 2


def test_challenges_of_an_existing_movement_are_added_and_a_dry_run_writes_nothing(
    cli, units, tmp_path
):
    assert _apply(cli, tmp_path, SETUP).code == 0
    planned = _apply(cli, tmp_path, WITH_CHALLENGES, "--dry-run")
    assert planned.code == 0 and "would change (dry run: nothing changed)" in planned.out
    assert "propose challenge: BT-N challenges unit BT-S on repairs (Week 1)" in planned.out
    assert not Challenge.objects.exists()
    assert not AuditEvent.objects.filter(action="emulation.propose_challenge").exists()
    applied = _apply(cli, tmp_path, WITH_CHALLENGES)
    assert applied.code == 0 and Challenge.objects.count() == 2, applied.out + applied.err


@pytest.mark.parametrize(
    ("change", "place", "line", "message"),
    [
        (("opponent: BT-S", "opponent: BT-X"), "challenges[1].opponent", 25, "no unit"),
        (("challenger: BT-N", "challenger: ZZ"), "challenges[1].challenger", 24, "no unit"),
        (("block: kiln-teams", "block: ovens"), "challenges[2].block", 30, "no block"),
        (("indicator: repairs\n", "indicator: bricks\n"), "challenges[1].indicator", 26, "no "),
        (("period: Week 1\n", "period: Week 9\n"), "challenges[1].period", 27, "no period"),
        (("answer_by: 2025-10-05", "answer_by: 2025-11-05"), "challenges[1].answer_by", 29, ""),
        (("opponent: BT-S", "opponent: BT-N"), "challenges[1].opponent", 25, "itself"),
        (
            ("        opponent: BT-S\n", ""),
            "challenges[1].opponent",
            24,
            "either opponent or block",
        ),
        (("answer_by: 2025-10-05", "answer_by: soon"), "challenges[1].answer_by", 29, "a date"),
        (("stake:", "colour: red\n        stake:"), "challenges[1].colour", 28, "unknown field"),
    ],
)
def test_problems_are_named_by_place_and_line(cli, units, tmp_path, change, place, line, message):
    outcome = _apply(cli, tmp_path, WITH_CHALLENGES.replace(*change))
    assert outcome.code == 1, outcome.out
    row = next(r for r in outcome.out.splitlines() if f"movements[1].{place} " in r)
    assert f"│ {line:>4} │" in row and message in row, outcome.out
    assert not Movement.objects.exists() and not Challenge.objects.exists()


def test_the_same_challenge_listed_twice_is_refused_naming_both(cli, units, tmp_path):
    twice = WITH_CHALLENGES + (
        "      - {challenger: BT-N, opponent: BT-S, indicator: repairs, period: Week 1, "
        "answer_by: 2025-10-04}\n"
    )
    outcome = _apply(cli, tmp_path, twice)
    assert outcome.code == 1 and "movements[1].challenges[3]" in outcome.out, outcome.out
    assert "movements[1].challenges[1]" in outcome.out


def test_only_someone_who_may_challenge_for_the_challenger_proposes(cli, units, tmp_path):
    assert _apply(cli, tmp_path, SETUP).code == 0
    movement = Movement.objects.get(slug="kiln-repair")
    reporter = factories.UserFactory(username="reporter")
    Grant.objects.create(user=reporter, role=Role.REPORTER, unit=movement.organiser)
    setup = read_setup(yaml.safe_dump(yaml.safe_load(WITH_CHALLENGES)["movements"][0]))
    with acting_as(actor_for(reporter)), pytest.raises(Refused) as refused:
        propose_challenges(setup, movement)
    assert refused.value.problems[0].place == "challenges[1]"
    assert not Challenge.objects.exists()
    head = factories.UserFactory(username="head")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=movement.organiser)
    with acting_as(actor_for(head)):
        assert len(propose_challenges(setup, movement)) == 2
    assert set(Challenge.objects.values_list("created_by__username", flat=True)) == {"head"}


def test_a_draft_movement_takes_no_challenge(cli, units, tmp_path):
    outcome = _apply(cli, tmp_path, WITH_CHALLENGES.replace("launch: true", "launch: false"))
    assert outcome.code == 1 and "movements[1].challenges[1]" in outcome.out, outcome.out
    assert "no new challenges" in outcome.out


def test_read_setup_keeps_the_challenges(db):
    setup = read_setup(yaml.safe_dump(yaml.safe_load(WITH_CHALLENGES)["movements"][0]))
    assert [c["place"] for c in setup.challenges] == ["challenges[1]", "challenges[2]"]
    with pytest.raises(ValidationFailed):
        read_setup("title: x\nchallenges: nope\n")


def _dated(today: dt.date) -> str:
    """The file's movement moved to run around `today` (a challenge is proposed only for a
    period that has not ended, answered by a day to come)."""
    start = today - dt.timedelta(days=3)

    def day(offset: int) -> str:
        return (start + dt.timedelta(days=offset)).isoformat()

    text = WITH_CHALLENGES
    for old, new in (
        ("2025-10-01", day(0)),
        ("2025-10-07", day(6)),
        ("2025-10-08", day(7)),
        ("2025-10-14", day(13)),
        ("2025-10-28", day(27)),
        ("2025-10-05", day(5)),
        ("2025-10-09", day(9)),
    ):
        text = text.replace(old, new)
    return text


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite sites; the suite's PostgreSQL pass covers apply itself",
)
def test_export_then_apply_to_a_fresh_database_gives_the_same_challenges(tmp_path):
    (tmp_path / "tree.csv").write_text(TREE)
    (tmp_path / "setup.yaml").write_text(_dated(dt.date.today()))
    first = _site(tmp_path / "first")
    first("import-units", str(tmp_path / "tree.csv"))
    first("apply", str(tmp_path / "setup.yaml"))
    exported = tmp_path / "exported.yaml"
    first("export", "kiln-repair", "--output", str(exported))
    written = yaml.safe_load(exported.read_text())["movements"][0]["challenges"]
    assert [(c["challenger"], c.get("opponent"), c.get("block")) for c in written] == [
        ("BT-N", "BT-S", None),
        ("BT-S", None, "kiln-teams"),
    ]
    second = _site(tmp_path / "second")
    out = second("apply", str(exported))
    assert out.count("propose challenge") == 2, out
    assert "no change" in second("apply", str(exported))
    again = tmp_path / "again.yaml"
    second("export", "kiln-repair", "--output", str(again))
    assert yaml.safe_load(again.read_text()) == yaml.safe_load(exported.read_text())
