"""The demo's movements 30–39 of data/accounts/ (issue 24): each headline figure, exactly,
as `pacesetter figures --format json` prints it."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pacesetter.demo.accounts import load_accounts
from pacesetter.demo.movements import HISTORY
from pacesetter.ledger.models import ReportFlag


@pytest.fixture
def base(db, tmp_path):
    """The history's root and provinces and the demo login, without the history's movements
    (each test loads only its own movement: small and fast)."""
    history = yaml.safe_load(HISTORY.read_text(encoding="utf-8"))
    units = [u for u in history["units"] if u["code"] in {"KP", "KP-NP"}]
    path = tmp_path / "base.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "units": units,
                "people": [
                    {
                        "username": "demo",
                        "name": "Demo organiser",
                        "grants": [{"role": "organiser", "unit": "KP"}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    call_command("apply", str(path), stdout=io.StringIO())
    return get_user_model().objects.get(username="demo")


def figures(slug: str, *arguments: str) -> list[dict]:
    out = io.StringIO()
    call_command("figures", "--movement", slug, "--format", "json", *arguments, stdout=out)
    return json.loads(out.getvalue())


def test_my_hill_ground_lost_per_farm_and_the_farms_that_held_their_hill(base, client):
    result = load_accounts(base, only=frozenset({"my-hill-1961"}))
    assert result.created == ["my-hill-1961"]
    assert not ReportFlag.objects.filter(kind="late").exists()
    records = {r["unit"]: r for r in figures("my-hill-1961")}
    county = records.pop("KP-NP-UNSAN")
    assert (county["actual"], county["planned"], county["held"]) == ("0.9", "0.0", False)
    assert {code: r["actual"] for code, r in records.items()} == {
        "KP-NP-UNSAN-01": "0.0",
        "KP-NP-UNSAN-02": "0.0",
        "KP-NP-UNSAN-03": "0.4",
        "KP-NP-UNSAN-04": "0.0",
        "KP-NP-UNSAN-05": "0.5",
        "KP-NP-UNSAN-06": "0.0",
    }
    assert sorted(code for code, r in records.items() if r["held"]) == [
        "KP-NP-UNSAN-01",
        "KP-NP-UNSAN-02",
        "KP-NP-UNSAN-04",
        "KP-NP-UNSAN-06",
    ]
    assert records["KP-NP-UNSAN-01"]["plan_note"] == "Paekma hill (14 ha of pine)"
    # Less is better: the farms that lost nothing rank first, the one that lost most last.
    assert records["KP-NP-UNSAN-05"]["rank_among_siblings"] == 6
    assert records["KP-NP-UNSAN-03"]["rank_among_siblings"] == 5
    # The page: each farm's hill held or not, and a farm's hill by name.
    page = client.get("/movements/my-hill-1961/").content.decode()
    assert page.count('<td data-figure="held">held</td>') == 4
    assert page.count('<td data-figure="held">not held</td>') == 2
    farm = client.get("/movements/my-hill-1961/units/KP-NP-UNSAN-03/").content.decode()
    assert "Kuryong hill (17 ha of terraces)" in farm and ">not held<" in farm
    # Loading again leaves the closed movement as it is.
    assert load_accounts(base, only=frozenset({"my-hill-1961"})).existing == ["my-hill-1961"]


def test_speed_campaign_shows_its_own_plan_daily_assignment_and_pace_beside_the_whole(base, client):
    assert load_accounts(base, only=frozenset({"speed-campaign-1959"})).created == [
        "speed-campaign-1959"
    ]
    records = {r["unit"]: r for r in figures("speed-campaign-1959")}
    plant = records["KP-NP-KUSONG-MT"]
    # The whole half-year: 3,314 machine tools on a plan of 3,000, met on day 165 of 184.
    assert (plant["actual"], plant["planned"], plant["fulfilment"]) == ("3314", "3000", "110.5")
    assert (plant["pace"]["met_on_day"], plant["pace"]["period_days"]) == (165, 184)
    # Beside it, the 70-day campaign's own plan, daily assignment and pace.
    [campaign] = plant["periods"]
    assert {k: campaign[k] for k in ("period", "actual", "planned", "fulfilment")} == {
        "period": "70-day campaign",
        "actual": "1670",
        "planned": "1400",
        "fulfilment": "119.3",
    }
    assert (campaign["daily_assignment"], campaign["daily_assignment_rate"]) == ("20", "119.3")
    assert (campaign["pace"]["met_on_day"], campaign["pace"]["days_ahead"]) == (59, "11.0")
    rates = {
        code: r["periods"][0]["daily_assignment_rate"]
        for code, r in records.items()
        if code != "KP-NP-KUSONG-MT"
    }
    # The casting workshop fell short of its campaign's daily assignment.
    assert rates == {
        "KP-NP-KUSONG-MT-1": "130.7",
        "KP-NP-KUSONG-MT-2": "124.5",
        "KP-NP-KUSONG-MT-3": "98.8",
    }
    page = client.get("/movements/speed-campaign-1959/").content.decode()
    assert "119.3%" in page and "(20 a day)" in page
    # With --period, the campaign alone, as the record's own period.
    [alone] = figures(
        "speed-campaign-1959", "--unit", "KP-NP-KUSONG-MT", "--period", "70-day campaign"
    )
    assert (alone["period"], alone["daily_assignment_rate"], "periods" in alone) == (
        "70-day campaign",
        "119.3",
        False,
    )


def test_shock_brigade_reports_on_its_own_and_its_coal_counts_once(base, client):
    assert load_accounts(base, only=frozenset({"shock-brigade-1952"})).created == [
        "shock-brigade-1952"
    ]
    records = {(r["unit"], r["indicator"]): r for r in figures("shock-brigade-1952")}
    brigade = records[("KP-NP-JONGJU-RW-SB", "coal")]
    assert (brigade["actual"], brigade["planned"], brigade["fulfilment"]) == (
        "2025",
        "1800",
        "112.5",
    )
    # The division counts the brigade's coal once: no home unit has any of it.
    assert records[("KP-NP-JONGJU-RW", "coal")]["actual"] == "2025"
    assert records[("KP-NP-JONGJU-RW-1", "coal")]["actual"] == "0"
    assert records[("KP-NP-JONGJU-RW-1", "trains")]["actual"] == "319"
    # Where its 40 people come from, on the brigade's page and through export.
    page = client.get("/movements/shock-brigade-1952/units/KP-NP-JONGJU-RW-SB/").content.decode()
    assert "18 persons from Jongju engine depot" in page
    assert "12 persons from Jongju repair shop" in page and "10 persons from Jongju station" in page
    out = io.StringIO()
    call_command("export", "shock-brigade-1952", stdout=out)
    sent = yaml.safe_load(out.getvalue())["movements"][0]["secondments"]
    assert sum(s["persons"] for s in sent) == 40 and len(sent) == 3
