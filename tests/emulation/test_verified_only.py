"""A movement ranking on verified figures: its rankings, overtakings and honour board count
verified reports only, and every page that shows them says so; the choice has its doors (the
organiser's page, the API, the setup file) and is made before launch."""

import pytest
import yaml
from django.utils import timezone

from pacesetter.core.errors import ValidationFailed
from pacesetter.emulation import selectors
from pacesetter.emulation.models import OvertakingEvent
from pacesetter.figures.selectors import leading_units
from pacesetter.movements import actions as movement_actions
from pacesetter.movements.models import Movement

from .conftest import record, scoring, whole

pytestmark = pytest.mark.django_db


def _seed(movement):
    """W1 reports much and none of it is verified; W2 a little, all verified; W3 some of each.
    Raw: W1 100, W3 80, W2 60. Verified: W2 60, W3 30, W1 nothing."""
    record(movement, ("W1", "steel", "100"), ("W3", "steel", "50"))
    record(movement, ("W2", "steel", "60"), ("W3", "steel", "30"), verified=True)


def _on_verified(movement):
    # Seeded on the row: the fixture's movement is launched, when the action refuses it.
    Movement.objects.filter(pk=movement.pk).update(rank_on_verified=True)
    movement.refresh_from_db()
    return movement


def _board(s, movement):
    return [
        (row.unit.code, row.rank)
        for row in selectors.leaderboard(scoring=s, period=whole(movement)).rows
    ]


def test_the_verified_ranking_differs_from_the_raw_one(movement, block):
    raw = scoring(movement, block, ("steel", "raw"), code="raw")
    _seed(movement)
    assert _board(raw, movement) == [("W1", 1), ("W3", 2), ("W2", 3)]
    _on_verified(movement)
    verified = scoring(movement, block, ("steel", "raw"), code="verified")
    assert _board(verified, movement) == [("W2", 1), ("W3", 2)]  # W1 has no verified figure
    # The independent path from the ledger agrees: W1 has no verified figure.
    recomputed = selectors.standings_from_ledger(
        scoring=verified, period=whole(movement), recorded_by=timezone.now()
    )
    codes = dict(block.units.values_list("pk", "code"))
    assert {codes[pk] for pk, goodness in recomputed.items() if goodness is not None} == {
        "W2",
        "W3",
    }
    # Unverified reports move nothing; a verified one overtakes.
    events = OvertakingEvent.objects.filter(scoring=verified).count()
    record(movement, ("W3", "steel", "500"))
    assert _board(verified, movement) == [("W2", 1), ("W3", 2)]
    assert OvertakingEvent.objects.filter(scoring=verified).count() == events
    record(movement, ("W3", "steel", "40"), verified=True)
    assert _board(verified, movement) == [("W3", 1), ("W2", 2)]
    assert OvertakingEvent.objects.filter(
        scoring=verified, ahead__code="W3", behind__code="W2"
    ).exists()


def test_the_honour_board_leads_with_verified_figures(movement, block, units):
    _seed(movement)
    steel = movement.indicators.get(code="steel")
    for code, quantity in (("P1", "150"), ("P2", "100")):
        movement_actions.set_plans(
            movement=movement, rows=[movement_actions.PlanRow(code, "steel", quantity)]
        )
    record(movement, ("W4", "steel", "70"), verified=True)
    raw = leading_units(movement=movement, indicator=steel, period=whole(movement))
    assert [u.unit.code for u in raw] == ["P1", "P2"]  # 180 of 150, 70 of 100
    _on_verified(movement)
    verified = leading_units(movement=movement, indicator=steel, period=whole(movement))
    assert [u.unit.code for u in verified] == ["P2", "P1"]  # 70 of 100, 90 of 150
    assert str(verified[1].actual) == "90.0"


