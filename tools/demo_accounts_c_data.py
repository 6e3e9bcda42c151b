"""Write the report files of the demo's movements 30–39 of data/accounts/ (issue 24, part c).

    python tools/demo_accounts_c_data.py

Run once; the files it writes are committed, and `pacesetter demo` loads them through the
commands an organiser runs (each folder's steps.yaml). Deterministic (a seeded generator per
movement that draws), so running it again writes the same bytes. What the accounts do not give (units,
days, quantities) is illustrative, and each movement's call text says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

ACCOUNTS = (
    Path(__file__).resolve().parent.parent / "src" / "pacesetter" / "demo" / "data" / "accounts"
)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def my_hill() -> None:
    """Six farms report each Saturday the ground lost on the hill each answers for (ha, one
    decimal), 1 April – 30 September 1961: 26 weeks, 156 rows. Four lose none; two lose some
    in the July rains (0.4 ha; 0.2 + 0.3 ha): 0.9 ha in all, four of six held their hill."""
    folder = ACCOUNTS / "30-my-hill"
    slug = "my-hill-1961"
    farms = [f"KP-NP-UNSAN-{n:02d}" for n in range(1, 7)]
    losses = {
        ("KP-NP-UNSAN-03", dt.date(1961, 7, 15)): "0.4",
        ("KP-NP-UNSAN-05", dt.date(1961, 7, 22)): "0.2",
        ("KP-NP-UNSAN-05", dt.date(1961, 8, 5)): "0.3",
    }
    first = dt.date(1961, 4, 1)  # a Saturday
    rows = []
    for week in range(26):
        day = first + dt.timedelta(weeks=week)
        for farm in farms:
            quantity = losses.get((farm, day), "0.0")
            rows.append(
                [farm, "ground-lost", day.isoformat(), quantity, f"demo:{slug}:{farm}:{day}"]
            )
    _write(
        folder / "reports.csv", ["unit", "indicator", "day", "quantity", "idempotency_key"], rows
    )


def speed_campaign() -> None:
    """Three workshops of a machine-tool plant, 1 July – 31 December 1959, with a 70-day
    campaign inside (1 August – 9 October) of its own plan and daily assignment. In the
    campaign each workshop reports every day; outside it, each Saturday the week's output."""
    folder = ACCOUNTS / "31-speed-campaign"
    slug = "speed-campaign-1959"
    draw = random.Random(1959)
    # Machine tools a day: in the campaign (low, high), and outside it.
    workshops = {
        "KP-NP-KUSONG-MT-1": ((9, 12), (5, 7)),
        "KP-NP-KUSONG-MT-2": ((6, 9), (4, 5)),
        "KP-NP-KUSONG-MT-3": ((5, 7), (3, 5)),
    }
    start, end = dt.date(1959, 7, 1), dt.date(1959, 12, 31)
    campaign = (dt.date(1959, 8, 1), dt.date(1959, 10, 9))
    rows = []
    day = start
    week: dict[str, int] = dict.fromkeys(workshops, 0)
    while day <= end:
        for code, (inside, outside) in workshops.items():
            if campaign[0] <= day <= campaign[1]:
                quantity = draw.randint(*inside)
                rows.append(
                    [code, "machine-tools", day.isoformat(), quantity, f"demo:{slug}:{code}:{day}"]
                )
            else:
                week[code] += draw.randint(*outside)
                # Saturday, or the last day before the campaign or of the movement.
                if day.weekday() == 5 or day in (campaign[0] - dt.timedelta(days=1), end):
                    rows.append(
                        [
                            code,
                            "machine-tools",
                            day.isoformat(),
                            week[code],
                            f"demo:{slug}:{code}:{day}",
                        ]
                    )
                    week[code] = 0
        day += dt.timedelta(days=1)
    _write(
        folder / "reports.csv", ["unit", "indicator", "day", "quantity", "idempotency_key"], rows
    )


def shock_brigade() -> None:
    """A railway division's coal shock brigade, formed from three of its units, digs coal
    every day of the first quarter of 1952 (reported on the brigade, 18–26 t a day); the
    engine depot goes on reporting the trains it hauls (2–5 a day): 182 rows."""
    folder = ACCOUNTS / "32-shock-brigade"
    slug = "shock-brigade-1952"
    draw = random.Random(1952)
    rows = []
    day, end = dt.date(1952, 1, 1), dt.date(1952, 3, 31)
    while day <= end:
        for code, indicator, low, high in (
            ("KP-NP-JONGJU-RW-SB", "coal", 18, 26),
            ("KP-NP-JONGJU-RW-1", "trains", 2, 5),
        ):
            key = f"demo:{slug}:{code}:{indicator}:{day}"
            rows.append([code, indicator, day.isoformat(), draw.randint(low, high), key])
        day += dt.timedelta(days=1)
    _write(
        folder / "reports.csv", ["unit", "indicator", "day", "quantity", "idempotency_key"], rows
    )


if __name__ == "__main__":
    my_hill()
    speed_campaign()
    shock_brigade()
