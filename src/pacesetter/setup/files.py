"""Setup files: a body's units, blocks and movements as one YAML document, applied
declaratively (`pacesetter apply`) and written back out (`pacesetter export`).

    units:
      - {code: BT, name: Brickworks, kind: enterprise, parent: KP, headcount: 120}
    blocks:
      - {code: kiln-teams, name: Kiln teams, units: [BT-N, BT-S]}
    movements:
      - slug: kiln-repair         # each as `create-movement` takes it, with its plans
        …
    people:                       # who signs in and their roles (`setup.people`)
      - {username: amina, name: Amina Diallo, grants: [{role: organiser, unit: BT}]}

Applying is idempotent: what the file says and the database holds already is left alone, so
applying a file twice changes nothing the second time, and a changed file changes only what
changed. Everything goes through the apps' actions (each checks the acting person's rights and
writes its audit row) in one transaction; any refusal rolls the whole file back. With a dry
run the same happens and is then rolled back: the plan of changes is what would happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from django.db import transaction
from django.utils.text import slugify

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.emulation import actions as emulation_actions
from pacesetter.emulation.models import Scoring
from pacesetter.movements import actions as movement_actions
from pacesetter.movements import period_series
from pacesetter.movements.models import Movement, Plan
from pacesetter.movements.plan_files import apply_plans
from pacesetter.movements.setup_file import (
    INDICATOR_KEYS,
    MovementSetup,
    SetupProblem,
    SetupReader,
    at,
    raise_problems,
)
from pacesetter.setup.challenges import challenges_document, propose_challenges
from pacesetter.setup.creating import (
    Refused,
    create_from_setup,
    create_rankings,
    step,
)
from pacesetter.setup.drives import apply_drives, drive_documents, drive_indicator_ids
from pacesetter.setup.flag_rules import apply_flag_rules, flag_rules_document
from pacesetter.setup.people import PersonSpec, apply_people, people_document, read_people
from pacesetter.setup.reserve_links import apply_reserve_links, reserve_links_document
from pacesetter.setup.secondments import apply_secondments, secondments_document
from pacesetter.setup.voices import TopicSpec, apply_voice_topics, read_voice_topics
from pacesetter.units import actions as unit_actions
from pacesetter.units.actions import UnitRow
from pacesetter.units.models import Block, Unit

DOCUMENT_KEYS = {"units", "blocks", "movements", "people", "voice_topics"}
UNIT_KEYS = {"code": str, "name": str, "kind": str, "parent": str, "headcount": int}
# Fixed once a movement is created: its periods and every figure kept hang on them.
FIXED = ("starts_on", "ends_on", "time_zone")


@dataclass
class Document:
    units: list[UnitRow] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    movements: list[MovementSetup] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    voice_topics: list[TopicSpec] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


def read_document(text: str) -> Document:
    """The whole file, or ValidationFailed naming every problem by line and place."""
    reader = SetupReader()
    document = Document(lines=reader.lines)
    root = reader.compose(text)
    if root is not None:
        parts = reader.mapping(root, "", DOCUMENT_KEYS)
        for number, item in enumerate(
            reader.items(parts["units"], "units") if "units" in parts else [], start=1
        ):
            place = f"units[{number}]"
            found = reader.mapping(item, place, set(UNIT_KEYS))
            reader.required(item, found, place, ("code", "name", "kind"))
            values = {
                name: reader.scalar(found[name], at(place, name), kind)
                for name, kind in UNIT_KEYS.items()
                if name in found
            }
            document.units.append(
                UnitRow(
                    code=values.get("code") or "",
                    name=values.get("name") or "",
                    kind=values.get("kind") or "",
                    parent_code=values.get("parent") or "",
                    headcount=values.get("headcount") or 0,
                )
            )
        if "blocks" in parts:
            document.blocks = reader.blocks(parts["blocks"], "blocks")
        for number, item in enumerate(
            reader.items(parts["movements"], "movements") if "movements" in parts else [], start=1
        ):
            document.movements.append(reader.movement(item, f"movements[{number}]"))
        if "people" in parts:
            document.people = read_people(reader, parts["people"])
        if "voice_topics" in parts:  # `setup.voices`
            document.voice_topics = read_voice_topics(reader, parts["voice_topics"])
    raise_problems(reader.problems, outcome="nothing was changed")
    return document


class _DryRun(Exception):
    pass


def apply_document(document: Document, *, dry_run: bool = False) -> list[str]:
    """Make the database hold what the document says; return the changes made (with
    `dry_run`: the changes it would make, none kept). All or nothing."""
    changes: list[str] = []
    try:
        with transaction.atomic():
            _apply_units(document, changes)
            _apply_blocks(document.blocks, "blocks", document.lines, changes)
            for setup in document.movements:
                _apply_movement(setup, changes)
            apply_people(
                document.people,
                unit_codes={row.code for row in document.units},
                lines=document.lines,
                changes=changes,
                dry_run=dry_run,
            )
            apply_voice_topics(document.voice_topics, lines=document.lines, changes=changes)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except Refused as refused:
        raise_problems(refused.problems, outcome="nothing was changed")
    return changes


def _refuse(lines: dict[str, int], place: str, message: str) -> None:
    raise Refused([SetupProblem(lines.get(place, 1), place, message)])


def _run(lines: dict[str, int], place: str, act, *, rows: str = "", fields: dict | None = None):
    """Run an action; its refusal is named by the file's place (a row error by its row)."""
    return step(MovementSetup(lines=lines), place, act, rows=rows, fields=fields)


