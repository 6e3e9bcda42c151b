"""Write the daily reports of the demo's "learning after a model collective" movement:
src/pacesetter/demo/data/accounts/13-learning-after-a-model/reports.csv.

    python tools/demo_learning_data.py

Run once; the file is committed and loaded by `pacesetter import-reports` (the folder's
steps.yaml). Deterministic (seeded). Every quantity is illustrative: each factory makes parts
at its own daily rate with a little noise; the three that adopt the model's practice make a
fifth more from the day they adopt it, the three others about what they made before, so the
practice page's difference-in-differences has something to measure.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "src/pacesetter/demo/data/accounts/13-learning-after-a-model/reports.csv"
)
SLUG = "learning-after-a-model-1998"
SEED = 1998
FIRST, LAST = dt.date(1998, 4, 20), dt.date(1998, 6, 10)
# unit → (parts a day before, the day it adopted the model's practice or None)
FACTORIES = {
    "KP-CG-KUNJA": (130, None),  # the model collective
    "KP-CG-F1": (100, dt.date(1998, 5, 11)),
    "KP-CG-F2": (110, dt.date(1998, 5, 14)),
    "KP-CG-F3": (95, dt.date(1998, 5, 18)),
    "KP-CG-F4": (105, None),
    "KP-CG-F5": (90, None),
    "KP-CG-F6": (115, None),
}
LIFT = 1.2


def main() -> None:
    rng = random.Random(SEED)
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["unit", "indicator", "day", "quantity", "idempotency_key"])
        for unit, (rate, adopted_on) in FACTORIES.items():
            day = FIRST
            while day <= LAST:
                lifted = adopted_on is not None and day >= adopted_on
                quantity = round(rate * (LIFT if lifted else 1) + rng.uniform(-5, 5))
                key = f"demo:{SLUG}:{unit}:{day.isoformat()}"
                out.writerow([unit, "parts", day.isoformat(), quantity, key])
                day += dt.timedelta(days=1)


if __name__ == "__main__":
    main()
