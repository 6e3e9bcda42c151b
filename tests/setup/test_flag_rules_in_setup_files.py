"""A movement's `flag_rules:` in a setup file: set through `set_flag_rules`, set again only
when they differ, written back by `export`; a problem named by its place."""

from __future__ import annotations

from decimal import Decimal

import yaml

from pacesetter.audit.models import AuditEvent
from pacesetter.ledger.models import FlagRule
from tests.setup.test_apply import SETUP

RULES = """\
    flag_rules:
      over_capacity: {threshold: 2}
      jump: {threshold: 4, window_days: 14}
      late: {enabled: false}
"""


def _apply(cli, tmp_path, text):
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    return cli("apply", str(path))


def _rules():
    return {
        rule.kind: (rule.enabled, rule.threshold.normalize(), rule.window_days, rule.minimum)
        for rule in FlagRule.objects.all()
    }


def test_rules_are_set_once_changed_when_they_differ_and_exported(cli, units, tmp_path):
    first = _apply(cli, tmp_path, SETUP + RULES)
    assert first.code == 0, first.out + first.err
    assert "set flag rule: jump" in first.out
    assert _rules() == {
        "over_capacity": (True, Decimal(2), None, None),
        "jump": (True, Decimal(4), 14, 5),
        "late": (False, Decimal(7), None, None),
    }
    assert AuditEvent.objects.filter(action="ledger.set_flag_rules").count() == 1
    again = _apply(cli, tmp_path, SETUP + RULES)
    assert "no change" in again.out, again.out
    changed = _apply(cli, tmp_path, SETUP + RULES.replace("threshold: 2}", "threshold: 2.5}"))
    assert "set flag rule: over_capacity" in changed.out and "jump" not in changed.out
    exported = tmp_path / "exported.yaml"
    assert cli("export", "kiln-repair", "--output", str(exported)).code == 0
    written = yaml.safe_load(exported.read_text())["movements"][0]["flag_rules"]
    assert written == {
        "over_capacity": {"enabled": True, "threshold": "2.5"},
        "jump": {"enabled": True, "threshold": "4", "window_days": 14, "minimum": 5},
        "late": {"enabled": False, "threshold": "7"},
    }
    # What export writes applies as no change.
    assert "no change" in _apply(cli, tmp_path, exported.read_text()).out


def test_a_bad_rule_is_named_by_its_place_and_nothing_is_applied(cli, units, tmp_path):
    bad = _apply(cli, tmp_path, SETUP + RULES.replace("threshold: 2}", "threshold: 0}"))
    assert bad.code != 0
    assert "flag_rules.over_capacity.threshold" in bad.err + bad.out
    assert not FlagRule.objects.exists()
    bad = _apply(cli, tmp_path, SETUP + RULES.replace("late:", "tardy:"))
    assert bad.code != 0 and "no flag kind 'tardy'" in bad.err + bad.out
    bad = _apply(cli, tmp_path, SETUP + RULES.replace("{enabled: false}", "{colour: red}"))
    assert bad.code != 0 and "colour" in bad.err + bad.out
    assert not FlagRule.objects.exists()
