"""A movement's `reserve_links:` in a setup file: set through `link_reserves`, set again only
when they differ, written back by `export`; a problem named by its place."""

from __future__ import annotations

import yaml

from pacesetter.audit.models import AuditEvent
from pacesetter.reserves.models import ReserveLink
from tests.setup.test_apply import SETUP

LINKS = """\
    reserve_links:
      - {kind: material, measure: t of brick, indicator: repairs, factor: 0.5}
      - {kind: time, measure: hours, indicator: repairs}
"""


def _apply(cli, tmp_path, text, *flags):
    path = tmp_path / "setup.yaml"
    path.write_text(text)
    return cli("apply", str(path), *flags)


def _links():
    return sorted(
        (link.kind, link.measure, link.indicator.code, str(link.factor.normalize()))
        for link in ReserveLink.objects.select_related("indicator")
    )


def test_links_are_set_once_changed_when_they_differ_and_exported(cli, units, tmp_path):
    first = _apply(cli, tmp_path, SETUP + LINKS)
    assert first.code == 0, first.out + first.err
    assert "set reserve link: material t of brick → repairs × 0.5" in first.out
    assert _links() == [
        ("material", "t of brick", "repairs", "0.5"),
        ("time", "hours", "repairs", "1"),
    ]
    assert AuditEvent.objects.filter(action="reserves.link_reserves").count() == 2
    again = _apply(cli, tmp_path, SETUP + LINKS)
    assert "no change" in again.out, again.out
    changed = _apply(cli, tmp_path, SETUP + LINKS.replace("factor: 0.5", "factor: 0.25"))
    assert "change reserve link: material t of brick → repairs × 0.25" in changed.out
    assert _links()[0] == ("material", "t of brick", "repairs", "0.25")
    exported = tmp_path / "exported.yaml"
    assert cli("export", "kiln-repair", "--output", str(exported)).code == 0
    written = yaml.safe_load(exported.read_text())["movements"][0]["reserve_links"]
    assert written == [
        {"kind": "material", "measure": "t of brick", "indicator": "repairs", "factor": "0.25"},
        {"kind": "time", "measure": "hours", "indicator": "repairs", "factor": "1"},
    ]


def test_a_bad_link_is_named_by_its_place_and_nothing_is_applied(cli, units, tmp_path):
    bad = _apply(cli, tmp_path, SETUP + LINKS.replace("indicator: repairs}", "indicator: nope}"))
    assert bad.code != 0
    assert "reserve_links[2].indicator" in bad.err + bad.out
    assert "no indicator 'nope'" in bad.err + bad.out
    assert not ReserveLink.objects.exists()
    bad = _apply(cli, tmp_path, SETUP + LINKS.replace("factor: 0.5", "factor: -2"))
    assert "reserve_links[1]" in bad.err + bad.out and "factor" in bad.err + bad.out
    assert not ReserveLink.objects.exists()
    bad = _apply(cli, tmp_path, SETUP + LINKS.replace("indicator: repairs}", "colour: red}"))
    assert bad.code != 0 and "colour" in bad.err + bad.out