def _apply_units(document: Document, changes: list[str]) -> None:
    if not document.units:
        return
    existing = {
        u.code: u
        for u in Unit.objects.filter(code__in=[r.code for r in document.units]).select_related(
            "parent", "kind"
        )
    }
    for row in document.units:
        unit = existing.get(row.code)
        if unit is None:
            changes.append(f"create unit {row.code} ({row.name})")
            continue
        now = {
            "name": unit.name,
            "kind": unit.kind.code if unit.kind_id else "",
            "parent": unit.parent.code if unit.parent else "",
            "headcount": unit.headcount,
        }
        wanted = {
            "name": row.name,
            "kind": row.kind,
            "parent": row.parent_code,
            "headcount": int(row.headcount),
        }
        changed = [f"{k} {now[k]!r} → {v!r}" for k, v in wanted.items() if now[k] != v]
        if changed:
            changes.append(f"change unit {row.code}: {', '.join(changed)}")
    _run(
        document.lines,
        "units",
        lambda: unit_actions.import_units(rows=document.units),
        rows="units",
        fields={"parent_code": "parent"},
    )


def _apply_blocks(
    blocks: list[dict[str, Any]], place: str, lines: dict[str, int], changes: list[str]
) -> None:
    actor = current_actor()
    existing = {b.code: b for b in Block.objects.filter(code__in=[b["code"] for b in blocks])}
    for number, spec in enumerate(blocks, start=1):
        here = f"{place}[{number}]"
        members = {u.code: u for u in Unit.objects.filter(code__in=spec["units"])}
        for code in spec["units"]:
            unit = members.get(code)
            if unit is None or not can(actor, Capability.VIEW, unit):
                _refuse(lines, at(here, "units"), f"no unit with code {code!r}")
            if not can(actor, Capability.MANAGE_UNITS, unit):
                _refuse(lines, at(here, "units"), f"you may not manage units under {code}")
        block = existing.get(spec["code"])
        if block is None:
            changes.append(f"create block {spec['code']} of {len(members)} units")
            _run(
                lines,
                here,
                lambda spec=spec, members=members: unit_actions.create_block(
                    code=spec["code"],
                    name=spec["name"],
                    description=spec.get("description") or "",
                    units=list(members.values()),
                ),
            )
            continue
        if block.name != spec["name"] or block.description != (spec.get("description") or ""):
            changes.append(f"change block {block.code}: name or description")
            _run(
                lines,
                here,
                lambda block=block, spec=spec: unit_actions.update_block(
                    block=block, name=spec["name"], description=spec.get("description") or ""
                ),
            )
        now = set(block.units.values_list("code", flat=True))
        if now != set(members):
            added, removed = sorted(set(members) - now), sorted(now - set(members))
            changes.append(
                f"change block {block.code}: "
                + "; ".join(
                    part
                    for part in (
                        f"add {', '.join(added)}" if added else "",
                        f"remove {', '.join(removed)}" if removed else "",
                    )
                    if part
                )
            )
            _run(
                lines,
                here,
                lambda block=block, members=members: unit_actions.set_block_units(
                    block=block, units=list(members.values())
                ),
            )


