"""The drives of the demo: the drives rows of BRIEF.md's figures table, generated record by
record with a seeded generator and loaded through the real actions, so the totals come out
exactly:

| drive | the system shows |
| --- | --- |
| rice-donation drive, Jaeryong County (1946) | started by one donor's 30 straw-sacks, 5,000 sacks received from 420 donors |
| volunteer call at the outbreak of war (1950) | 740,000 sign-ups in 11 days, 230,000 of them women |
| youth volunteers for hard sectors (1958) | 4,790 placements in the year |
| anti-epidemic emergency (1951) | 71,200 medical workers and 1,148,000 hygiene activists every day |

Plus one live movement running around today ("Flood relief"), with a donation drive, an open
public volunteer call and a daily enlistment, to try the pages with.

How gifts, sign-ups and enlisted persons split between units and days is not in the accounts:
it is generated, and the call texts say so. Loading is idempotent: a movement that exists is
left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from pacesetter.drives import actions as drives
from pacesetter.movements import actions as movements
from pacesetter.movements.models import Movement
from pacesetter.units.actions import UnitRow, create_member, import_units
from pacesetter.units.models import Member, Unit

ZONE = zoneinfo.ZoneInfo("Asia/Pyongyang")
SEED = 1950

PROVINCES = ["KP-PY", "KP-SP", "KP-NH", "KP-SH", "KP-NP"]
JAERYONG = "KP-SH-JAERYONG"
VILLAGES = [f"{JAERYONG}-{n:02d}" for n in range(1, 21)]
COUNTIES = [f"{p}-C{n:02d}" for p in PROVINCES for n in range(1, 11)]
WORKSITES = [
    ("KP-NH-MINE", "Coal mine (North Hamgyong)", "KP-NH", "miner", 2400),
    ("KP-SP-SITE", "Construction site (South Phyongan)", "KP-SP", "builder", 2200),
    ("KP-NP-FARM", "Reclamation farm (North Phyongan)", "KP-NP", "farmhand", 1500),
]

WAR_CALL_TOTAL = 740_000
WAR_CALL_WOMEN = 230_000
WAR_CALL_DAYS = 11
YOUTH_PLACEMENTS = 4_790
YOUTH_SIGNUPS = 5_150
RICE_FIRST_GIFT = 30
RICE_RECEIVED = 5_000
RICE_PLEDGED = 5_400
RICE_DISTRIBUTED = 4_600
RICE_DONORS = 420
EPIDEMIC_MEDICAL = 71_200
EPIDEMIC_HYGIENE = 1_148_000
EPIDEMIC_DAYS = 10


def units() -> list[UnitRow]:
    rows = [UnitRow(JAERYONG, "Jaeryong County", "county", "KP-SH", 60000)]
    rows += [
        UnitRow(code, f"Jaeryong village {code[-2:]}", "village", JAERYONG, 800)
        for code in VILLAGES
    ]
    rows += [
        UnitRow(code, f"County {code[-2:]} of {code[:5]}", "county", code[:5], 50000)
        for code in COUNTIES
    ]
    rows += [
        UnitRow(code, name, "enterprise", parent, 0) for code, name, parent, _r, _c in WORKSITES
    ]
    return rows


def split(total: int, parts: int, rng: random.Random, spread: float = 0.5) -> list[int]:
    """`total` in `parts` positive-ish integers that sum to it exactly: random weights, floors,
    and the remainder handed out one by one to the largest fractions."""
    weights = [1 + spread * (2 * rng.random() - 1) for _ in range(parts)]
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    result = [int(r) for r in raw]
    order = sorted(range(parts), key=lambda i: raw[i] - result[i], reverse=True)
    for i in order[: total - sum(result)]:
        result[i] += 1
    return result


def _at(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZONE) + dt.timedelta(seconds=seconds)


@dataclass
class DrivesResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _movement(slug: str, title: str, text: str, organiser: str, starts, ends, user) -> Movement:
    return movements.create_movement(
        title=title,
        slug=slug,
        organiser=Unit.objects.get(code=organiser),
        starts_on=starts,
        ends_on=ends,
        call_text=text,
        time_zone="Asia/Pyongyang",
        is_public=True,
        created_by=user,
    )


# --- the rice-donation drive ------------------------------------------------------------------


def rice_drive(user) -> None:
    rng = random.Random(SEED + 1)
    movement = _movement(
        "rice-donation-1946",
        "Patriotic rice: the donation drive in Jaeryong County (1946)",
        "One peasant of Jaeryong County gave 30 straw-sacks of rice to the state; the movement "
        "spread through the county. The other donors, their villages and gifts are "
        "generated (illustrative); the first gift is the account's.",
        JAERYONG,
        dt.date(1946, 11, 1),
        dt.date(1946, 12, 31),
        user,
    )
    drive = drives.create_donation_drive(
        movement=movement,
        items=[drives.ItemSpec(code="rice", name="Rice", unit_of_measure="straw-sacks")],
        estimate_currency="KPW",
    )
    movements.launch_movement(movement=movement)
    first = _member(VILLAGES[0], "The first donor (a peasant of Jaeryong)", "RICE-DONOR-0001")
    rows = [
        drives.DonationRow(
            item="rice",
            stage=stage,
            unit=VILLAGES[0],
            quantity=RICE_FIRST_GIFT,
            day=dt.date(1946, 11, 1),
            donor_member=first.external_id,
            note="The gift that started the movement",
            idempotency_key=f"demo:rice:first:{stage}",
        )
        for stage in ("pledged", "received")
    ]
    # The others: members of the villages, village cooperatives (units) and anonymous gifts.
    received = split(RICE_RECEIVED - RICE_FIRST_GIFT, RICE_DONORS - 1, rng, spread=0.8)
    extra = split(RICE_PLEDGED - RICE_RECEIVED, 40, rng)
    donors: list[dict] = []
    for n in range(RICE_DONORS - 1):
        village = VILLAGES[min(int(rng.random() ** 0.7 * len(VILLAGES)), len(VILLAGES) - 1)]
        kind = rng.choices(("member", "unit", "anonymous"), weights=(70, 20, 10))[0]
        donors.append(
            {"village": village, "kind": kind, "n": n, "member": f"RICE-DONOR-{n + 2:04d}"}
        )
    units_by_code = {u.code: u for u in Unit.objects.filter(code__in=VILLAGES)}
    to_create = [
        (units_by_code[d["village"]], f"Peasant {d['n'] + 2} of {d['village'][-2:]}", d["member"])
        for d in donors
        if d["kind"] == "member"
    ]
    _members(to_create)
    for donor, quantity in zip(donors, received, strict=True):
        day = dt.date(1946, 11, 2) + dt.timedelta(days=int(donor["n"] / RICE_DONORS * 55))
        pledged = quantity + (extra[donor["n"]] if donor["n"] < len(extra) else 0)
        who = {
            "member": {"donor_member": donor["member"]},
            "unit": {"donor_unit": donor["village"]},
            "anonymous": {},
        }[donor["kind"]]
        for stage, amount in (("pledged", pledged), ("received", quantity)):
            rows.append(
                drives.DonationRow(
                    item="rice",
                    stage=stage,
                    unit=donor["village"],
                    quantity=amount,
                    day=day,
                    idempotency_key=f"demo:rice:{donor['n']}:{stage}",
                    **who,
                )
            )
    drives.record_donations(drive=drive, rows=rows, source="demo", entered_by=user)
    # Each village hands most of what it collected to the state grain reserve at year end.
    balance = {v: 0 for v in VILLAGES}
    for row in rows:
        if row.stage == "received":
            balance[row.unit] += int(row.quantity)
    shares = _proportional(RICE_DISTRIBUTED, [balance[v] for v in VILLAGES])
    drives.record_donations(
        drive=drive,
        rows=[
            drives.DonationRow(
                item="rice",
                stage="distributed",
                unit=village,
                quantity=share,
                day=dt.date(1946, 12, 28),
                recipient_name="State grain reserve",
                idempotency_key=f"demo:rice:distributed:{village}",
            )
            for village, share in zip(VILLAGES, shares, strict=True)
            if share
        ],
        source="demo",
        entered_by=user,
    )
    movements.close_movement(movement=movement)


def _proportional(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights`, never above a weight, summing exactly."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: weights[i], reverse=True):
        if sum(shares) == total:
            break
        if shares[i] < weights[i]:
            shares[i] += 1
    return shares


def _member(unit_code: str, name: str, external_id: str) -> Member:
    found = Member.objects.filter(external_id=external_id).first()
    return found or create_member(
        unit=Unit.objects.get(code=unit_code), full_name=name, external_id=external_id
    )


def _members(rows: list[tuple[Unit, str, str]]) -> None:
    existing = set(
        Member.objects.filter(external_id__in=[r[2] for r in rows]).values_list(
            "external_id", flat=True
        )
    )
    for unit, name, external_id in rows:
        if external_id not in existing:
            create_member(unit=unit, full_name=name, external_id=external_id)


# --- the volunteer call of 1950 ---------------------------------------------------------------


def war_call(user, progress: Callable[[int], None] | None = None) -> None:
    rng = random.Random(SEED + 2)
    first_day = dt.date(1950, 6, 26)
    movement = _movement(
        "volunteers-1950",
        "Volunteers at the outbreak of war (1950)",
        "Over 740,000 volunteered in a little more than ten days, over 230,000 of them women. "
        "How they split between provinces and days is generated (illustrative).",
        "KP",
        first_day,
        dt.date(1950, 7, 31),
        user,
    )
    call = drives.create_volunteer_call(
        movement=movement,
        quota=1_000_000,
        opens_at=_at(first_day, 0),
        closes_at=_at(first_day + dt.timedelta(days=WAR_CALL_DAYS), 0),
        asks_gender=True,
    )
    movements.launch_movement(movement=movement)
    per_day = split(WAR_CALL_TOTAL, WAR_CALL_DAYS, rng, spread=0.6)
    women = set(rng.sample(range(WAR_CALL_TOTAL), WAR_CALL_WOMEN))
    homes = [*PROVINCES, "KP"]
    weights = [3, 4, 3, 3, 3, 1]
    n = 0
    batch: list[drives.SignUpRow] = []
    for offset, count in enumerate(per_day):
        day = first_day + dt.timedelta(days=offset)
        step = 86_400 / count
        for i in range(count):
            batch.append(
                drives.SignUpRow(
                    unit=rng.choices(homes, weights)[0],
                    full_name=f"Volunteer {n + 1}",
                    contact=f"volunteer-{n + 1}@1950.demo",
                    gender="female" if n in women else "male",
                    signed_up_at=_at(day, int(i * step)),
                    idempotency_key=f"demo:1950:{n + 1}",
                )
            )
            n += 1
            if len(batch) == 50_000:
                drives.sign_up(call=call, rows=batch, source="demo", entered_by=user, post=False)
                if progress:
                    progress(len(batch))
                batch = []
    if batch:
        drives.sign_up(call=call, rows=batch, source="demo", entered_by=user, post=False)
        if progress:
            progress(len(batch))
    drives.post_to_ledger(call=call, source="demo")
    movements.close_movement(movement=movement)


# --- the youth call for hard sectors ----------------------------------------------------------


def youth_call(user) -> None:
    rng = random.Random(SEED + 3)
    year = 1958
    movement = _movement(
        "youth-hard-sectors-1958",
        "Young volunteers for the hard sectors (1958)",
        "Over 4,790 young people volunteered in one year for mines, construction and "
        "reclamation. Places, sign-ups beyond the placements, and their months are generated "
        "(illustrative).",
        "KP",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        user,
    )
    call = drives.create_volunteer_call(
        movement=movement,
        quota=6_000,
        at_quota="waitlist",
        opens_at=_at(dt.date(year, 1, 1), 0),
        closes_at=_at(dt.date(year + 1, 1, 1), 0),
        min_age=17,
        max_age=30,
        asks_gender=True,
        asks_age_band=True,
        roles=[("miner", "Miner"), ("builder", "Builder"), ("farmhand", "Farm hand")],
        places=[
            drives.PlaceSpec(code, capacity, role) for code, _n, _p, role, capacity in WORKSITES
        ],
    )
    movements.launch_movement(movement=movement)
    places = {p.role.code: p.pk for p in call.places.select_related("role")}
    signups_by_month = split(YOUTH_SIGNUPS, 12, rng, spread=0.3)
    placed_by_month = split(YOUTH_PLACEMENTS, 12, rng, spread=0.3)
    n = 0
    waiting: list[tuple[str, drives.SignUpRow]] = []
    due = 0
    for month in range(12):
        first = dt.date(year, month + 1, 1)
        rows = []
        for i in range(signups_by_month[month]):
            n += 1
            rows.append(
                drives.SignUpRow(
                    unit=rng.choice(COUNTIES),
                    full_name=f"Young volunteer {n}",
                    contact=f"youth-{n}@1958.demo",
                    role=rng.choices(["miner", "builder", "farmhand"], [40, 37, 23])[0],
                    gender=rng.choices(["female", "male"], [35, 65])[0],
                    age=rng.randint(17, 30),
                    signed_up_at=_at(first, 3600 + i * 60),
                    idempotency_key=f"demo:youth:{n}",
                )
            )
        result = drives.sign_up(call=call, rows=rows, source="demo", entered_by=user, post=False)
        # Volunteers wait in signing-up order; each month places its share (what a month
        # could not place, for want of volunteers, the next one does).
        waiting += list(zip(result.codes, rows, strict=True))
        due += placed_by_month[month]
        chosen, waiting = waiting[:due], waiting[due:]
        due -= len(chosen)
        drives.accept_signups(call=call, codes=[code for code, _row in chosen])
        last = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1)) - dt.timedelta(days=1)
        drives.place_volunteers(
            call=call,
            rows=[drives.PlacementRow(code, places[row.role]) for code, row in chosen],
            day=last,
            source="demo",
        )
    drives.post_to_ledger(call=call, source="demo")
    movements.close_movement(movement=movement)


# --- the anti-epidemic enlistment -------------------------------------------------------------


def epidemic(user) -> None:
    rng = random.Random(SEED + 4)
    first_day = dt.date(1951, 3, 1)
    movement = _movement(
        "anti-epidemic-1951",
        "Anti-epidemic emergency: daily enlistment (1951)",
        "Over 71,200 medical workers and 1,148,000 hygiene activists were enlisted every day. "
        "The split between counties is generated (illustrative); every county reported every "
        "day.",
        "KP",
        first_day,
        first_day + dt.timedelta(days=EPIDEMIC_DAYS - 1),
        user,
    )
    drive = drives.create_enlistment_drive(
        movement=movement,
        reporting_kind="county",
        roles=[("medical", "Medical workers"), ("hygiene", "Hygiene activists")],
    )
    movements.launch_movement(movement=movement)
    counties = [*COUNTIES, JAERYONG]
    rows = []
    for offset in range(EPIDEMIC_DAYS):
        day = first_day + dt.timedelta(days=offset)
        medical = split(EPIDEMIC_MEDICAL, len(counties), rng, spread=0.4)
        hygiene = split(EPIDEMIC_HYGIENE, len(counties), rng, spread=0.4)
        rows += [
            drives.EnlistmentRow(unit=code, day=day, counts={"medical": m, "hygiene": h})
            for code, m, h in zip(counties, medical, hygiene, strict=True)
        ]
    drives.report_enlistment(drive=drive, rows=rows, source="demo", verified=True)
    movements.close_movement(movement=movement)


# --- a live movement to try the pages with ----------------------------------------------------


def flood_relief(user) -> None:
    """Running around today: a donation drive, an open public volunteer call (the sign-up
    page) and a daily enlistment, with a little history."""
    rng = random.Random(SEED + 5)
    today = dt.datetime.now(ZONE).date()
    start = today - dt.timedelta(days=6)
    movement = _movement(
        "flood-relief",
        "Flood relief (a live example)",
        "A live example to try the drives with: give, volunteer, report the day's enlistment. "
        "Everything in it is generated.",
        "KP",
        start,
        today + dt.timedelta(days=60),
        user,
    )
    drives.create_donation_drive(
        movement=movement,
        items=[
            drives.ItemSpec(code="rice", name="Rice", unit_of_measure="sacks"),
            drives.ItemSpec(code="blankets", name="Blankets", unit_of_measure="pieces"),
            drives.ItemSpec(
                code="money", name="Money", kind="money", currency="KPW", decimal_places=2
            ),
        ],
        estimate_currency="KPW",
    )
    call = drives.create_volunteer_call(
        movement=movement,
        quota=500,
        at_quota="waitlist",
        opens_at=_at(start, 0),
        closes_at=_at(today + dt.timedelta(days=30), 0),
        min_age=16,
        asks_gender=True,
        asks_age_band=True,
        roles=[("rescue", "Rescue brigade"), ("medic", "First aid"), ("cook", "Field kitchen")],
        places=[drives.PlaceSpec(code, 40) for code in COUNTIES[:6]],
    )
    drives.create_enlistment_drive(
        movement=movement,
        reporting_kind="county",
        roles=[("rescuers", "Rescuers"), ("medics", "Medics")],
    )
    movement = movements.launch_movement(movement=movement)
    drive = movement.donation_drive
    now = dt.datetime.now(ZONE)
    drives.record_donations(
        drive=drive,
        rows=[
            drives.DonationRow(
                item=item,
                stage="received",
                unit=rng.choice(COUNTIES[:10]),
                quantity=quantity,
                day=start + dt.timedelta(days=n % 6),
                donor_unit=rng.choice(COUNTIES[10:20]) if n % 3 else "",
                idempotency_key=f"demo:flood:gift:{n}",
            )
            for n, (item, quantity) in enumerate(
                [("rice", rng.randint(5, 40)) for _ in range(20)]
                + [("blankets", rng.randint(10, 100)) for _ in range(10)]
                + [("money", f"{rng.randint(1000, 50000)}.00") for _ in range(5)]
            )
        ],
        source="demo",
        entered_by=user,
    )
    drives.sign_up(
        call=call,
        rows=[
            drives.SignUpRow(
                unit=rng.choice(COUNTIES),
                full_name=f"Flood volunteer {n}",
                contact=f"flood-{n}@relief.demo",
                role=rng.choice(["rescue", "medic", "cook"]),
                gender=rng.choice(["female", "male"]),
                age=rng.randint(16, 60),
                signed_up_at=min(_at(start, 3600 * (1 + n * 3)), now),
                idempotency_key=f"demo:flood:{n}",
            )
            for n in range(1, 41)
        ],
        source="demo",
        entered_by=user,
        post=True,
    )
    counties = [*COUNTIES, JAERYONG]
    enlistment = movement.enlistment_drive
    rows = []
    for offset in range(6):
        day = start + dt.timedelta(days=offset)
        # Not every county reports every day: the pages show those days as missing.
        reporting = [c for c in counties if rng.random() < 0.85]
        rows += [
            drives.EnlistmentRow(
                unit=code,
                day=day,
                counts={"rescuers": rng.randint(0, 400), "medics": rng.randint(0, 60)},
            )
            for code in reporting
        ]
    drives.report_enlistment(drive=enlistment, rows=rows, source="demo")


DRIVES: list[tuple[str, Callable]] = [
    ("rice-donation-1946", rice_drive),
    ("volunteers-1950", war_call),
    ("youth-hard-sectors-1958", youth_call),
    ("anti-epidemic-1951", epidemic),
    ("flood-relief", flood_relief),
]


def load_drives(user, *, without: frozenset[str] = frozenset()) -> DrivesResult:
    """Load the drive movements; those that exist already, or named in `without`, are left
    untouched."""
    result = DrivesResult()
    if connection.vendor == "sqlite":
        # 740,000 sign-ups go into unique indexes of random keys (codes, identities): with
        # SQLite's default 2 MB page cache each insert reads pages from disk. 256 MB for
        # this connection only.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    import_units(rows=units())
    for slug, load in DRIVES:
        if slug in without:
            continue
        if Movement.objects.filter(slug=slug).exists():
            result.existing.append(slug)
            continue
        started = time.perf_counter()
        with transaction.atomic():
            load(user)
        result.seconds[slug] = time.perf_counter() - started
        result.created.append(slug)
    return result
