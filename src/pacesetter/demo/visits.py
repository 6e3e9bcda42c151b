"""The demo's field guidance (BRIEF.md's figures table: "over 14,290 units visited"), as
data: `data/visits/units.csv.gz` (100 counties of 145 workplaces under the history's
provinces) and `data/visits/log.csv.gz` (one official's visits, 1945–1994, reaching 14,320
distinct workplaces), both written once by tools/demo_visit_data.py and loaded through
`import-units` and `import-visits`. The coverage page of the root (units of kind workplace,
1945–1994) shows them; the official is `field-guidance` of data/people.yaml.

Loading is idempotent: every visit carries a fixed key, and a log already loaded (its last
key present) is not read again.
"""

from __future__ import annotations

from pathlib import Path

from pacesetter.visits.models import Visit

from .drives import run_command

DATA = Path(__file__).resolve().parent / "data" / "visits"
UNITS = DATA / "units.csv.gz"
LOG = DATA / "log.csv.gz"
LAST_KEY = "fg-18000"


def load_visit_log() -> bool:
    """Import the units and the log unless the log is there; True when it was loaded now."""
    if Visit.objects.filter(key__endswith=f"\x1f{LAST_KEY}").exists():
        return False
    run_command("import_units", str(UNITS))
    run_command("import_visits", str(LOG))
    return True