def _apply_movement(setup: MovementSetup, changes: list[str]) -> None:
    values, prefix, lines = setup.values, setup.prefix, setup.lines
    slug = values.get("slug") or slugify(values.get("title") or "")[:80]
    movement = Movement.objects.filter(slug=slug).select_related("organiser").first()
    if movement is None:
        created = create_from_setup(setup)
        changes.append(
            f"create movement {created.movement.slug}: {len(created.indicators)} indicators, "
            f"{created.periods} periods, {len(setup.plans)} plans"
            + (", launched" if setup.launch else "")
        )
        changes.extend(created.challenges)
        return
    scope = list(movement.scope.all()) or [movement.organiser]
    if not all(can(current_actor(), Capability.ORGANISE, unit) for unit in scope):
        _refuse(lines, at(prefix, "slug"), f"you may not organise movement {slug!r}")
    wanted_scope = set(values.get("scope") or [values.get("organiser")])
    fixed = {name: (getattr(movement, name), values[name]) for name in FIXED if name in values}
    fixed["organiser"] = (movement.organiser.code, values.get("organiser"))
    fixed["scope"] = (sorted(u.code for u in scope), sorted(wanted_scope))
    for name, (now, wanted) in fixed.items():
        if now != wanted:
            _refuse(lines, at(prefix, name), f"cannot change once created ({now} → {wanted})")
    said = {
        k: values[k]
        for k in ("title", "call_text", "is_public", "rank_on_verified", "titles_on_verified")
        if k in values
    }
    differ = {k: v for k, v in said.items() if getattr(movement, k) != v}
    if differ:
        changes.append(f"change movement {slug}: {', '.join(sorted(differ))}")
        movement = _run(
            lines, prefix, lambda: movement_actions.update_movement(movement=movement, **differ)
        )
    _apply_indicators(setup, movement, changes)
    _apply_periods(setup, movement, changes)
    apply_drives(setup, movement, changes)
    _apply_blocks(setup.blocks, at(prefix, "blocks"), lines, changes)
    if setup.plans and _plans_differ(movement, setup.plans):
        planned = _run(
            lines,
            prefix,
            lambda: apply_plans(movement=movement, rows=setup.plans),
            rows="plans",
            fields={"unit_code": "unit"},
        )
        for change in [*planned.created, *planned.changed]:
            verb = "set" if change.before is None else "change"
            changes.append(f"{verb} plan of {change.unit} on {change.indicator} ({change.period})")
    _apply_rankings(setup, movement, changes)
    if setup.launch and movement.status == Movement.Status.DRAFT:
        changes.append(f"launch movement {slug}")
        _run(lines, prefix, lambda: movement_actions.launch_movement(movement=movement))
    changes.extend(propose_challenges(setup, movement))
    changes.extend(apply_reserve_links(setup, movement))
    changes.extend(apply_secondments(setup, movement))
    changes.extend(apply_flag_rules(setup, movement))


def _plans_differ(movement: Movement, rows: list) -> bool:
    """Whether setting these plans would change any: a file that says what is stored leaves
    the plans alone (a closed movement's too, which takes no change)."""

    def number(value: object) -> Decimal | None:
        text = str(value or "").strip()
        return Decimal(text) if text else None

    stored = {
        (row["unit"], row["indicator"], row.get("period", "")): row
        for row in movement_plans(movement)
    }
    whole = movement.periods.get(is_whole=True).name
    for plan in rows:
        period = "" if plan.period in ("", whole) else plan.period
        have = stored.get((plan.unit_code, plan.indicator, period))
        if have is None:
            return True
        try:
            for name in ("planned", "rated_capacity", "daily_assignment", "base"):
                if number(getattr(plan, name)) != number(have.get(name)):
                    return True
        except ArithmeticError:
            return True  # not a number: set_plans names the row
        if (plan.base_label or "") != have.get("base_label", ""):
            return True
        if (plan.note or "") != have.get("note", ""):
            return True
    return False


def _ranking_document(scoring: Scoring) -> dict[str, Any]:
    return {
        "code": scoring.code,
        "name": scoring.name,
        "block": scoring.block.code,
        "components": [
            {
                "indicator": component.indicator.code,
                "normalisation": component.normalisation,
                "weight": str(component.weight.normalize()),
            }
            for component in scoring.components.all()
        ],
    }


def _same_ranking(stored: dict[str, Any], spec: dict[str, Any]) -> bool:
    def components(items: list[dict[str, Any]]) -> list[tuple]:
        return [
            (c["indicator"], c.get("normalisation") or "raw", Decimal(str(c.get("weight") or 1)))
            for c in items
        ]

    return (stored["name"], stored["block"]) == (spec.get("name"), spec.get("block")) and (
        components(stored["components"]) == components(spec.get("components") or [])
    )


