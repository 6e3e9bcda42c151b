"""The Pyongyang housing demo's reserves: material, time, energy and money saved, verified,
shown per kind on the reserves page — and not counted toward the flats, which still read
285.7% of the norm."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from pacesetter.core.quantities import round_percent
from pacesetter.demo.movements import load_demo
from pacesetter.figures.selectors import unit_figures
from pacesetter.ledger.models import Report
from pacesetter.movements.models import Movement
from pacesetter.reserves import selectors
from pacesetter.reserves.models import Reserve, ReserveEvent, ReserveLink, Status
from pacesetter.units.models import Unit

SLUG = "pyongyang-housing-1958"


def test_the_housing_reserves_are_verified_per_kind_and_do_not_count_toward_the_flats(
    demo, client, django_assert_max_num_queries
):
    movement = Movement.objects.get(slug=SLUG)
    flats = unit_figures(unit=movement.organiser, movement=movement)[0]
    assert round_percent(flats.fulfilment) == Decimal("285.7")
    assert not ReserveLink.objects.filter(movement=movement).exists()
    assert not Report.objects.filter(source=Report.Source.RESERVE).exists()
    verified = Reserve.objects.filter(movement=movement, status=Status.VERIFIED)
    assert {r.kind for r in verified} == {"material", "time", "energy", "money"}
    assert Reserve.objects.filter(movement=movement, status=Status.DECLINED).count() == 1
    unit = Unit.objects.get(code="PY-HOUSING")
    by_kind = {(k.kind, k.measure): k.verified_saving for k in selectors.savings_by_kind(unit)}
    assert by_kind[("material", "t of cement")] == Decimal(169000)
    assert by_kind[("money", "KPW")] == Decimal(65000000)
    figures = selectors.figures(unit)
    assert (figures.members_verified, figures.members_repeat) == (4, 2)
    # The file dates every step in 1958, at noon in Pyongyang: the events and the day each
    # reserve was verified (its title fact's day) read 1958, not the day of the load.
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    events = ReserveEvent.objects.filter(reserve__movement=movement)
    assert events.count() == 6 * 4 + 2
    assert {timezone.localtime(e.at, zone).year for e in events} == {1958}
    assert {timezone.localtime(e.at, zone).time() for e in events} == {dt.time(12)}
    cement = verified.get(import_key="pyh-cement")
    assert timezone.localtime(cement.verified_at, zone).date() == dt.date(1958, 6, 30)
    assert timezone.localtime(cement.proposed_at, zone).date() == dt.date(1958, 1, 20)
    client.force_login(_demo_user())
    with django_assert_max_num_queries(12):
        page = client.get("/units/PY-HOUSING/reserves/").content.decode()
    assert 'data-kind="time"' in page and "1,755,000" in page and "E+" not in page
    again = load_demo(drives=False, accounts=False)
    assert again.created == [] and Reserve.objects.filter(movement=movement).count() == 7


def _demo_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="demo")
