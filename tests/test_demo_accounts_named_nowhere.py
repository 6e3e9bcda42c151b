"""The movements of the accounts are data: no module outside the demo names one of them.

Each entry is a word or phrase the demo's folder of that movement uses (its slug, its name);
the product's features are general, so none of them appears in the product's code.
"""

from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"
DEMO = SOURCE / "pacesetter" / "demo"

# Added to by each movement of data/accounts/ (slug and distinctive names).
NAMED: list[str] = [
    "plowwoman-1951",
    "plowwoman",
    "arms-fund-1950",
    "minchong",
    "anti-illiteracy-1947",
    "illiteracy",
]


def test_no_module_outside_the_demo_names_a_movement_of_the_accounts():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        if DEMO in path.parents:
            continue
        text = path.read_text(encoding="utf-8").lower()
        offenders += [
            f"{path.relative_to(SOURCE)}: {name}" for name in NAMED if name.lower() in text
        ]
    assert offenders == []
