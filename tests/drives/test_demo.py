"""The drives of the demo show exactly the figures of the source accounts (BRIEF.md), and
the drives' totals agree with the movements' ledgers. One load (the 740,000 sign-ups take a
while) checks everything."""

import datetime as dt
from decimal import Decimal

import yaml

from pacesetter.demo import drives as demo_drives
from pacesetter.demo.movements import HISTORY
from pacesetter.drives import selectors
from pacesetter.drives.models import (
    DonationDrive,
    DonationEntry,
    EnlistmentDrive,
    SignUp,
    VolunteerCall,
)
from pacesetter.ledger.models import SubtreePeriodTotal
from pacesetter.units.actions import UnitRow, import_units
from tests.factories import UserFactory


def ledger_total(indicator, unit) -> int:
    return SubtreePeriodTotal.objects.get(
        unit=unit, indicator=indicator, period__is_whole=True
    ).quantity_minor


def test_demo_drives_totals_exactly(db):
    # The drives stand on the history's tree (data/history.yaml).
    import_units(
        rows=[
            UnitRow(u["code"], u["name"], u["kind"], u.get("parent", ""), u.get("headcount", 0))
            for u in yaml.safe_load(HISTORY.read_text())["units"]
        ]
    )
    user = UserFactory(username="demo")
    loaded = demo_drives.load_drives(user)
    assert loaded.created == [slug for slug, _load in demo_drives.DRIVES]

    # Rice: one donor's 30 straw-sacks first, then the county.
    rice = DonationDrive.objects.get(movement__slug="rice-donation-1946")
    first = DonationEntry.objects.filter(drive=rice, stage="received").order_by("id").first()
    assert (first.quantity_minor, first.day, first.donor_kind) == (
        30,
        dt.date(1946, 11, 1),
        "member",
    )
    (item,) = selectors.donation_overview(drive=rice, unit=rice.movement.organiser).items
    assert (item.pledged, item.received, item.distributed) == (
        Decimal(5400),
        Decimal(5000),
        Decimal(4600),
    )
    assert sum(k.gifts for k in item.by_donor_kind) == 420

    # The call of 1950: 740,000 in 11 days, 230,000 women.
    war = VolunteerCall.objects.get(movement__slug="volunteers-1950")
    overview = selectors.call_overview(call=war, unit=war.movement.organiser)
    assert overview.total == 740_000 == war.active_count
    assert len(overview.by_day) == 11
    assert dict(overview.breakdowns["gender"]) == {"female": 230_000, "male": 510_000}
    assert ledger_total(war.signups_indicator, war.movement.organiser) == 740_000
    assert SignUp.objects.filter(call=war).count() == 740_000

    # The youth call: 4,790 placements in the year.
    youth = VolunteerCall.objects.get(movement__slug="youth-hard-sectors-1958")
    assert youth.placed_count == 4_790
    assert SignUp.objects.filter(call=youth, status="placed").count() == 4_790
    assert ledger_total(youth.placements_indicator, youth.movement.organiser) == 4_790
    assert all(p.placed_count <= p.capacity for p in youth.places.all())

    # The epidemic: 71,200 medical workers and 1,148,000 hygiene activists every day.
    epidemic = EnlistmentDrive.objects.get(movement__slug="anti-epidemic-1951")
    start = epidemic.movement.starts_on
    for offset in range(demo_drives.EPIDEMIC_DAYS):
        day = start + dt.timedelta(days=offset)
        assert selectors.national_daily_total(drive=epidemic, day=day) == {
            "medical": 71_200,
            "hygiene": 1_148_000,
        }
    full = selectors.enlistment_overview(
        drive=epidemic, unit=epidemic.movement.organiser, day=epidemic.movement.ends_on
    )
    assert all(d.coverage == 100 for d in full.days)

    # Loading again changes nothing.
    again = demo_drives.load_drives(user)
    assert again.created == [] and SignUp.objects.filter(call=war).count() == 740_000
