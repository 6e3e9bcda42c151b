"""Write the report and verification files of the demo's honest-figures movement
(data/accounts/40-honest-figures/, issue 20).

    python tools/demo_honest_figures_data.py

Run once; the files it writes are committed, and `pacesetter demo` loads them through the
commands an organiser and a verifier run (the folder's steps.yaml). Deterministic (seeded),
so running it again writes the same bytes. The brickworks, its teams and every quantity are
illustrative, and the movement's call text says so.

Twelve moulding teams report the bricks they moulded each day of June 1958 (360 rows). Nine
report honestly: each makes 75–90 % of its rated capacity a day, give or take a little, and
none of them should trip a default flag. Three inflate, each in one way the flags are made
to catch:

- team 03 (rated 2,000 bricks a day) reports about 3,300 a day all month: over 1.5 times its
  rated capacity each day, though well inside the spread of the block;
- team 07 (rated 4,000 a day, one of its two kilns under repair until 20 June) reports about
  1,100 a day, honestly, and from 21 June about 3,600: more than 3 times its own trailing
  median, though under its capacity and inside the block's spread;
- team 11 (rated 5,000 a day, the strongest team, about 4,000 a day) reports about 7,000 on
  four days: far above the block that day (robust z past 3.5), though under 3 times its own
  median and under 1.5 times its capacity.

The verifications file (verifications.csv, decided by the organiser, who may verify) confirms
every honest report, corrects team 03's and team 11's inflated reports to what the kiln records
show, with the reason, and leaves team 07's ten jumped reports in the verification queue,
flagged and undecided: the movement ranks on verified figures, so they do not count in its
ranking while the raw figures still carry them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

FOLDER = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "pacesetter"
    / "demo"
    / "data"
    / "accounts"
    / "40-honest-figures"
)
SLUG = "honest-bricks-1958"
ENTERPRISE = "KP-NP-RYONGBUK-BR"
FIRST, DAYS = dt.date(1958, 6, 1), 30

# Team number → rated capacity in bricks a day (the plans' rated capacity is for the month).
CAPACITY = {
    1: 3000,
    2: 3500,
    3: 2000,
    4: 2500,
    5: 4000,
    6: 3000,
    7: 4000,
    8: 2500,
    9: 3500,
    10: 4500,
    11: 5000,
    12: 3000,
}
OVER_CAPACITY, JUMP, OUTLIER = 3, 7, 11
REPAIRED = dt.date(1958, 6, 21)  # team 07's second kiln back (honest: about twice as much)
OUTLIER_DAYS = {dt.date(1958, 6, d) for d in (8, 14, 19, 26)}


def team(number: int) -> str:
    return f"{ENTERPRISE}-{number:02d}"


def _round(value: float) -> int:
    """A day's count, never a round hundred (nobody moulds exactly 3,000 bricks)."""
    count = int(value)
    return count + 7 if count % 100 == 0 else count


def quantities() -> dict[tuple[int, dt.date], tuple[int, int]]:
    """(team, day) → (reported, true) bricks."""
    draw = random.Random(1958)
    found = {}
    share = {n: draw.uniform(0.78, 0.88) for n in CAPACITY}
    for offset in range(DAYS):
        day = FIRST + dt.timedelta(days=offset)
        for number, capacity in CAPACITY.items():
            true = _round(capacity * share[number] * draw.uniform(0.93, 1.07))
            reported = true
            if number == OVER_CAPACITY:
                reported = _round(capacity * draw.uniform(1.6, 1.72))
            elif number == JUMP:
                true = _round(1100 * draw.uniform(0.94, 1.06))
                if day >= REPAIRED:
                    true = _round(2 * 1100 * draw.uniform(0.95, 1.05))
                    reported = _round(3600 * draw.uniform(0.97, 1.05))
                else:
                    reported = true
            elif number == OUTLIER and day in OUTLIER_DAYS:
                reported = _round(7000 * draw.uniform(0.98, 1.04))
            found[(number, day)] = (reported, true)
    return found


def key(number: int, day: dt.date) -> str:
    return f"demo:{SLUG}:{team(number)}:{day}"


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


REASONS = {
    OVER_CAPACITY: "Kiln record for the day: {true} bricks drawn; the team's moulds hold "
    "2,000 a day, the report counted more than they can make.",
    OUTLIER: "Kiln record for the day: {true} bricks drawn; the report counted the next "
    "day's firing as well.",
}


def main() -> None:
    data = quantities()
    reports, decisions = [], []
    for (number, day), (reported, true) in sorted(data.items(), key=lambda i: (i[0][1], i[0][0])):
        reports.append([team(number), "bricks", day.isoformat(), reported, key(number, day)])
        if number == JUMP and day >= REPAIRED:
            continue  # left in the queue
        if reported == true:
            decisions.append([key(number, day), "confirm", "", ""])
        else:
            decisions.append(
                [key(number, day), "correct", true, REASONS[number].format(true=f"{true:,}")]
            )
    _write(
        FOLDER / "reports.csv",
        ["unit", "indicator", "day", "quantity", "idempotency_key"],
        reports,
    )
    _write(FOLDER / "verifications.csv", ["report", "decision", "quantity", "reason"], decisions)


if __name__ == "__main__":
    main()
