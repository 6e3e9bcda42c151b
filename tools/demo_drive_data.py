"""Write the demo's drives as data: src/pacesetter/demo/data/drives/.

    python tools/demo_drive_data.py

Run once; the files it writes are committed, and `pacesetter demo` loads them through the
commands a person runs (`apply`, `import-members`, `import-donations`, `import-signups`,
`import-placements`, `import-enlistment`, `close-movement`). Deterministic: each drive draws
from its own seeded generator (SEED + n), so running it again writes the same bytes (the .gz
file's header carries no time stamp).

The totals are those of BRIEF.md's figures table, exactly:

| drive | the system shows |
| --- | --- |
| rice-donation drive, Jaeryong County (1946) | started by one donor's 30 straw-sacks, 5,000 sacks received from 420 donors |
| volunteer call at the outbreak of war (1950) | 740,000 sign-ups in 11 days, 230,000 of them women |
| youth volunteers for hard sectors (1958) | 4,790 placements in the year |
| anti-epidemic emergency (1951) | 71,200 medical workers and 1,148,000 hygiene activists every day |

How gifts, sign-ups and enlisted persons split between units and days is not in the accounts:
it is generated, and the call texts say so. The 740,000 sign-ups of 1950 are tallies (a
recruiting station's count per day and sex, `tally` column of import-signups): 132 rows, not
740,000 names nobody has. The live "flood-relief" movement writes its dates relative to the
day it is loaded (`today-6`), which setup files and the drive imports read.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import random
from collections.abc import Sequence
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "src" / "pacesetter" / "demo" / "data" / "drives"
SEED = 1950
ZONE = "Asia/Pyongyang"

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


def proportional(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights`, never above a weight, summing exactly."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: weights[i], reverse=True):
        if sum(shares) == total:
            break
        if shares[i] < weights[i]:
            shares[i] += 1
    return shares


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` by largest remainders, summing exactly."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    shares = [int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - shares[i], reverse=True)
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def write_csv(name: str, header: list[str], rows: list[list]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = text.getvalue().encode()
    path = OUT / name
    if name.endswith(".gz"):
        # mtime=0 and no file name: the same rows give the same bytes.
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as packed:
            packed.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)


def write_yaml(name: str, comment: str, document: dict) -> None:
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    lines = "".join(f"# {line}\n" for line in comment.splitlines())
    (OUT / name).write_text(lines + body)


def movement(slug, title, text, organiser, starts, ends, **drive) -> dict:
    return {
        "slug": slug,
        "title": title,
        "call_text": text,
        "organiser": organiser,
        "starts_on": starts,
        "ends_on": ends,
        "time_zone": ZONE,
        "public": True,
        # Loaded long after its days (all but the live example): every report would be late,
        # so that flag is off.
        **({} if starts.startswith("today") else {"flag_rules": {"late": {"enabled": False}}}),
        **drive,
        "launch": True,
    }


def units() -> None:
    rows = [
        {
            "code": JAERYONG,
            "name": "Jaeryong County",
            "kind": "county",
            "parent": "KP-SH",
            "headcount": 60000,
        }
    ]
    rows += [
        {
            "code": c,
            "name": f"Jaeryong village {c[-2:]}",
            "kind": "village",
            "parent": JAERYONG,
            "headcount": 800,
        }
        for c in VILLAGES
    ]
    rows += [
        {
            "code": c,
            "name": f"County {c[-2:]} of {c[:5]}",
            "kind": "county",
            "parent": c[:5],
            "headcount": 50000,
        }
        for c in COUNTIES
    ]
    rows += [
        {"code": code, "name": name, "kind": "enterprise", "parent": parent}
        for code, name, parent, _r, _c in WORKSITES
    ]
    write_yaml(
        "units.yaml",
        "The drives' units, under the history's provinces (history.yaml). Generated by\n"
        "tools/demo_drive_data.py.",
        {"units": rows},
    )


def rice() -> None:
    rng = random.Random(SEED + 1)
    slug = "rice-donation-1946"
    write_yaml(
        f"{slug}.yaml",
        "The rice-donation drive of 1946. Generated by tools/demo_drive_data.py.",
        {
            "movements": [
                movement(
                    slug,
                    "Patriotic rice: the donation drive in Jaeryong County (1946)",
                    "One peasant of Jaeryong County gave 30 straw-sacks of rice to the state; the "
                    "movement spread through the county. The other donors, their villages and "
                    "gifts are generated (illustrative); the first gift is the account's.",
                    JAERYONG,
                    "1946-11-01",
                    "1946-12-31",
                    donation_drive={
                        "estimate_currency": "KPW",
                        "items": [
                            {"code": "rice", "name": "Rice", "unit_of_measure": "straw-sacks"}
                        ],
                    },
                )
            ]
        },
    )
    members = [[VILLAGES[0], "RICE-DONOR-0001", "The first donor (a peasant of Jaeryong)"]]
    gifts = [
        [
            "rice",
            stage,
            VILLAGES[0],
            RICE_FIRST_GIFT,
            "1946-11-01",
            "RICE-DONOR-0001",
            "",
            "",
            "The gift that started the movement",
            f"rice:first:{stage}",
        ]
        for stage in ("pledged", "received")
    ]
    received = split(RICE_RECEIVED - RICE_FIRST_GIFT, RICE_DONORS - 1, rng, spread=0.8)
    extra = split(RICE_PLEDGED - RICE_RECEIVED, 40, rng)
    balance = dict.fromkeys(VILLAGES, 0)
    balance[VILLAGES[0]] += RICE_FIRST_GIFT
    for n in range(RICE_DONORS - 1):
        village = VILLAGES[min(int(rng.random() ** 0.7 * len(VILLAGES)), len(VILLAGES) - 1)]
        kind = rng.choices(("member", "unit", "anonymous"), weights=(70, 20, 10))[0]
        member = f"RICE-DONOR-{n + 2:04d}" if kind == "member" else ""
        if member:
            members.append([village, member, f"Peasant {n + 2} of {village[-2:]}"])
        day = (dt.date(1946, 11, 2) + dt.timedelta(days=int(n / RICE_DONORS * 55))).isoformat()
        quantity = received[n]
        pledged = quantity + (extra[n] if n < len(extra) else 0)
        donor_unit = village if kind == "unit" else ""
        for stage, amount in (("pledged", pledged), ("received", quantity)):
            gifts.append(
                [
                    "rice",
                    stage,
                    village,
                    amount,
                    day,
                    member,
                    donor_unit,
                    "",
                    "",
                    f"rice:{n}:{stage}",
                ]
            )
        balance[village] += quantity
    # Each village hands most of what it collected to the state grain reserve at year end.
    shares = proportional(RICE_DISTRIBUTED, [balance[v] for v in VILLAGES])
    gifts += [
        [
            "rice",
            "distributed",
            village,
            share,
            "1946-12-28",
            "",
            "",
            "State grain reserve",
            "",
            f"rice:distributed:{village}",
        ]
        for village, share in zip(VILLAGES, shares, strict=True)
        if share
    ]
    write_csv(f"{slug}.members.csv", ["unit", "external_id", "full_name"], members)
    write_csv(
        f"{slug}.donations.csv",
        [
            "item",
            "stage",
            "unit",
            "quantity",
            "day",
            "donor_member",
            "donor_unit",
            "recipient_name",
            "note",
            "idempotency_key",
        ],
        gifts,
    )


def war() -> None:
    rng = random.Random(SEED + 2)
    slug = "volunteers-1950"
    first = dt.date(1950, 6, 26)
    write_yaml(
        f"{slug}.yaml",
        "The volunteer call at the outbreak of war (1950). Generated by tools/demo_drive_data.py.",
        {
            "movements": [
                movement(
                    slug,
                    "Volunteers at the outbreak of war (1950)",
                    "Over 740,000 volunteered in a little more than ten days, over 230,000 of "
                    "them women. How they split between provinces and days is generated "
                    "(illustrative); they are entered as each station's daily tally.",
                    "KP",
                    first.isoformat(),
                    "1950-07-31",
                    volunteer_call={
                        "quota": 1_000_000,
                        "opens_at": f"{first.isoformat()}T00:00:00",
                        "closes_at": f"{(first + dt.timedelta(days=WAR_CALL_DAYS)).isoformat()}T00:00:00",
                        "asks_gender": True,
                    },
                )
            ]
        },
    )
    homes = [*PROVINCES, "KP"]
    weights = [3, 4, 3, 3, 3, 1]
    cells = []  # (day, home, persons)
    for offset, count in enumerate(split(WAR_CALL_TOTAL, WAR_CALL_DAYS, rng, spread=0.6)):
        day = (first + dt.timedelta(days=offset)).isoformat()
        shares = apportion(count, [w * 100 + rng.randint(0, 60) for w in weights])
        cells += [(day, home, n) for home, n in zip(homes, shares, strict=True)]
    women = proportional(WAR_CALL_WOMEN, [n for _d, _h, n in cells])
    rows = []
    for (day, home, n), w in zip(cells, women, strict=True):
        rows += [[home, day, "female", w], [home, day, "male", n - w]]
    write_csv(
        f"{slug}.signups.csv",
        ["unit", "signed_up_at", "gender", "tally"],
        [r for r in rows if r[3]],
    )


def youth() -> None:
    rng = random.Random(SEED + 3)
    slug = "youth-hard-sectors-1958"
    year = 1958
    write_yaml(
        f"{slug}.yaml",
        "The youth call for the hard sectors (1958). Generated by tools/demo_drive_data.py.",
        {
            "movements": [
                movement(
                    slug,
                    "Young volunteers for the hard sectors (1958)",
                    "Over 4,790 young people volunteered in one year for mines, construction and "
                    "reclamation. Places, sign-ups beyond the placements, and their months are "
                    "generated (illustrative).",
                    "KP",
                    f"{year}-01-01",
                    f"{year}-12-31",
                    volunteer_call={
                        "quota": 6_000,
                        "at_quota": "waitlist",
                        "opens_at": f"{year}-01-01T00:00:00",
                        "closes_at": f"{year + 1}-01-01T00:00:00",
                        "min_age": 17,
                        "max_age": 30,
                        "asks_gender": True,
                        "asks_age_band": True,
                        "roles": [
                            {"code": "miner", "name": "Miner"},
                            {"code": "builder", "name": "Builder"},
                            {"code": "farmhand", "name": "Farm hand"},
                        ],
                        "places": [
                            {"unit": code, "capacity": capacity, "role": role}
                            for code, _n, _p, role, capacity in WORKSITES
                        ],
                    },
                )
            ]
        },
    )
    place_of = {role: code for code, _n, _p, role, _c in WORKSITES}
    signups_by_month = split(YOUTH_SIGNUPS, 12, rng, spread=0.3)
    placed_by_month = split(YOUTH_PLACEMENTS, 12, rng, spread=0.3)
    n = 0
    signups, placements = [], []
    waiting: list[tuple[str, str]] = []
    due = 0
    for month in range(12):
        first = dt.datetime(year, month + 1, 1)
        for i in range(signups_by_month[month]):
            n += 1
            role = rng.choices(["miner", "builder", "farmhand"], [40, 37, 23])[0]
            at = first + dt.timedelta(seconds=3600 + i * 60)
            signups.append(
                [
                    f"youth:{n}",
                    rng.choice(COUNTIES),
                    f"Young volunteer {n}",
                    f"youth-{n}@1958.demo",
                    role,
                    rng.choices(["female", "male"], [35, 65])[0],
                    rng.randint(17, 30),
                    at.isoformat(timespec="minutes"),
                ]
            )
            waiting.append((f"youth:{n}", role))
        # Volunteers wait in signing-up order; each month places its share at its end (what
        # a month could not place, for want of volunteers, the next one does).
        due += placed_by_month[month]
        chosen, waiting = waiting[:due], waiting[due:]
        due -= len(chosen)
        last = dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)
        placements += [[key, place_of[role], last.isoformat()] for key, role in chosen]
    write_csv(
        f"{slug}.signups.csv.gz",
        [
            "idempotency_key",
            "unit",
            "full_name",
            "contact",
            "role",
            "gender",
            "age",
            "signed_up_at",
        ],
        signups,
    )
    write_csv(f"{slug}.placements.csv", ["signup", "place", "day"], placements)


def epidemic() -> None:
    rng = random.Random(SEED + 4)
    slug = "anti-epidemic-1951"
    first = dt.date(1951, 3, 1)
    write_yaml(
        f"{slug}.yaml",
        "The anti-epidemic emergency's daily enlistment (1951). Generated by\n"
        "tools/demo_drive_data.py.",
        {
            "movements": [
                movement(
                    slug,
                    "Anti-epidemic emergency: daily enlistment (1951)",
                    "Over 71,200 medical workers and 1,148,000 hygiene activists were enlisted "
                    "every day. The split between counties is generated (illustrative); every "
                    "county reported every day.",
                    "KP",
                    first.isoformat(),
                    (first + dt.timedelta(days=EPIDEMIC_DAYS - 1)).isoformat(),
                    enlistment={
                        "reporting_kind": "county",
                        "roles": [
                            {"code": "medical", "name": "Medical workers"},
                            {"code": "hygiene", "name": "Hygiene activists"},
                        ],
                    },
                )
            ]
        },
    )
    counties = [*COUNTIES, JAERYONG]
    rows = []
    for offset in range(EPIDEMIC_DAYS):
        day = (first + dt.timedelta(days=offset)).isoformat()
        medical = split(EPIDEMIC_MEDICAL, len(counties), rng, spread=0.4)
        hygiene = split(EPIDEMIC_HYGIENE, len(counties), rng, spread=0.4)
        rows += [[c, day, m, h] for c, m, h in zip(counties, medical, hygiene, strict=True)]
    write_csv(f"{slug}.enlistment.csv", ["unit", "day", "medical", "hygiene"], rows)


def flood() -> None:
    """Running around today: every date is written relative to the day of loading."""
    rng = random.Random(SEED + 5)
    slug = "flood-relief"
    write_yaml(
        f"{slug}.yaml",
        "A live example running around today: its dates count from the day it is loaded\n"
        "(today-6 …). Generated by tools/demo_drive_data.py.",
        {
            "movements": [
                movement(
                    slug,
                    "Flood relief (a live example)",
                    "A live example to try the drives with: give, volunteer, report the day's "
                    "enlistment. Everything in it is generated.",
                    "KP",
                    "today-6",
                    "today+60",
                    donation_drive={
                        "estimate_currency": "KPW",
                        "items": [
                            {"code": "rice", "name": "Rice", "unit_of_measure": "sacks"},
                            {"code": "blankets", "name": "Blankets", "unit_of_measure": "pieces"},
                            {
                                "code": "money",
                                "name": "Money",
                                "kind": "money",
                                "currency": "KPW",
                                "decimal_places": 2,
                            },
                        ],
                    },
                    volunteer_call={
                        "quota": 500,
                        "at_quota": "waitlist",
                        "opens_at": "today-6",
                        "closes_at": "today+30",
                        "min_age": 16,
                        "asks_gender": True,
                        "asks_age_band": True,
                        "roles": [
                            {"code": "rescue", "name": "Rescue brigade"},
                            {"code": "medic", "name": "First aid"},
                            {"code": "cook", "name": "Field kitchen"},
                        ],
                        "places": [{"unit": code, "capacity": 40} for code in COUNTIES[:6]],
                    },
                    enlistment={
                        "reporting_kind": "county",
                        "roles": [
                            {"code": "rescuers", "name": "Rescuers"},
                            {"code": "medics", "name": "Medics"},
                        ],
                    },
                )
            ]
        },
    )
    gifts = [("rice", rng.randint(5, 40)) for _ in range(20)]
    gifts += [("blankets", rng.randint(10, 100)) for _ in range(10)]
    gifts += [("money", f"{rng.randint(1000, 50000)}.00") for _ in range(5)]
    write_csv(
        f"{slug}.donations.csv",
        ["item", "stage", "unit", "quantity", "day", "donor_unit", "idempotency_key"],
        [
            [
                item,
                "received",
                rng.choice(COUNTIES[:10]),
                quantity,
                f"today-{6 - n % 6}",
                rng.choice(COUNTIES[10:20]) if n % 3 else "",
                f"flood:gift:{n}",
            ]
            for n, (item, quantity) in enumerate(gifts)
        ],
    )
    write_csv(
        f"{slug}.signups.csv",
        [
            "idempotency_key",
            "unit",
            "full_name",
            "contact",
            "role",
            "gender",
            "age",
            "signed_up_at",
        ],
        [
            [
                f"flood:{n}",
                rng.choice(COUNTIES),
                f"Flood volunteer {n}",
                f"flood-{n}@relief.demo",
                rng.choice(["rescue", "medic", "cook"]),
                rng.choice(["female", "male"]),
                rng.randint(16, 60),
                f"today-{6 - (n * 3) // 24}",
            ]
            for n in range(1, 41)
        ],
    )
    rows = []
    for offset in range(6):
        # Not every county reports every day: the pages show those days as missing.
        reporting = [c for c in [*COUNTIES, JAERYONG] if rng.random() < 0.85]
        rows += [
            [c, f"today-{6 - offset}", rng.randint(0, 400), rng.randint(0, 60)] for c in reporting
        ]
    write_csv(f"{slug}.enlistment.csv", ["unit", "day", "rescuers", "medics"], rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    units()
    rice()
    war()
    youth()
    epidemic()
    flood()


if __name__ == "__main__":
    main()
