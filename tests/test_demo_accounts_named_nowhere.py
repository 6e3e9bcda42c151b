"""The movements of the accounts are data: no module outside the demo names one of them.

Each entry is a word or phrase the demo's folder of that movement uses (its slug, its name);
the product's features are general, so none of them appears in the product's code.
"""

from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"
DEMO = SOURCE / "pacesetter" / "demo"

# Added to by each movement of data/accounts/ (slug and distinctive names).
NAMED: list[str] = [
    "model-county-afforestation",  # demo24a: 10-model-county
    "model county in afforestation",  # demo24a: 10-model-county
    "three-revolution-red-flag",  # demo24a: 11-three-revolution-red-flag
    "three-revolution red flag",  # demo24a: 11-three-revolution-red-flag
    "model-innovation-unit",  # demo24a: 12-model-innovation-unit
    "model technical innovation unit",  # demo24a: 12-model-innovation-unit
    "learning-after-a-model",  # demo24a: 13-learning-after-a-model
    "kunja-ri",  # demo24a: 13-learning-after-a-model
    "kanggye spirit",  # demo24a: 13-learning-after-a-model
    "my-hill-1961",  # "My Hill"
    "My Hill",
    "Unsan",
    "speed-campaign-1959",  # Chollima speed with its 70-day campaign
    "Kusong",
    "shock-brigade-1952",  # the Jongju engine workers' shock brigade
    "Jongju",
    "plowwoman-1951",
    "plowwoman",
    "arms-fund-1950",
    "minchong",
    "anti-illiteracy-1947",
    "illiteracy",
    "honest-bricks-1958",  # honest figures at the Ryongbuk brickworks (issue 20)
    "Ryongbuk",
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
