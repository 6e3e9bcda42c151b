"""GET/PUT /api/v1/movements/{slug}/flag-rules: every kind's rule with the defaults filled in;
a PUT sets the kinds given through ledger.flags.set_flag_rules."""

import json

from tests.api.conftest import problem

URL = "/api/v1/movements/drive/flag-rules"


def put(api, payload):
    return api.put(URL, json.dumps(payload), content_type="application/json")


def test_the_rules_are_the_defaults_until_set(api, movement):
    response = api.get(URL)
    assert response.status_code == 200
    rules = response.json()
    assert rules["over_capacity"] == {
        "enabled": True,
        "threshold": "1.5",
        "window_days": None,
        "minimum": None,
    }
    assert rules["jump"] == {"enabled": True, "threshold": "3", "window_days": 28, "minimum": 5}
    assert set(rules) == {
        "over_capacity",
        "jump",
        "block_outlier",
        "late",
        "corrections",
        "heaping",
    }


def test_a_put_sets_the_kinds_given_and_leaves_the_others(api, movement):
    response = put(api, {"late": {"enabled": False}, "jump": {"threshold": "4", "window_days": 14}})
    assert response.status_code == 200, response.content
    rules = response.json()
    assert rules["late"]["enabled"] is False and rules["late"]["threshold"] == "7"
    assert rules["jump"] == {"enabled": True, "threshold": "4", "window_days": 14, "minimum": 5}
    again = put(api, {"heaping": {"threshold": 0.4}}).json()
    assert again["late"]["enabled"] is False and again["heaping"]["threshold"] == "0.4"


def test_bad_settings_are_422_with_each_named(api, movement):
    body = problem(put(api, {"heaping": {"threshold": "2"}, "jump": {"minimum": 0}}), 422)
    assert [e["field"] for e in body["errors"]] == ["jump.minimum", "heaping.threshold"]
    assert problem(put(api, {"tardy": {}}), 422)
    assert api.get(URL).json()["heaping"]["threshold"] == "0.5"