def test_every_page_showing_a_ranking_says_so(movement, block, client, user):
    s = scoring(movement, block, ("steel", "raw"))
    _seed(movement)
    client.force_login(user)
    pages = [
        f"/movements/{movement.slug}/emulation/",
        f"/movements/{movement.slug}/emulation/{s.code}/",
        f"/movements/{movement.slug}/emulation/overtakings/",
        f"/movements/{movement.slug}/units/W2/",  # its rank among its siblings
    ]
    for url in pages:
        assert "Ranked on verified figures" not in client.get(url).content.decode(), url
    _on_verified(movement)
    for url in pages:
        assert "Ranked on verified figures" in client.get(url).content.decode(), url
    Movement.objects.filter(pk=movement.pk).update(is_public=True)
    board = client.get(f"/board/{movement.slug}/").content.decode()
    assert "Ranked on verified figures" in board


def test_ranking_on_verified_figures_is_chosen_before_launch(movement, units, client, user):
    with pytest.raises(ValidationFailed) as refused:
        movement_actions.update_movement(movement=movement, rank_on_verified=True)
    assert refused.value.errors[0].field == "rank_on_verified"
    # Titles may follow verified figures at any time before the movement closes.
    changed = movement_actions.update_movement(movement=movement, titles_on_verified=True)
    assert changed.titles_on_verified and not changed.rank_on_verified
    draft = movement_actions.create_movement(
        title="Verified drive",
        organiser=units["KP"],
        starts_on=movement.starts_on,
        ends_on=movement.ends_on,
    )
    client.force_login(user)
    response = client.post(
        f"/organise/{draft.slug}/verified-only/",
        {"rank_on_verified": "on", "titles_on_verified": "on"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.rank_on_verified and draft.titles_on_verified
    page = client.get(f"/organise/{draft.slug}/").content.decode()
    assert 'id="verified-only"' in page
    response = client.patch(
        f"/api/v1/movements/{draft.slug}",
        {"rank_on_verified": False},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["rank_on_verified"] is False
    assert response.json()["titles_on_verified"] is True
    response = client.patch(
        f"/api/v1/movements/{movement.slug}",
        {"rank_on_verified": True},
        content_type="application/json",
    )
    assert response.status_code == 422
    response = client.patch(
        f"/api/v1/movements/{movement.slug}", {"ranked": True}, content_type="application/json"
    )
    assert response.status_code == 422  # unknown fields are refused


def test_the_setup_file_carries_the_choice(units, tmp_path):
    from django.core.management import call_command

    from pacesetter.setup.files import export_movement

    text = """
movements:
  - slug: honest
    title: Honest figures
    organiser: KP
    starts_on: 2025-03-01
    ends_on: 2025-03-31
    rank_on_verified: true
    titles_on_verified: true
    indicators:
      - {code: steel, name: Steel, unit_of_measure: t}
"""
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    call_command("apply", str(path))
    movement = Movement.objects.get(slug="honest")
    assert movement.rank_on_verified and movement.titles_on_verified
    exported = yaml.safe_load(export_movement(movement))["movements"][0]
    assert exported["rank_on_verified"] is True and exported["titles_on_verified"] is True
    path.write_text(text.replace("rank_on_verified: true", "rank_on_verified: false"))
    call_command("apply", str(path))
    movement.refresh_from_db()
    assert not movement.rank_on_verified and movement.titles_on_verified
    assert "rank_on_verified" not in yaml.safe_load(export_movement(movement))["movements"][0]


def test_a_verifiers_confirmation_re_ranks_a_movement_ranked_on_verified_figures(movement, block):
    """Confirming a report changes only verified figures, and no report arrives: the
    standings of a movement ranked on them follow the decision, in its transaction."""
    from pacesetter.ledger.models import Report
    from pacesetter.ledger.verification import decide
    from tests.factories import UserFactory

    _seed(movement)
    _on_verified(movement)
    verified = scoring(movement, block, ("steel", "raw"), code="verified")
    assert _board(verified, movement) == [("W2", 1), ("W3", 2)]
    # W3's 50 unverified, confirmed: 80 verified, ahead of W2's 60.
    report = Report.objects.get(unit__code="W3", quantity_minor__gt=0, verification="unverified")
    decide(report=report, decision="confirmed", decided_by=UserFactory())
    assert _board(verified, movement) == [("W3", 1), ("W2", 2)]
    assert OvertakingEvent.objects.filter(
        scoring=verified, ahead__code="W3", behind__code="W2"
    ).exists()
