"""Practices and adoptions from a file: `pacesetter import-practices FILE` (and the demo).

A YAML file holds both sections; a CSV file holds one (its header tells which: `title` for
practices, `practice` for adoptions):

    practices:
      - key: flow-line                # unique in the movement: importing again skips it
        movement: pyongyang-housing-1958
        unit: PY-HOUSING-S1
        title: Prefabricated flow-line assembly
        text: Panels cast on the ground, lifted in place by crane.   # Markdown
        indicators: [flats]           # one or more; the first is the lead (CSV: `flats;…`)
        period: ''                    # a period's name; empty or absent: the whole movement
        adapted_from: another-key     # optional: a practice of the file or already published
    adoptions:
      - practice: flow-line           # a practice's key (the movement: the practice's)
        movement: pyongyang-housing-1958
        unit: PY-HOUSING-S2
        adopted_on: '1958-03-01'
        note: From March on.

Every row is checked first (errors name the section, the row counting from 1 — for CSV, the
file's line, the header being line 1 — the field and what is wrong); then everything is done
in one transaction through the actions (publish_practice, adopt_practice), which check the
acting person's rights and write the audit; any refusal rolls the whole file back. Idempotent:
a practice whose key the movement holds, and an adoption the unit already stands by, are
left as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from pacesetter.core.errors import ActionError, RowError, ValidationFailed
from pacesetter.core.tabular import TabularError, open_table
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from . import actions
from .actions import KEY_MAX
from .models import Adoption, Practice

PRACTICE_FIELDS = ("key", "movement", "unit", "title", "text", "indicators", "period")
PRACTICE_OPTIONAL = ("adapted_from",)
ADOPTION_FIELDS = ("practice", "movement", "unit")
ADOPTION_OPTIONAL = ("adopted_on", "note")


@dataclass
class Rows:
    """The file's rows by section, each with its row number."""

    practices: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    adoptions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Outcome:
    published: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    unchanged: int = 0


def _refuse(errors: list[RowError]) -> ValidationFailed:
    return ValidationFailed(
        f"The file has {len(errors)} problem(s); nothing was imported.", errors=errors
    )


def read_file(path: Path) -> Rows:
    """The rows of a YAML or CSV file (a problem with the file itself: ValidationFailed)."""
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _refuse([RowError(1, "file", f"cannot be read as YAML: {exc}")]) from None
        if not isinstance(document, dict) or set(document) - {"practices", "adoptions"}:
            message = "a mapping with `practices:` and/or `adoptions:` lists"
            raise _refuse([RowError(1, "file", message)])
        rows = Rows()
        for section in ("practices", "adoptions"):
            entries = document.get(section) or []
            if not isinstance(entries, list):
                raise _refuse([RowError(1, section, "a list of rows")])
            getattr(rows, section).extend(enumerate(entries, start=1))
        return rows
    try:
        with open_table(path) as table:
            header = [name.strip().lower() for name in table.header]
            section = "practices" if "title" in header else "adoptions"
            rows = Rows()
            for number, cells in table.rows():
                entry = {name: cell for name, cell in zip(header, cells, strict=False) if name}
                if section == "practices":
                    entry["indicators"] = [
                        code.strip()
                        for code in str(entry.get("indicators", "")).split(";")
                        if code.strip()
                    ]
                getattr(rows, section).append((number, entry))
            return rows
    except TabularError as exc:
        raise _refuse([RowError(1, "file", str(exc))]) from None


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    return "" if value is None else str(value).strip()


