"""The demo: one movement per row of the figures table in BRIEF.md.

Loaded with these plans and reports, the system must show exactly the figures of the source
accounts (102.5% plan fulfilment, 200.0% and 142.1% of rated capacity, a 400.0%
daily-assignment rate, 285.7% of the norm, +170,000 t against the 1946 level). Quantities the
accounts do not give (how output split between branches, the railway's length, the 1946 grain
base) are illustrative and said so in each movement's call text.

Loading is idempotent: a movement that exists is left as it is, and every report carries a
fixed idempotency key, so running the demo twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

from .drives import load_drives

DEMO_USERNAME = "demo"

UNITS = [
    UnitRow("KP", "Democratic People's Republic of Korea", "country"),
    UnitRow("KP-PY", "Pyongyang", "city", "KP"),
    UnitRow("KP-SP", "South Phyongan Province", "province", "KP"),
    UnitRow("KP-NH", "North Hamgyong Province", "province", "KP"),
    UnitRow("KP-SH", "South Hwanghae Province", "province", "KP"),
    UnitRow("KP-NP", "North Phyongan Province", "province", "KP"),
    UnitRow("IND", "State-run industry", "sector", "KP"),
    UnitRow("IND-MET", "Metallurgical industry", "branch", "IND", 60000),
    UnitRow("IND-CHEM", "Chemical industry", "branch", "IND", 40000),
    UnitRow("IND-LIGHT", "Light industry", "branch", "IND", 80000),
    UnitRow("KANGSON", "Kangson Steel Works", "enterprise", "KP-SP", 6000),
    UnitRow("KANGSON-BM", "Kangson blooming mill", "workshop", "KANGSON", 600),
    UnitRow("KIMCHAEK", "Kim Chaek Iron and Steel Works", "enterprise", "KP-NH", 12000),
    UnitRow("KIMCHAEK-BF", "Kim Chaek blast furnace", "workshop", "KIMCHAEK", 900),
    UnitRow("HAEJU-HASONG", "Haeju–Hasong railway construction", "project", "KP-SH", 20000),
    UnitRow("PY-HOUSING", "Pyongyang housing construction", "project", "KP-PY", 30000),
]


@dataclass
class DemoMovement:
    slug: str
    title: str
    call_text: str
    organiser: str
    starts_on: dt.date
    ends_on: dt.date
    indicator: dict
    plans: list[dict]
    # (unit code, [(day, quantity), ...])
    reports: list[tuple[str, list[tuple[dt.date, Decimal]]]] = field(default_factory=list)


def _spread_monthly(total: int, year: int, months: int = 12) -> list[tuple[dt.date, Decimal]]:
    """`total` split over month ends; the remainder goes to the last month, so it sums exactly."""
    share = total // months
    days = []
    for month in range(1, months + 1):
        next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
        days.append((next_first - dt.timedelta(days=1), Decimal(share)))
    days[-1] = (days[-1][0], Decimal(total - share * (months - 1)))
    return days


def _movements() -> list[DemoMovement]:
    railway_start = dt.date(1958, 3, 1)
    return [
        DemoMovement(
            slug="first-national-plan-1947",
            title="First national economic plan (1947)",
            call_text=(
                "State-run industry fulfils the year's total output plan. The account: the plan "
                "was overfulfilled by 2.5%. The split between branches is illustrative."
            ),
            organiser="IND",
            starts_on=dt.date(1947, 1, 1),
            ends_on=dt.date(1947, 12, 31),
            indicator={
                "code": "output",
                "name": "Gross industrial output",
                "unit_of_measure": "million won",
            },
            plans=[
                {"unit_code": "IND", "planned": "100000"},
                {"unit_code": "IND-MET", "planned": "40000"},
                {"unit_code": "IND-CHEM", "planned": "25000"},
                {"unit_code": "IND-LIGHT", "planned": "35000"},
            ],
            reports=[
                ("IND-MET", _spread_monthly(41800, 1947)),
                ("IND-CHEM", _spread_monthly(25250, 1947)),
                ("IND-LIGHT", _spread_monthly(35450, 1947)),
            ],
        ),
        DemoMovement(
            slug="kangson-blooming-mill-1957",
            title="Kangson Steel Works: 120,000 t from a 60,000 t blooming mill (1957)",
            call_text="The blooming mill, rated at 60,000 t of steel a year, rolled 120,000 t.",
            organiser="KANGSON-BM",
            starts_on=dt.date(1957, 1, 1),
            ends_on=dt.date(1957, 12, 31),
            indicator={"code": "steel", "name": "Steel rolled", "unit_of_measure": "t"},
            plans=[{"unit_code": "KANGSON-BM", "planned": "60000", "rated_capacity": "60000"}],
            reports=[("KANGSON-BM", _spread_monthly(120000, 1957))],
        ),
        DemoMovement(
            slug="kim-chaek-blast-furnace-1957",
            title="Kim Chaek Iron and Steel Works: the blast furnace (1957)",
            call_text="The blast furnace, rated at 190,000 t of pig iron a year, produced 270,000 t.",
            organiser="KIMCHAEK-BF",
            starts_on=dt.date(1957, 1, 1),
            ends_on=dt.date(1957, 12, 31),
            indicator={"code": "pig-iron", "name": "Pig iron", "unit_of_measure": "t"},
            plans=[{"unit_code": "KIMCHAEK-BF", "planned": "190000", "rated_capacity": "190000"}],
            reports=[("KIMCHAEK-BF", _spread_monthly(270000, 1957))],
        ),
        DemoMovement(
            slug="haeju-hasong-railway-1958",
            title="Haeju–Hasong standard-gauge railway in 75 days (1958)",
            call_text=(
                "By common norms the line takes three years to build; it was built in 75 days, "
                "the daily assignments overfulfilled by 300%. The movement's period is the "
                "three-year norm. The 75 km length and the 0.25 km daily assignment are illustrative."
            ),
            organiser="HAEJU-HASONG",
            starts_on=railway_start,
            ends_on=dt.date(1961, 2, 28),
            indicator={
                "code": "track",
                "name": "Track laid",
                "unit_of_measure": "km",
                "decimal_places": 2,
            },
            plans=[{"unit_code": "HAEJU-HASONG", "planned": "75", "daily_assignment": "0.25"}],
            reports=[
                (
                    "HAEJU-HASONG",
                    [(railway_start + dt.timedelta(days=n), Decimal(1)) for n in range(75)],
                )
            ],
        ),
        DemoMovement(
            slug="pyongyang-housing-1958",
            title="Pyongyang housing: 20,000 flats on the norm for 7,000 (1958)",
            call_text="Materials, funds and labour were allotted for 7,000 flats; over 20,000 were built.",
            organiser="PY-HOUSING",
            starts_on=dt.date(1958, 1, 1),
            ends_on=dt.date(1958, 12, 31),
            indicator={"code": "flats", "name": "Flats built", "unit_of_measure": "flats"},
            plans=[{"unit_code": "PY-HOUSING", "planned": "7000"}],
            reports=[("PY-HOUSING", _spread_monthly(20000, 1958))],
        ),
        DemoMovement(
            slug="grain-1947",
            title="Grain production against the 1946 level (1947)",
            call_text=(
                "Grain output grew by 170,000 t over the 1946 level. The 1946 base of "
                "1,900,000 t and the split between provinces are illustrative."
            ),
            organiser="KP",
            starts_on=dt.date(1947, 1, 1),
            ends_on=dt.date(1947, 12, 31),
            indicator={"code": "grain", "name": "Grain harvested", "unit_of_measure": "t"},
            plans=[{"unit_code": "KP", "base": "1900000", "base_label": "1946 level"}],
            reports=[
                ("KP-SP", [(dt.date(1947, 10, 31), Decimal(620000))]),
                ("KP-NP", [(dt.date(1947, 10, 31), Decimal(540000))]),
                ("KP-SH", [(dt.date(1947, 10, 31), Decimal(610000))]),
                ("KP-NH", [(dt.date(1947, 10, 31), Decimal(300000))]),
            ],
        ),
    ]


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    login: str = ""


def _demo_user():
    """The demo login; its password is random per installation, kept in var/demo_login.txt."""
    users = get_user_model()
    login_file = settings.VAR_DIR / "demo_login.txt"
    user = users.objects.filter(username=DEMO_USERNAME).first()
    if user is None or not login_file.exists():
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        if user is None:
            user = users.objects.create_user(DEMO_USERNAME, password=password, is_staff=True)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        login_file.write_text(f"{DEMO_USERNAME} / {password}\n")
        login_file.chmod(0o600)
    return user, login_file.read_text().strip()


def load_demo(*, drives: bool = True, without: frozenset[str] = frozenset()) -> DemoResult:
    """Load the demo movements; those that exist already are left untouched. `drives=False`
    leaves out the drives (`demo.drives`: minutes, for the 740,000 sign-ups)."""
    result = DemoResult()
    user, result.login = _demo_user()
    import_units(rows=UNITS)
    # The demo login organises every demo tree (a grant is kept once, however often this runs).
    for root in Unit.objects.filter(code__in=[u.code for u in UNITS if not u.parent_code]):
        grant_role(user=user, role=Role.ORGANISER, unit=root)
    for spec in _movements():
        if Movement.objects.filter(slug=spec.slug).exists():
            result.existing.append(spec.slug)
            continue
        with transaction.atomic():
            _load_movement(spec, user)
        result.created.append(spec.slug)
    _load_rankings()
    # The drives rows of the figures table (`demo.drives`).
    if drives:
        loaded = load_drives(user, without=without)
        result.created += loaded.created
        result.existing += loaded.existing
    return result


# Blocks ranked in the demo: (block code, name, units, movement, scoring code, name, components)
RANKINGS = [
    (
        "industrial-branches",
        "Industrial branches",
        ["IND-MET", "IND-CHEM", "IND-LIGHT"],
        "first-national-plan-1947",
        [
            ("fulfilment", "Branches by plan fulfilment", [("output", "fulfilment", 1)]),
            (
                "weighted",
                "Branches, weighted: fulfilment 2 × output per member 1",
                [("output", "fulfilment", 2), ("output", "per_member", 1)],
            ),
        ],
    ),
    (
        "grain-provinces",
        "Grain provinces",
        ["KP-SP", "KP-NP", "KP-SH", "KP-NH"],
        "grain-1947",
        [("grain", "Provinces by grain harvested", [("grain", "raw", 1)])],
    ),
]


def _load_rankings() -> None:
    """The blocks and their rankings (emulation); what exists already is left as it is."""
    from pacesetter.emulation import actions as emulation
    from pacesetter.emulation.models import Scoring
    from pacesetter.units.actions import create_block
    from pacesetter.units.models import Block

    for block_code, block_name, unit_codes, slug, scorings in RANKINGS:
        movement = Movement.objects.filter(slug=slug).first()
        if movement is None:
            continue
        block = Block.objects.filter(code=block_code).first() or create_block(
            code=block_code, name=block_name, units=Unit.objects.filter(code__in=unit_codes)
        )
        for code, name, components in scorings:
            if not Scoring.objects.filter(movement=movement, code=code).exists():
                emulation.create_scoring(
                    movement=movement,
                    block=block,
                    code=code,
                    name=name,
                    components=[emulation.ComponentSpec(*c) for c in components],
                )


def _load_movement(spec: DemoMovement, user) -> None:
    organiser = Unit.objects.get(code=spec.organiser)
    movement = movements.create_movement(
        title=spec.title,
        slug=spec.slug,
        organiser=organiser,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        call_text=spec.call_text,
        time_zone="Asia/Pyongyang",
        is_public=True,
        created_by=user,
    )
    indicator = movements.add_indicator(movement=movement, **spec.indicator)
    movements.set_plans(
        movement=movement,
        rows=[movements.PlanRow(indicator=indicator.code, **plan) for plan in spec.plans],
    )
    movement = movements.launch_movement(movement=movement)
    rows = [
        ReportRow(
            unit=unit_code,
            indicator=indicator.code,
            day=day,
            quantity=quantity,
            idempotency_key=f"demo:{spec.slug}:{unit_code}:{day.isoformat()}",
        )
        for unit_code, days in spec.reports
        for day, quantity in days
    ]
    record_reports(
        movement=movement,
        rows=rows,
        source="demo",
        entered_by=user,
        verified=True,
        return_ids=False,
    )
    movements.close_movement(movement=movement)
