"""The `voice_topics:` section of a setup file: what voices are about, where each is answered
and in how many days, through voices' `set_topic` (as on the API).

    voice_topics:
      - code: housing
        name: Housing
        organiser: KP-PY          # the organising unit: voices of its subtree may take it
        movement: kiln-repair     # optional: a topic of one movement
        deadline_days: 7          # then escalated one level up
        route: ancestor           # unit (the default), ancestor or named
        route_kind: county        # for ancestor: the nearest unit of this kind
        route_unit: KP-PY-C       # for named: the unit that answers
        public: true              # resolved voices shown publicly, anonymised

A topic the database holds just so is left alone; a changed one is changed (its voices keep
where they were routed); topics the file does not name are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import MovementSetup, SetupReader, at
from pacesetter.setup.creating import step
from pacesetter.units.models import Unit
from pacesetter.voices import actions as voice_actions
from pacesetter.voices.models import Topic

TOPIC_KEYS = {
    "code": str,
    "name": str,
    "organiser": str,
    "movement": str,
    "deadline_days": int,
    "route": str,
    "route_kind": str,
    "route_unit": str,
    "public": bool,
}


@dataclass
class TopicSpec:
    place: str
    values: dict[str, Any]


def read_voice_topics(reader: SetupReader, node: yaml.Node, place: str = "voice_topics"):
    topics: list[TopicSpec] = []
    for number, item in enumerate(reader.items(node, place), start=1):
        here = f"{place}[{number}]"
        found = reader.mapping(item, here, set(TOPIC_KEYS))
        reader.required(item, found, here, ("code", "name", "organiser"))
        values = {
            name: reader.scalar(found[name], at(here, name), kind)
            for name, kind in TOPIC_KEYS.items()
            if name in found
        }
        topics.append(TopicSpec(here, values))
    return topics


def _same(topic: Topic, v: dict[str, Any]) -> bool:
    return (
        topic.name == v["name"]
        and topic.organiser.code == v["organiser"]
        and (topic.movement.slug if topic.movement_id else "") == v.get("movement", "")
        and topic.deadline_days == v.get("deadline_days", 14)
        and topic.route == v.get("route", "unit")
        and (topic.route_kind.code if topic.route_kind_id else "") == v.get("route_kind", "")
        and (topic.route_unit.code if topic.route_unit_id else "") == v.get("route_unit", "")
        and topic.public == v.get("public", False)
    )


def apply_voice_topics(topics: list[TopicSpec], *, lines: dict[str, int], changes: list[str]):
    """Make the listed topics what the file says, each through `set_topic` (which checks the
    acting person may organise at the organising unit, and audits it)."""
    setup = MovementSetup(lines=lines)
    existing = {
        t.code: t
        for t in Topic.objects.select_related(
            "organiser", "movement", "route_kind", "route_unit"
        ).filter(code__in=[s.values.get("code") for s in topics])
    }
    for spec in topics:
        v = {name: value for name, value in spec.values.items() if value is not None}
        topic = existing.get(v.get("code", ""))
        if topic is not None and _same(topic, v):
            continue

        def act(v=v):
            def unit(code: str, field: str) -> Unit:
                found = Unit.objects.filter(code=code).first()
                if found is None:
                    raise ValidationFailed(code, errors=[RowError(1, field, f"no unit {code!r}")])
                return found

            movement = None
            if v.get("movement"):
                movement = Movement.objects.filter(slug=v["movement"]).first()
                if movement is None:
                    raise ValidationFailed(
                        "movement", errors=[RowError(1, "movement", "no such movement")]
                    )
            return voice_actions.set_topic(
                code=v.get("code", ""),
                name=v.get("name", ""),
                organiser=unit(v.get("organiser", ""), "organiser"),
                movement=movement,
                deadline_days=v.get("deadline_days", 14),
                route=v.get("route", "unit"),
                route_kind=v.get("route_kind", ""),
                route_unit=unit(v["route_unit"], "route_unit") if v.get("route_unit") else None,
                public=v.get("public", False),
            )

        step(setup, spec.place, act, rows="", fields=None)
        changes.append(f"voice topic {v.get('code')}: {'changed' if topic else 'created'}")
