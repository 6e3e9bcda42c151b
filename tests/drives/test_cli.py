import json
from io import StringIO

from django.core.management import call_command

from pacesetter.drives import actions
from pacesetter.movements.selectors import movement_today
from tests.drives.conftest import person


def run(*args) -> str:
    out = StringIO()
    call_command("drives", *args, stdout=out)
    return out.getvalue()


def test_json_totals_of_every_drive(donation_drive, call, enlistment):
    actions.record_donations(
        drive=donation_drive,
        rows=[actions.DonationRow(item="rice", stage="received", unit="W1", quantity=30)],
    )
    actions.sign_up(call=call, rows=[person(1, role="medic", gender="female")])
    day = movement_today(enlistment.movement)
    actions.report_enlistment(
        drive=enlistment,
        rows=[actions.EnlistmentRow(unit="C1", day=day, counts={"medical": 2, "hygiene": 5})],
    )
    data = {d["movement"]: d for d in json.loads(run("--format", "json", "--post"))["drives"]}
    assert data["rice"]["donations"]["items"][0]["received"] == "30"
    assert data["volunteers"]["volunteers"]["signups"] == 1
    assert data["volunteers"]["volunteers"]["breakdowns"]["gender"] == {"female": 1}
    days = data["epidemic"]["enlistment"]["days"]
    today = next(d for d in days if d["day"] == day.isoformat())
    assert today["totals"] == {"medical": 2, "hygiene": 5} and today["coverage"] == "33.3"
    assert next(d for d in days if d["day"] != day.isoformat())["totals"] is None


def test_table_and_one_movement(enlistment):
    out = run("--movement", "epidemic")
    assert "Daily enlistment" in out and "missing" in out
