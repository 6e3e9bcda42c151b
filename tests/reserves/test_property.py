"""After arbitrary proposals and transitions (and a unit move), every unit's stored subtree
figures equal its own reserves' figures plus the sum of its children's."""

from collections import Counter, defaultdict
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.reserves import actions
from pacesetter.reserves.models import Reserve, ReserveTotal, Status
from pacesetter.units.actions import create_member, move_unit
from pacesetter.units.models import Member, Unit

CODES = ["KP", "P1", "C1", "W1", "W2", "C2", "W3", "P2", "C3", "W4"]
MEASURES = ["t of cement", "kWh", "hours"]
PATHS = [
    [],
    ["review"],
    ["accept"],
    ["review", "accept", "implement"],
    ["accept", "implement", "verify"],
    ["review", "accept", "implement", "verify"],
    ["decline"],
    ["review", "decline"],
    ["accept", "decline"],
]

reserve = st.tuples(
    st.sampled_from(CODES),
    st.sampled_from(MEASURES),
    st.integers(1, 500).map(lambda n: Decimal(n) / 10),
    st.integers(0, 300).map(lambda n: Decimal(n) / 10 + Decimal("0.1")),
    st.sampled_from(PATHS),
    st.integers(-1, 2),  # which member proposes (-1: none)
)
moves = st.sampled_from([None, ("C1", "P2"), ("W3", "C1"), ("C3", "P1")])


def _fresh(units):
    """Own figures per (unit id, measure), straight from the reserve rows."""
    own: dict = defaultdict(Counter)
    per_member: Counter = Counter()
    for r in Reserve.objects.select_related("member"):
        c = own[(r.unit_id, r.measure)]
        c["proposed"] += 1
        if r.status != Status.DECLINED:
            c["estimated_saving"] += r.estimated
        if r.status in (Status.IMPLEMENTED, Status.VERIFIED):
            c["implemented"] += 1
        if r.status == Status.VERIFIED:
            c["verified"] += 1
            c["verified_saving"] += r.verified
            if r.member_id:
                per_member[r.member] += 1
    for member, n in per_member.items():
        c = own[(member.unit_id, "")]
        c["members_verified"] += 1
        c["members_repeat"] += 1 if n > 1 else 0
    return own


COLUMNS = [
    "proposed",
    "implemented",
    "verified",
    "estimated_saving",
    "verified_saving",
    "members_verified",
    "members_repeat",
]


@given(st.lists(reserve, max_size=12), moves)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_subtree_figures_are_own_plus_children(units, reserves, move):
    with transaction.atomic():
        members = [create_member(unit=units[code], full_name=code) for code in ("W1", "W3", "C3")]
        for code, measure, estimated, verified, path, who in reserves:
            unit = units[code]
            member = members[who] if who >= 0 and members[who].unit.is_within(unit) else None
            r = actions.propose_reserve(
                unit=unit,
                kind="material",
                description="x",
                estimated=estimated,
                measure=measure,
                member=member,
            )
            for verb in path:
                if verb == "verify":
                    actions.verify_reserve(r, verified=verified, measure=measure)
                elif verb == "decline":
                    actions.decline_reserve(r, reason="no")
                else:
                    actions.ACTIONS[verb](r)
        if move:
            move_unit(
                unit=Unit.objects.get(code=move[0]), new_parent=Unit.objects.get(code=move[1])
            )
        own = _fresh(units)
        stored = {(t.unit_id, t.measure): t for t in ReserveTotal.objects.all()}
        tree = list(Unit.objects.all())
        children = defaultdict(list)
        for u in tree:
            children[u.parent_id].append(u.pk)
        for u in tree:
            for measure in ["", *MEASURES]:
                t = stored.get((u.pk, measure))
                for column in COLUMNS:
                    mine = getattr(t, column) if t else 0
                    below = sum(
                        getattr(stored[(c, measure)], column) if (c, measure) in stored else 0
                        for c in children[u.pk]
                    )
                    assert mine == own[(u.pk, measure)][column] + below, (u.code, measure, column)
        assert Member.objects.count() == 3
        transaction.set_rollback(True)
