"""The demo24b movements of the accounts (issue 24), each loaded alone from its folder of
data, with its headline figure pinned as `pacesetter drives|figures --format json` prints it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from pacesetter.demo.accounts import load_accounts


def drives_json(slug: str) -> dict:
    out = StringIO()
    call_command("drives", "--movement", slug, "--format", "json", stdout=out)
    (drive,) = json.loads(out.getvalue())["drives"]
    return drive


@pytest.mark.django_db
def test_plowwoman_placements_per_county_and_by_sex():
    slug = "plowwoman-1951"
    assert load_accounts(only=frozenset({slug})).created == [slug]
    call = drives_json(slug)["volunteers"]
    assert (call["signups"], call["placed"]) == (320, 256)
    assert call["breakdowns"]["gender"] == {"female": 288, "male": 32}
    per_county: dict[str, int] = {}
    for place in call["places"]:
        per_county[place["unit"]] = per_county.get(place["unit"], 0) + place["placed"]
    assert per_county == {
        "KP-SH-ANAK": 66,
        "KP-SH-SINCHON": 56,
        "KP-SH-UNNYUL": 42,
        "KP-NP-RYONGCHON": 50,
        "KP-NP-YOMJU": 42,
    }
    # Loading again leaves the closed movement as it is.
    assert load_accounts(only=frozenset({slug})).existing == [slug]
