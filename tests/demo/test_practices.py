"""The Pyongyang housing demo spreads practices between its (illustrative) construction sites:
a chain of three, adopted from site to site, loaded through import-practices; the sites
report nothing of their own, so the movement still reads 285.7% of the norm."""

from decimal import Decimal

from pacesetter.core.quantities import round_percent
from pacesetter.demo.movements import load_demo
from pacesetter.experience import selectors
from pacesetter.experience.models import Adoption, Practice
from pacesetter.figures.selectors import unit_figures
from pacesetter.movements.models import Movement

SLUG = "pyongyang-housing-1958"


def test_the_housing_practices_spread_and_the_figure_stays(demo):
    movement = Movement.objects.get(slug=SLUG)
    assert movement.status == Movement.Status.CLOSED
    (flats,) = unit_figures(unit=movement.organiser, movement=movement)
    assert round_percent(flats.fulfilment) == Decimal("285.7")
    assert flats.actual == Decimal(20000)
    first, second, third = Practice.objects.filter(movement=movement).order_by("pk")
    assert (first.key, second.adapted_from, third.adapted_from) == (
        "flow-line-assembly",
        first,
        second,
    )
    chain = selectors.chain_of(second)
    assert chain.sources == [first] and chain.adaptations == [third]
    assert chain.units_reached == 3  # the three sites, each publisher and adopter
    assert Adoption.objects.filter(practice__movement=movement).count() == 5
    assert "illustrative" in movement.call_text and "Illustrative" in first.text
    assert load_demo(drives=False, accounts=False).existing  # loading again adds nothing
    assert Practice.objects.filter(movement=movement).count() == 3
