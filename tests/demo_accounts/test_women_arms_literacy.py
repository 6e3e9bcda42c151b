"""The demo24b movements of the accounts (issue 24), each loaded alone from its folder of
data, with its headline figure pinned as `pacesetter drives|figures --format json` prints it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Role
from pacesetter.demo.accounts import load_accounts
from pacesetter.ledger.models import ReportFlag
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit
from tests.factories import UserFactory


@pytest.fixture
def demo_user(db):
    """As `pacesetter demo` loads them: as the demo login, organiser of the demo root."""
    import_units(rows=[UnitRow("KP", "Democratic People's Republic of Korea", "country", "", 0)])
    root = Unit.objects.get(code="KP")
    user = UserFactory(username="demo")
    account_actions.grant_role(user=user, role=Role.ORGANISER, unit=root)
    return user


def drives_json(slug: str) -> dict:
    out = StringIO()
    call_command("drives", "--movement", slug, "--format", "json", stdout=out)
    (drive,) = json.loads(out.getvalue())["drives"]
    return drive


def test_plowwoman_placements_per_county_and_by_sex(demo_user):
    slug = "plowwoman-1951"
    assert load_accounts(demo_user, only=frozenset({slug})).created == [slug]
    assert not ReportFlag.objects.filter(kind="late").exists()
    call = drives_json(slug)["volunteers"]
    assert (call["signups"], call["placed"]) == (320, 256)
    assert call["breakdowns"]["gender"] == {"female": 288, "male": 32}
    per_county: dict[str, int] = {}
    for place in call["places"]:
        per_county[place["unit"]] = per_county.get(place["unit"], 0) + place["placed"]
    assert per_county == {
        "KP-SH-ANAK": 66,
        "KP-SH-SINCHON": 56,
        "KP-SH-UNNYUL": 42,
        "KP-NP-RYONGCHON": 50,
        "KP-NP-YOMJU": 42,
    }
    # Loading again leaves the closed movement as it is.
    assert load_accounts(demo_user, only=frozenset({slug})).existing == [slug]


def test_arms_fund_named_targets_reached_one_after_another(demo_user):
    slug = "arms-fund-1950"
    assert load_accounts(demo_user, only=frozenset({slug})).created == [slug]
    donations = drives_json(slug)["donations"]
    (item,) = donations["items"]
    assert item["received"] == "7200000"
    targets = [
        (t["name"], t["price"], t["reached_on"], t["gathered"], t["percent"])
        for t in donations["targets"]
    ]
    assert targets == [
        ("Tank 'Minchong No. 1'", "1500000", "1950-10-18", "1500000", "100.0"),
        ("Aircraft 'Minchong No. 1'", "3000000", "1951-02-11", "3000000", "100.0"),
        ("Tank 'Minchong No. 2'", "1500000", "1951-04-09", "1500000", "100.0"),
        ("Aircraft 'Minchong No. 2'", "3000000", None, "1200000", "40.0"),
    ]


def test_anti_illiteracy_coverage_per_unit_rolled_up_with_a_projected_finish(demo_user):
    slug = "anti-illiteracy-1947"
    assert load_accounts(demo_user, only=frozenset({slug})).created == [slug]
    out = StringIO()
    call_command("figures", "--movement", slug, "--format", "json", stdout=out)
    records = {r["unit"]: r for r in json.loads(out.getvalue())}
    shown = {
        unit: (r["planned"], r["actual"], r["fulfilment"], (r["pace"] or {}).get("projected_on"))
        for unit, r in records.items()
    }
    # The plan is the adults who could not read: the fulfilment is the coverage, the pace's
    # projection the day the last would read at the campaign's run-rate.
    assert shown == {
        "KP": ("72000", "67400", "93.6", "1949-02-19"),
        "KP-SP": ("33600", "33000", "98.2", "1949-01-14"),
        "KP-SP-SUNCHON": ("18400", "18400", "100.0", "1948-08-31"),
        "KP-SP-ANJU": ("15200", "14600", "96.1", "1949-01-31"),
        "KP-NH": ("38400", "34400", "89.6", "1949-03-26"),
        "KP-NH-KYONGSONG": ("12600", "11400", "90.5", "1949-03-18"),
        "KP-NH-MYONGCHON": ("14800", "13000", "87.8", "1949-04-12"),
        "KP-NH-HOERYONG": ("11000", "10000", "90.9", "1949-03-15"),
    }
    assert records["KP-SP-SUNCHON"]["pace"]["met_on"] == "1948-08-31"
