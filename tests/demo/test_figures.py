"""The demo reproduces the figures of the source accounts (BRIEF.md) exactly."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min

from pacesetter.core.quantities import round_percent
from pacesetter.demo.movements import load_demo
from pacesetter.figures.selectors import unit_figures
from pacesetter.ledger import aggregates
from pacesetter.ledger.models import Report, ReportFlag
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit, UnitKind
from pacesetter.visits.models import UnitVisitYear, Visit
from pacesetter.visits.selectors import coverage


def figures(slug):
    movement = Movement.objects.get(slug=slug)
    return unit_figures(unit=movement.organiser, movement=movement)[0]


def test_the_history_is_flagged_only_where_its_figures_pass_the_rated_capacity(demo):
    """Imported decades after its days, every movement of the history turns the late flag off,
    as an organiser loading a paper ledger would (its setup file's `flag_rules:`); what stays
    flagged is what the accounts tell of: the blooming mill and the blast furnace working at
    twice and more their rated capacity, every month."""
    flagged = {
        (slug, kind): count
        for slug, kind, count in ReportFlag.objects.values("movement__slug", "kind")
        .annotate(count=Count("pk"))
        .values_list("movement__slug", "kind", "count")
    }
    assert flagged == {
        ("kangson-blooming-mill-1957", "over_capacity"): 12,
        ("kim-chaek-blast-furnace-1957", "over_capacity"): 12,
    }


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
    assert "field-guidance-visits" in demo.created
    count, visits = Report.objects.count(), Visit.objects.count()
    again = load_demo(drives=False, accounts=False)
    assert again.created == [] and len(again.existing) == 6
    assert Report.objects.count() == count and Visit.objects.count() == visits == 18_000
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
    assert load_demo(drives=False, accounts=False).login == login
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


def test_the_official_reached_over_14290_units(demo):
    """BRIEF.md: field guidance, "over 14,290 units visited" — one official's log, and the
    coverage of the root (read from the per-unit-and-year aggregate) shows it."""
    official = get_user_model().objects.get(username="field-guidance")
    reached = Visit.objects.filter(visitors__user=official).values("unit").distinct().count()
    assert reached == 14_320 > 14_290
    assert UnitVisitYear.objects.values("unit").distinct().count() == reached
    years = Visit.objects.aggregate(first=Min("visited_on"), last=Max("visited_on"))
    assert years["last"].year - years["first"].year >= 40
    root = Unit.objects.get(code="KP")
    shown = coverage(
        root,
        kind=UnitKind.objects.get(code="workplace"),
        start=dt.date(1945, 1, 1),
        end=dt.date(1994, 12, 31),
    )
    assert (shown.visited, shown.total) == (14_320, 14_500)
    assert len(shown.not_visited) == 180
