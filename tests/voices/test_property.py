"""After arbitrary voices, steps, escalations (and a unit move), every unit's stored subtree
figures equal its own voices' figures plus the sum of its children's, and received is always
open + answered + resolved + declined."""

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacesetter.units.actions import move_unit
from pacesetter.units.models import Unit
from pacesetter.voices import actions, domain
from pacesetter.voices.models import Topic, Voice, VoiceTotal

CODES = ["KP", "P1", "C1", "W1", "W2", "C2", "W3", "P2", "C3", "W4"]
PATHS = [
    [],
    ["answer"],
    ["answer", "resolve"],
    ["answer", "confirm"],
    ["decline"],
    ["decline", "reopen"],
    ["answer", "reopen", "answer", "resolve"],
]
voice = st.tuples(st.sampled_from(CODES), st.booleans(), st.sampled_from(PATHS), st.booleans())
moves = st.sampled_from([None, ("C1", "P2"), ("W3", "C1"), ("C3", "P1")])
COLUMNS = ("received", "open", "overdue", "escalated", "answered", "resolved", "declined")


def _own() -> dict:
    own: dict = defaultdict(Counter)
    for v in Voice.objects.all():
        c = own[(v.unit_id, v.topic_id)]
        c["received"] += 1
        c[domain.column(v.status)] += 1
        c["overdue"] += 1 if v.overdue and v.status in domain.OPEN else 0
        c["escalated"] += v.escalations
    return own


def _do(v, verb):
    if verb == "answer":
        actions.answer_voice(v, answer="a")
    elif verb == "decline":
        actions.decline_voice(v, reason="r")
    else:
        actions.STEPS[verb](v)


@given(st.lists(voice, max_size=10), moves)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_subtree_figures_are_own_plus_children(units, voices, move):
    with transaction.atomic():
        topics = [
            actions.set_topic(code="a", name="A", organiser=units["KP"]),
            actions.set_topic(
                code="b", name="B", organiser=units["KP"], route="ancestor", route_kind="county"
            ),
        ]
        late = []
        for code, second, path, overdue in voices:
            v = actions.raise_voice(topic=topics[second], unit=units[code], subject="s", text="t")
            for verb in path:
                _do(v, verb)
            if overdue:
                late.append(v.pk)
        Voice.objects.filter(pk__in=late).update(due_at=timezone.now() - dt.timedelta(days=1))
        actions.escalate_overdue_voices()
        if move:
            move_unit(
                unit=Unit.objects.get(code=move[0]), new_parent=Unit.objects.get(code=move[1])
            )
        own = _own()
        stored = {(t.unit_id, t.topic_id): t for t in VoiceTotal.objects.all()}
        tree = list(Unit.objects.all())
        children = defaultdict(list)
        for u in tree:
            children[u.parent_id].append(u.pk)
        for u in tree:
            for topic in Topic.objects.all():
                t = stored.get((u.pk, topic.pk))
                for column in COLUMNS:
                    mine = getattr(t, column) if t else 0
                    below = sum(
                        getattr(stored[(c, topic.pk)], column) if (c, topic.pk) in stored else 0
                        for c in children[u.pk]
                    )
                    assert mine == own[(u.pk, topic.pk)][column] + below, (u.code, column)
                if t:
                    assert t.received == t.open + t.answered + t.resolved + t.declined
        transaction.set_rollback(True)