class _Checker:
    """Every row checked against the database, read once per movement and unit code."""

    def __init__(self, rows: Rows):
        self.rows = rows
        self.errors: list[RowError] = []
        slugs = {_text(entry, "movement") for _, entry in (*rows.practices, *rows.adoptions)} - {""}
        self.movements = {
            m.slug: m
            for m in Movement.objects.filter(slug__in=slugs).prefetch_related(
                "indicators", "periods"
            )
        }
        self.existing = set(
            Practice.objects.filter(movement__slug__in=slugs)
            .exclude(key="")
            .values_list("movement__slug", "key")
        )
        codes = {_text(entry, "unit") for _, entry in (*rows.practices, *rows.adoptions)}
        self.units = {u.code: u for u in Unit.objects.filter(code__in=codes - {""})}

    def problem(self, row: int, section: str, name: str, message: str, code="invalid"):
        self.errors.append(RowError(row, f"{section}.{name}", message, code))

    def common(self, row: int, section: str, entry: Any, required, optional) -> bool:
        if not isinstance(entry, dict):
            self.problem(row, section, "row", "a mapping of fields")
            return False
        for name in sorted(set(entry) - set(required) - set(optional)):
            self.problem(row, section, name, f"unknown field; expected {', '.join(required)}")
        for name in required:
            if name not in {"period", "indicators"} and not _text(entry, name):
                self.problem(row, section, name, "required", "required")
        slug = _text(entry, "movement")
        if slug and slug not in self.movements:
            self.problem(row, section, "movement", f"no movement {slug!r}", "not_found")
        code = _text(entry, "unit")
        if code and code not in self.units:
            self.problem(row, section, "unit", f"no unit {code!r}", "not_found")
        return True

    def practices(self) -> dict[tuple[str, str], int]:
        """Check the practice rows; their keys (movement, key) → row."""
        keys: dict[tuple[str, str], int] = {}
        for row, entry in self.rows.practices:
            if not self.common(row, "practices", entry, PRACTICE_FIELDS, PRACTICE_OPTIONAL):
                continue
            slug, key = _text(entry, "movement"), _text(entry, "key")
            if len(key) > KEY_MAX:
                self.problem(row, "practices", "key", f"at most {KEY_MAX} characters")
            if (slug, key) in keys:
                first = keys[(slug, key)]
                self.problem(row, "practices", "key", f"also the key of row {first}", "duplicate")
            keys.setdefault((slug, key), row)
            movement = self.movements.get(slug)
            indicators = entry.get("indicators")
            if isinstance(indicators, str):
                indicators = [indicators]
            if not isinstance(indicators, list) or not indicators:
                self.problem(row, "practices", "indicators", "one or more indicator codes")
            elif movement is not None:
                known = {i.code for i in movement.indicators.all()}
                for code in indicators:
                    if str(code) not in known:
                        self.problem(
                            row, "practices", "indicators", f"no indicator {code!r}", "not_found"
                        )
            period = _text(entry, "period")
            if (
                movement is not None
                and period
                and period not in {p.name for p in movement.periods.all()}
            ):
                self.problem(row, "practices", "period", f"no period {period!r}", "not_found")
            source = _text(entry, "adapted_from")
            if source and source == key:
                self.problem(row, "practices", "adapted_from", "not the practice itself")
            elif source and (slug, source) not in keys and (slug, source) not in self.existing:
                self.problem(
                    row,
                    "practices",
                    "adapted_from",
                    f"no practice {source!r} in an earlier row or in the movement",
                    "not_found",
                )
        return keys

    def adoptions(self, keys: dict[tuple[str, str], int]) -> None:
        for row, entry in self.rows.adoptions:
            if not self.common(row, "adoptions", entry, ADOPTION_FIELDS, ADOPTION_OPTIONAL):
                continue
            slug, key = _text(entry, "movement"), _text(entry, "practice")
            if key and (slug, key) not in keys and (slug, key) not in self.existing:
                self.problem(row, "adoptions", "practice", f"no practice {key!r}", "not_found")
            day = entry.get("adopted_on")
            if day not in (None, "") and not isinstance(day, dt.date):
                try:
                    entry["adopted_on"] = dt.date.fromisoformat(str(day).strip())
                except ValueError:
                    self.problem(row, "adoptions", "adopted_on", "a day, YYYY-MM-DD")


