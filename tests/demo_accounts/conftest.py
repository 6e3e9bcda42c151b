"""Loading one movement of the accounts at a time, on the demo tree and as the demo login."""

import json

import pytest
from django.contrib.auth import get_user_model

from pacesetter.demo.accounts import load_accounts
from pacesetter.demo.drives import run_command
from pacesetter.demo.movements import DEMO_USERNAME, HISTORY, PEOPLE


@pytest.fixture
def load_movements(db):
    """Apply the demo's tree and login, then load the named movements of data/accounts/."""

    def load(*slugs: str):
        run_command("apply", str(HISTORY))
        run_command("apply", str(PEOPLE))
        user = get_user_model().objects.get(username=DEMO_USERNAME)
        return load_accounts(user, only=frozenset(slugs))

    return load


def figures_json(slug: str) -> list[dict]:
    """What `pacesetter figures --movement SLUG --format json` prints."""
    return json.loads(run_command("figures", "--movement", slug, "--format", "json"))


def figure(slug: str, unit: str, indicator: str) -> dict:
    return next(
        row for row in figures_json(slug) if row["unit"] == unit and row["indicator"] == indicator
    )
