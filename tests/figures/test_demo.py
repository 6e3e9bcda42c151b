"""The demo reproduces the figures of the source accounts (BRIEF.md) exactly."""

import datetime as dt
from decimal import Decimal

import pytest

from pacesetter.core.quantities import round_percent
from pacesetter.demo.movements import load_demo
from pacesetter.figures.selectors import unit_figures
from pacesetter.ledger import aggregates
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return load_demo(drives=False)  # the drives demo is pinned in tests/drives/test_demo.py


def figures(slug):
    movement = Movement.objects.get(slug=slug)
    return unit_figures(unit=movement.organiser, movement=movement)[0]


def test_demo_figures(demo):
    assert round_percent(figures("first-national-plan-1947").fulfilment) == Decimal("102.5")
    assert round_percent(figures("kangson-blooming-mill-1957").capacity_utilisation) == Decimal(
        "200.0"
    )
    assert figures("kangson-blooming-mill-1957").actual == Decimal(120000)
    assert round_percent(figures("kim-chaek-blast-furnace-1957").capacity_utilisation) == Decimal(
        "142.1"
    )
    railway = figures("haeju-hasong-railway-1958")
    assert round_percent(railway.daily_assignment_rate) == Decimal("400.0")
    assert (railway.pace.met_on, railway.pace.met_on_day) == (dt.date(1958, 5, 14), 75)
    assert (
        railway.pace.days_ahead == Decimal(railway.pace.period_days - 75)
        and railway.pace.period_days > 3 * 365
    )
    assert round_percent(figures("pyongyang-housing-1958").fulfilment) == Decimal("285.7")
    grain = figures("grain-1947")
    assert grain.growth.absolute == Decimal(170000) and grain.plan.base_label == "1946 level"


def test_parent_shows_own_plan_and_the_sum_of_children(demo):
    national = figures("first-national-plan-1947")
    assert (national.plan.planned, national.children_planned) == (Decimal(100000), Decimal(100000))
    assert national.actual == Decimal(102500)


def test_demo_twice_changes_nothing(demo):
    count = Report.objects.count()
    again = load_demo(drives=False)
    assert again.created == [] and len(again.existing) == 6
    assert Report.objects.count() == count
    assert aggregates.rebuild() == []
    assert set(Movement.objects.values_list("status", flat=True)) == {"closed"}


def test_the_demo_login_is_data_applied_and_its_password_kept(demo, settings):
    """The demo login comes from data/people.yaml through `apply` (an audited create_user and
    grant_role), its password from `set-password`: no staff flag, organiser of the demo root,
    the password in var/demo_login.txt opens the account and survives a second load."""
    from django.contrib.auth import get_user_model

    from pacesetter.accounts.models import Grant
    from pacesetter.audit.models import AuditEvent

    user = get_user_model().objects.get(username="demo")
    assert (user.is_staff, user.is_superuser, user.first_name) == (False, False, "Demo organiser")
    assert [(g.role, g.unit.code) for g in Grant.objects.filter(user=user)] == [("organiser", "KP")]
    assert {"accounts.create_user", "accounts.grant_role", "accounts.set_password"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    login = (settings.VAR_DIR / "demo_login.txt").read_text().strip()
    assert demo.login == login and login.startswith("demo / ")
    assert user.check_password(login.removeprefix("demo / "))
    assert load_demo(drives=False).login == login
    user.refresh_from_db()
    assert user.check_password(login.removeprefix("demo / "))


def test_figures_command_json_gives_the_table_exactly(demo):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("figures", format="json", stdout=out)
    rows = {(r["movement"], r["unit"]): r for r in json.loads(out.getvalue())}
    assert rows[("first-national-plan-1947", "IND")]["fulfilment"] == "102.5"
    assert rows[("kangson-blooming-mill-1957", "KANGSON-BM")]["capacity_utilisation"] == "200.0"
    assert rows[("kim-chaek-blast-furnace-1957", "KIMCHAEK-BF")]["capacity_utilisation"] == "142.1"
    railway = rows[("haeju-hasong-railway-1958", "HAEJU-HASONG")]
    assert railway["daily_assignment_rate"] == "400.0"
    assert (
        railway["pace"]["met_on"],
        railway["pace"]["met_on_day"],
        railway["pace"]["period_days"],
    ) == ("1958-05-14", 75, 1096)
    assert rows[("pyongyang-housing-1958", "PY-HOUSING")]["fulfilment"] == "285.7"
    assert rows[("grain-1947", "KP")]["growth_absolute"] == "170000"
