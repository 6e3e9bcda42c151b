"""Write the demo's field-guidance visit log as data: src/pacesetter/demo/data/visits/.

    python tools/demo_visit_data.py

Run once; the files it writes are committed, and `pacesetter demo` loads them through the
commands a person runs (`apply`, `import-units`, `import-visits`). Deterministic (seeded; the
.gz headers carry no time stamp), so running it again writes the same bytes.

BRIEF.md's figures table: "field guidance — over 14,290 units visited — a visit log and its
coverage". The account gives the count, not the units or the days: the tree (100 counties of
145 workplaces each under the history's provinces and Pyongyang) and the log (one official,
1945–1994, 14,320 distinct workplaces, some visited again) are generated, and the purposes
say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "pacesetter" / "demo" / "data" / "visits"
SEED = 14290
REGIONS = {
    "KP-PY": "Pyongyang",
    "KP-SP": "South Phyongan",
    "KP-NH": "North Hamgyong",
    "KP-SH": "South Hwanghae",
    "KP-NP": "North Phyongan",
}
COUNTIES = 20  # per region
WORKPLACES = 145  # per county: 14,500 in all
VISITED = 14_320  # distinct workplaces in the log (over 14,290)
REVISITS = 3_680  # further visits to some of them: 18,000 rows
FIRST, LAST = dt.date(1945, 1, 1), dt.date(1994, 6, 30)
OFFICIAL = "field-guidance"  # a user of data/people.yaml


def write_gz(path: Path, header: list[str], rows: list[list]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.getvalue().encode("utf-8"))


def main() -> None:
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    units, workplaces = [], []
    for region, region_name in REGIONS.items():
        for c in range(1, COUNTIES + 1):
            county = f"{region}-FG{c:02d}"
            units.append([county, f"{region_name} county {c:02d}", "county", region, 20000])
            for w in range(1, WORKPLACES + 1):
                code = f"{county}-{w:03d}"
                units.append(
                    [code, f"{region_name} {c:02d} workplace {w:03d}", "workplace", county, 120]
                )
                workplaces.append(code)
    write_gz(OUT / "units.csv.gz", ["code", "name", "kind", "parent_code", "headcount"], units)
    visited = rng.sample(workplaces, VISITED)
    targets = visited + [rng.choice(visited) for _ in range(REVISITS)]
    span = (LAST - FIRST).days
    days = sorted(FIRST + dt.timedelta(days=rng.randrange(span + 1)) for _ in targets)
    rng.shuffle(targets)
    rows = [
        [f"fg-{n:05d}", unit, day.isoformat(), "Field guidance (generated)", OFFICIAL]
        for n, (unit, day) in enumerate(zip(targets, days, strict=True), start=1)
    ]
    write_gz(OUT / "log.csv.gz", ["key", "unit", "visited_on", "purpose", "visitors"], rows)


if __name__ == "__main__":
    main()