def _apply_rankings(setup: MovementSetup, movement: Movement, changes: list[str]) -> None:
    """A ranking the file names and the movement lacks is made; one it has is renamed, or
    (while a draft) changed, to what the file says; a live ranking missing from the file's
    `rankings:` list (when it gives one) is retired. A retired code stays retired."""
    scorings = {
        s.code: s
        for s in movement.scorings.select_related("block").prefetch_related("components__indicator")
    }
    for number, spec in enumerate(setup.rankings, start=1):
        place = at(setup.prefix, f"rankings[{number}]")
        scoring = scorings.get(spec.get("code"))
        if scoring is None:
            changes.append(f"add ranking {spec.get('code')} of block {spec.get('block')}")
            continue
        if scoring.retired_at is not None:
            _refuse(
                setup.lines,
                at(place, "code"),
                f"the ranking {scoring.code!r} was retired (its code stays with its record);"
                " give the new one another code",
            )
        have = _ranking_document(scoring)
        if have["block"] != spec.get("block"):
            _refuse(
                setup.lines,
                at(place, "block"),
                "a ranking's block cannot change (its standings were kept by it); retire it"
                " and give the new one another code",
            )
        if _same_ranking(have, spec):
            continue
        same_parts = _same_ranking(have, {**spec, "name": have["name"]})
        changes.append(
            f"change ranking {scoring.code}: "
            + ", ".join(
                part
                for part, differs in (
                    ("name", have["name"] != spec.get("name")),
                    ("components", not same_parts),
                )
                if differs
            )
        )
        _run(
            setup.lines,
            place,
            lambda scoring=scoring, spec=spec, same_parts=same_parts: (
                emulation_actions.update_scoring(
                    scoring=scoring,
                    name=spec.get("name"),
                    components=None
                    if same_parts
                    else [emulation_actions.ComponentSpec(**c) for c in spec["components"]],
                )
            ),
        )
    if at(setup.prefix, "rankings") in setup.lines:
        named = {spec.get("code") for spec in setup.rankings}
        for code, scoring in scorings.items():
            if scoring.retired_at is None and code not in named:
                changes.append(f"retire ranking {code}")
                _run(
                    setup.lines,
                    at(setup.prefix, "rankings"),
                    lambda scoring=scoring: emulation_actions.retire_scoring(scoring=scoring),
                )
    create_rankings(setup, movement)


def _apply_indicators(setup: MovementSetup, movement: Movement, changes: list[str]) -> None:
    existing = {i.code: i for i in movement.indicators.all()}
    for number, spec in enumerate(setup.indicators, start=1):
        place = at(setup.prefix, f"indicators[{number}]")
        indicator = existing.get(spec["code"])
        if indicator is None:
            changes.append(f"add indicator {spec['code']} to {movement.slug}")
            _run(
                setup.lines,
                place,
                lambda spec=spec: movement_actions.add_indicator(movement=movement, **spec),
            )
            continue
        stored = {name: getattr(indicator, name) for name in INDICATOR_KEYS}
        differ = [f"{k} {stored[k]!r} → {v!r}" for k, v in spec.items() if stored[k] != v]
        if differ:
            _refuse(
                setup.lines,
                place,
                f"an indicator cannot change once created ({', '.join(differ)})",
            )


def _apply_periods(setup: MovementSetup, movement: Movement, changes: list[str]) -> None:
    existing = {(p.starts_on, p.ends_on): p for p in movement.periods.all() if not p.is_whole}
    if setup.every:
        # The series is kept where it exists; only its missing periods are made (a launched
        # movement refuses them, by its line).
        whole = movement.periods.get(is_whole=True)
        have = {*existing, (whole.starts_on, whole.ends_on)}
        missing = [
            p
            for p in period_series.series(movement.starts_on, movement.ends_on, **setup.every)
            if (p.starts_on, p.ends_on) not in have
        ]
        if missing:
            _run(
                setup.lines,
                at(setup.prefix, "periods"),
                lambda: movement_actions.generate_periods(movement=movement, **setup.every),
            )
            changes.append(
                f"add {len(missing)} periods every {setup.every['every']} to {movement.slug}"
            )
        return
    for number, spec in enumerate(setup.periods, start=1):
        place = at(setup.prefix, f"periods[{number}]")
        period = existing.get((spec.get("starts_on"), spec.get("ends_on")))
        if period is None:
            changes.append(f"add period {spec.get('name')} to {movement.slug}")
            _run(
                setup.lines,
                place,
                lambda spec=spec: movement_actions.add_period(movement=movement, **spec),
            )
        elif period.name != spec.get("name"):
            _refuse(
                setup.lines,
                at(place, "name"),
                f"a period cannot be renamed ({period.name!r} → {spec.get('name')!r})",
            )


# ─── export ───


