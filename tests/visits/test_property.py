"""After arbitrary visits, a unit's coverage counts exactly the units of the kind in its
subtree with a visit in the period (straight from the visits), and equals the sum of its
rows: its children's visited counts and its own."""

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.units.models import Unit, UnitKind
from pacesetter.visits import actions, selectors
from pacesetter.visits.models import Visit

CODES = ["KP", "P1", "C1", "W1", "W2", "C2", "W3", "P2", "C3", "W4"]
FIRST = dt.date(2023, 1, 1)
day = st.integers(0, 3 * 365).map(lambda n: FIRST + dt.timedelta(days=n))
visits = st.lists(st.tuples(st.sampled_from(CODES), day), max_size=14)
periods = st.tuples(day, st.integers(0, 500)).map(lambda p: (p[0], p[0] + dt.timedelta(p[1])))


@given(visits, periods)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_parent_counts_the_units_visited_in_its_subtree(units, made, period):
    start, end = period
    with transaction.atomic():
        if made:
            actions.record_visits(
                rows=[actions.VisitRow(code, d, "p", guest_names=["G"]) for code, d in made]
            )
        seen = set(
            Visit.objects.filter(visited_on__gte=start, visited_on__lte=end).values_list(
                "unit_id", flat=True
            )
        )
        for kind in UnitKind.objects.all():
            for unit in Unit.objects.all():
                result = selectors.coverage(unit, kind=kind, start=start, end=end)
                mine = [u.pk for u in Unit.objects.filter(path__startswith=unit.path, kind=kind)]
                assert result.visited == len([pk for pk in mine if pk in seen])
                assert result.total == len(mine)
                assert result.visited == sum(r.visited for r in result.rows)
                assert {u.pk for u in result.not_visited} == set(mine) - seen
        transaction.set_rollback(True)