def import_rows(rows: Rows, *, dry_run: bool = False) -> Outcome:
    """Check every row, then publish and adopt them all through the actions, or nothing."""
    checker = _Checker(rows)
    keys = checker.practices()
    checker.adoptions(keys)
    if checker.errors:
        raise _refuse(checker.errors)
    outcome = Outcome()
    with transaction.atomic():
        for row, entry in rows.practices:
            _run(row, "practices", lambda e=entry: _publish(checker, e, outcome))
        for row, entry in rows.adoptions:
            _run(row, "adoptions", lambda e=entry: _adopt(checker, e, outcome))
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def _run(row: int, section: str, act) -> None:
    """An action's refusal, named by the file's row."""
    try:
        act()
    except ActionError as exc:
        errors = [RowError(row, f"{section}.{e.field}", e.message, e.code) for e in exc.errors] or [
            RowError(row, section, exc.detail)
        ]
        raise _refuse(errors) from exc


def _publish(checker: _Checker, entry: dict[str, Any], outcome: Outcome) -> None:
    movement = checker.movements[_text(entry, "movement")]
    key = _text(entry, "key")
    if Practice.objects.filter(movement=movement, key=key).exists():
        outcome.unchanged += 1
        return
    indicators = {i.code: i for i in movement.indicators.all()}
    codes = entry["indicators"] if isinstance(entry["indicators"], list) else [entry["indicators"]]
    period_name = _text(entry, "period")
    period = next(
        p for p in movement.periods.all() if (p.name == period_name if period_name else p.is_whole)
    )
    source = _text(entry, "adapted_from")
    actions.publish_practice(
        movement=movement,
        unit=checker.units[_text(entry, "unit")],
        title=_text(entry, "title"),
        text=_text(entry, "text"),
        indicators=[indicators[str(code)] for code in codes],
        period=period,
        adapted_from=(Practice.objects.get(movement=movement, key=source) if source else None),
        key=key,
    )
    outcome.published.append(f"{movement.slug}/{key}")


def _adopt(checker: _Checker, entry: dict[str, Any], outcome: Outcome) -> None:
    movement = checker.movements[_text(entry, "movement")]
    practice = Practice.objects.select_related("movement").get(
        movement=movement, key=_text(entry, "practice")
    )
    unit = checker.units[_text(entry, "unit")]
    if Adoption.objects.filter(practice=practice, unit=unit, withdrawn=False).exists():
        outcome.unchanged += 1
        return
    actions.adopt_practice(
        practice=practice,
        unit=unit,
        adopted_on=entry.get("adopted_on") or None,
        note_text=_text(entry, "note"),
    )
    outcome.adopted.append(f"{unit.code} → {practice.key}")


def export_rows(movement: Movement) -> dict[str, list[dict[str, Any]]]:
    """The movement's keyed practices and their standing adoptions, as import-practices reads
    them (a practice without a key is named `practice-<id>`)."""
    practices = list(
        Practice.objects.filter(movement=movement)
        .select_related("unit", "period", "adapted_from")
        .prefetch_related("indicator_links__indicator")
        .order_by("published_at", "pk")
    )

    def key_of(practice: Practice) -> str:
        return practice.key or f"practice-{practice.pk}"

    out_practices = []
    for p in practices:
        row = {
            "key": key_of(p),
            "movement": movement.slug,
            "unit": p.unit.code,
            "title": p.title,
            "text": p.text,
            "indicators": [
                link.indicator.code
                for link in sorted(p.indicator_links.all(), key=lambda link: link.position)
            ],
            "period": "" if p.period.is_whole else p.period.name,
        }
        if p.adapted_from is not None:
            row["adapted_from"] = key_of(p.adapted_from)
        out_practices.append(row)
    adoptions = (
        Adoption.objects.filter(practice__movement=movement, withdrawn=False)
        .select_related("practice", "unit")
        .order_by("adopted_on", "pk")
    )
    out_adoptions = [
        {
            "practice": key_of(a.practice),
            "movement": movement.slug,
            "unit": a.unit.code,
            "adopted_on": a.adopted_on.isoformat(),
            **({"note": a.note} if a.note else {}),
        }
        for a in adoptions
    ]
    return {"practices": out_practices, "adoptions": out_adoptions}