def export_movement(movement: Movement, *, people: bool = False) -> str:
    """The setup file that recreates the movement: the units from the roots down to its scope
    and the whole scope below, the blocks among them, the movement with its indicators,
    periods and plans (with `people`, also who holds a standing role on those units).
    Applied to an empty database and followed by its reports, it gives the same figures."""
    scope = list(movement.scope.all()) or [movement.organiser]
    ids = {movement.organiser.pk}
    for unit in [movement.organiser, *scope]:
        ids.update(unit.lineage_ids)
    prefixes = [unit.path for unit in scope]
    units = [
        u
        for u in Unit.objects.select_related("parent", "kind").order_by("depth", "path")
        if u.pk in ids or any(u.path.startswith(p) for p in prefixes)
    ]
    codes = {u.code for u in units}
    blocks = [
        b
        for b in Block.objects.prefetch_related("units").order_by("code")
        if {u.code for u in b.units.all()} & codes
    ]
    document = {
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "kind": u.kind.code,
                **({"parent": u.parent.code} if u.parent else {}),
                "headcount": u.headcount,
            }
            for u in units
        ],
        "blocks": [
            {
                "code": b.code,
                "name": b.name,
                **({"description": b.description} if b.description else {}),
                "units": sorted(u.code for u in b.units.all() if u.code in codes),
            }
            for b in blocks
        ],
        "movements": [_movement_document(movement, scope)],
    }
    if people:
        document["people"] = people_document({u.pk for u in units})
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _movement_document(movement: Movement, scope: list[Unit]) -> dict[str, Any]:
    made_by_drives = drive_indicator_ids(movement)
    indicators = [i for i in movement.indicators.all() if i.pk not in made_by_drives]
    plans = movement_plans(movement)
    drives = {
        name: {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in document.items()
            if value not in (None, "", []) or key in ("items", "roles")
        }
        for name, document in drive_documents(movement).items()
    }
    return {
        "slug": movement.slug,
        "title": movement.title,
        **({"call_text": movement.call_text} if movement.call_text else {}),
        "organiser": movement.organiser.code,
        "scope": sorted(u.code for u in scope),
        "starts_on": movement.starts_on.isoformat(),
        "ends_on": movement.ends_on.isoformat(),
        "time_zone": movement.time_zone,
        "public": movement.is_public,
        # Said only when chosen: files written before them stay as they were.
        **({"rank_on_verified": True} if movement.rank_on_verified else {}),
        **({"titles_on_verified": True} if movement.titles_on_verified else {}),
        "indicators": [{name: getattr(i, name) for name in INDICATOR_KEYS} for i in indicators],
        "periods": _periods_document(movement),
        "plans": plans,
        "rankings": [
            _ranking_document(s)
            for s in movement.scorings.filter(retired_at__isnull=True)
            .select_related("block")
            .prefetch_related("components__indicator")
        ],
        **drives,
        "launch": movement.status != Movement.Status.DRAFT,
        **({"challenges": challenges} if (challenges := challenges_document(movement)) else {}),
        **({"reserve_links": links} if (links := reserve_links_document(movement)) else {}),
        **({"secondments": sent} if (sent := secondments_document(movement)) else {}),
        **({"flag_rules": rules} if (rules := flag_rules_document(movement)) else {}),
    }


def _periods_document(movement: Movement) -> dict[str, str] | list[dict[str, str]]:
    """The compact `{every: week}` when the periods are exactly a generated series (the
    series' own names and dates), else each period."""
    periods = [
        period_series.SeriesPeriod(p.name, p.starts_on, p.ends_on)
        for p in movement.periods.all()
        if not p.is_whole
    ]
    spec = period_series.matching_series(movement.starts_on, movement.ends_on, periods)
    if spec is not None:
        return spec if spec["every"] == "week" else {"every": spec["every"]}
    return [
        {"name": p.name, "starts_on": p.starts_on.isoformat(), "ends_on": p.ends_on.isoformat()}
        for p in periods
    ]


def movement_plans(movement: Movement) -> list[dict[str, str]]:
    """Every plan of the movement as a setup file writes it: exact quantities as text."""
    rows = []
    for plan in (
        Plan.objects.filter(indicator__movement=movement)
        .select_related("unit", "indicator", "period")
        .order_by("indicator__position", "period__starts_on", "unit__path")
    ):
        indicator = plan.indicator
        row = {"unit": plan.unit.code, "indicator": indicator.code}
        if not plan.period.is_whole:
            row["period"] = plan.period.name
        for name in ("planned", "rated_capacity", "daily_assignment", "base"):
            value = indicator.from_minor(getattr(plan, f"{name}_minor"))
            if value is not None:
                row[name] = str(value)
        if plan.base_label:
            row["base_label"] = plan.base_label
        if plan.note:
            row["note"] = plan.note
        rows.append(row)
    return rows
