"""Changing and retiring a ranking: a name changes in place; what it ranks by changes only
while a draft (standings rebuilt); a retired ranking is ranked no more, left out of the
movement's pages and feed (marked where it is listed), its rows kept — through the action,
the API, the set-up page and the setup file."""

import json

import pytest
from django.urls import reverse

from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import StateError
from pacesetter.emulation import actions, selectors
from pacesetter.emulation.models import Notification, OvertakingEvent, Standing
from pacesetter.ledger.aggregates import rebuild
from tests.api.conftest import post, problem
from tests.emulation.conftest import record, scoring, whole
from tests.factories import movement as make_movement


def _order(movement, ranking):
    (ranking,) = selectors.with_components([ranking])
    board = selectors.leaderboard(scoring=ranking, period=whole(movement))
    return [row.unit.code for row in board.rows]


def test_a_retired_ranking_is_ranked_no_more_and_its_rows_stay(movement, block, today):
    ranked = scoring(movement, block, ("steel",))
    record(movement, ("W1", "steel", 10), ("W2", "steel", 5))
    assert _order(movement, ranked) == ["W1", "W2"]
    kept = list(Standing.objects.filter(scoring=ranked).values_list("unit_id", "goodness"))
    events = OvertakingEvent.objects.count()
    actions.retire_scoring(scoring=ranked)
    ranked.refresh_from_db()
    assert ranked.retired_at is not None
    assert AuditEvent.objects.filter(action="emulation.retire_scoring").count() == 1
    # W2 passes W1: a live ranking would re-rank and record an overtaking; a retired one not.
    record(movement, ("W2", "steel", 20))
    assert list(Standing.objects.filter(scoring=ranked).values_list("unit_id", "goodness")) == (
        kept
    )
    assert OvertakingEvent.objects.count() == events
    assert not Notification.objects.filter(event__scoring=ranked, event__id__gt=events).exists()
    # Gone from the movement's lists and learn-from, kept (marked) where retired ones show.
    assert selectors.scorings_of(movement) == []
    assert [s.code for s in selectors.scorings_of(movement, retired=True)] == ["main"]
    assert selectors.learn_from(movement=movement, unit=block.units.get(code="W2")) == []
    with pytest.raises(StateError):
        actions.retire_scoring(scoring=ranked)
    with pytest.raises(StateError):
        actions.update_scoring(scoring=ranked, name="Again")
    assert rebuild() == []  # the ledger and its aggregates still agree


def test_a_name_changes_in_place_what_it_ranks_by_only_while_a_draft(units, block, today):
    draft = make_movement(
        units["KP"],
        slug="draft",
        launch=False,
        indicators=(
            {"code": "steel", "name": "Steel", "unit_of_measure": "t"},
            {"code": "coal", "name": "Coal", "unit_of_measure": "t"},
        ),
    )
    ranked = scoring(draft, block, ("steel",))
    actions.update_scoring(
        scoring=ranked, name="By coal", components=[actions.ComponentSpec("coal", "per_member")]
    )
    (ranked,) = selectors.with_components([selectors.scoring_or_none(draft, "main")])
    assert ranked.name == "By coal"
    assert [(c.indicator.code, c.normalisation) for c in ranked.component_list] == [
        ("coal", "per_member")
    ]
    assert AuditEvent.objects.filter(action="emulation.update_scoring").count() == 1
    from pacesetter.movements.actions import launch_movement

    launched = launch_movement(movement=draft)
    ranked.movement = launched
    with pytest.raises(StateError, match="retire it"):
        actions.update_scoring(scoring=ranked, components=[actions.ComponentSpec("steel")])
    actions.update_scoring(scoring=ranked, name="Coal per member")  # a name still changes
    assert selectors.scoring_or_none(launched, "main").name == "Coal per member"


def test_api_retires_and_renames_and_refuses_what_it_must(client, admin_user, movement, block):
    scoring(movement, block, ("steel",))
    client.force_login(admin_user)
    base = f"/api/v1/movements/{movement.slug}/scorings"
    renamed = client.patch(
        f"{base}/main", json.dumps({"name": "Steel ranking"}), content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Steel ranking"
    assert renamed.json()["retired_at"] is None
    refused = client.patch(
        f"{base}/main",
        json.dumps({"components": [{"indicator": "steel", "normalisation": "per_member"}]}),
        content_type="application/json",
    )
    problem(refused, 409)
    retired = post(client, f"{base}/main/retire")
    assert retired.status_code == 200 and retired.json()["retired_at"]
    problem(post(client, f"{base}/main/retire"), 409)
    listed = client.get(base).json()
    assert [(s["code"], bool(s["retired_at"])) for s in listed] == [("main", True)]


def test_the_set_up_page_renames_and_retires_once_confirmed(client, admin_user, movement, block):
    scoring(movement, block, ("steel",))
    client.force_login(admin_user)
    page = reverse("emulation-set-up", args=[movement.slug])
    assert "Rename or retire Main ranking" in client.get(page).content.decode()
    rename = reverse("emulation-scoring-change", args=[movement.slug, "main"])
    assert client.post(rename, {"name": "Steel league"}).status_code == 302
    assert selectors.scoring_or_none(movement, "main").name == "Steel league"
    retire = reverse("emulation-scoring-retire", args=[movement.slug, "main"])
    unconfirmed = client.post(retire, {})
    assert unconfirmed.status_code == 422
    assert selectors.scoring_or_none(movement, "main").retired_at is None
    assert client.post(retire, {"confirm": "on"}).status_code == 302
    shown = client.get(page).content.decode()
    assert "retired" in shown and "Rename or retire" not in shown
    home = client.get(reverse("emulation-home", args=[movement.slug])).content.decode()
    assert "Steel league" not in home
    board = client.get(reverse("emulation-leaderboard", args=[movement.slug, "main"]))
    assert "This ranking was retired" in board.content.decode()
    assert client.post(retire, {"confirm": "on"}).status_code == 404  # retired: no door
