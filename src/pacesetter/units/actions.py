"""The only write path for units, blocks and members."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, F, ProtectedError, Value, When
from django.db.models.functions import Concat, Length, Substr

from pacesetter.accounts.permissions import EVERYWHERE, Capability, current_actor
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, ValidationFailed, raise_for_rows
from pacesetter.core.locks import tree_lock

from . import selectors
from .models import Block, Member, Unit, UnitKind
from .signals import unit_moved


def _kind(code: str) -> UnitKind:
    kind, _ = UnitKind.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " ").replace("_", " ").capitalize()}
    )
    return kind


@audited("units.create_unit")
def create_unit(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    headcount: int = 0,
) -> Unit:
    """Create one unit under `parent` (or a root). Codes are unique across the whole tree."""
    selectors.refuse_taken_code(code)
    import_units(
        rows=[
            UnitRow(
                code=code,
                name=name,
                kind=kind,
                parent_code=parent.code if parent else "",
                headcount=headcount,
            )
        ]
    )
    return Unit.objects.get(code=code.strip())


@audited("units.update_unit")
def update_unit(*, unit: Unit, name: str, kind: str, headcount: int | str = 0) -> Unit:
    """Rename a unit, change its kind or headcount; its code, place and history stay.

    The import's own checks apply (the same row errors, the actor's right to manage the
    unit); moving is `move_unit`."""
    note(before=unit)
    import_units(
        rows=[
            UnitRow(
                code=unit.code,
                name=name,
                kind=kind,
                parent_code=unit.parent.code if unit.parent_id else "",
                headcount=headcount,
            )
        ]
    )
    unit.refresh_from_db()
    return unit


@dataclass(frozen=True, slots=True)
class UnitRow:
    code: str
    name: str
    kind: str
    parent_code: str = ""
    headcount: int | str = 0


@dataclass
class UnitImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kinds_created: list[str] = field(default_factory=list)


_KIND = re.compile(r"[-a-zA-Z0-9_]{1,50}")
MAX_HEADCOUNT = 2**31 - 1


def _validate_unit_rows(
    rows: Sequence[UnitRow], row_numbers: Sequence[int] | None = None
) -> tuple[list[RowError], list[int]]:
    errors: list[RowError] = []
    headcounts: list[int] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        code = (row.code or "").strip()
        if not code:
            errors.append(RowError(number, "code", "a code is required", "required"))
        elif len(code) > 64:
            errors.append(RowError(number, "code", "at most 64 characters", "too_long"))
        elif code in seen:
            errors.append(
                RowError(
                    number,
                    "code",
                    f"code {code!r} repeats row {row_numbers[seen[code] - 1] if row_numbers else seen[code]}",
                    "duplicate",
                )
            )
        else:
            seen[code] = number
        name, kind = (row.name or "").strip(), (row.kind or "").strip()
        if not name:
            errors.append(RowError(number, "name", "a name is required", "required"))
        elif len(name) > 200:
            errors.append(RowError(number, "name", "at most 200 characters", "too_long"))
        if not kind:
            errors.append(RowError(number, "kind", "a kind is required", "required"))
        elif not _KIND.fullmatch(kind):
            errors.append(
                RowError(
                    number,
                    "kind",
                    "letters, digits, - and _ only, at most 50 characters",
                    "invalid",
                )
            )
        try:
            headcount = int(str(row.headcount).strip() or 0)
            if not 0 <= headcount <= MAX_HEADCOUNT:
                raise ValueError
        except ValueError:
            errors.append(
                RowError(
                    number, "headcount", f"a whole number from 0 to {MAX_HEADCOUNT:,} is required"
                )
            )
            headcount = 0
        headcounts.append(headcount)
        if row.parent_code and row.parent_code.strip() == code:
            errors.append(
                RowError(number, "parent_code", "a unit cannot be its own parent", "cycle")
            )
    return errors, headcounts


def _permission_errors(rows: Sequence[UnitRow], existing: dict[str, Unit]) -> list[RowError]:
    """The current actor manages units only inside their subtrees: an update needs the right on
    the unit, a new unit on its parent (a new root: everywhere). Units the actor may not see
    are reported as unknown."""
    actor = current_actor()
    manage = actor.paths(Capability.MANAGE_UNITS)
    if EVERYWHERE in manage:
        return []
    see = actor.paths(Capability.VIEW)
    errors: list[RowError] = []
    for number, row in enumerate(rows, start=1):
        code, parent_code = row.code.strip(), (row.parent_code or "").strip()
        field, unit = ("code", existing.get(code)) if code in existing else ("parent_code", None)
        if unit is None and parent_code in existing:
            unit = existing[parent_code]
        if unit is None:
            if field == "parent_code" and not parent_code:
                errors.append(
                    RowError(number, field, "only an operator adds a root unit", "not_permitted")
                )
            continue  # the parent is a new row of this file, checked on its own row
        if any(unit.path.startswith(p) for p in manage):
            continue
        if any(unit.path.startswith(p) for p in see):
            errors.append(
                RowError(
                    number, field, f"you may not manage units under {unit.code}", "not_permitted"
                )
            )
        elif field == "code":
            errors.append(
                RowError(number, field, f"the code {code!r} is already in use", "duplicate")
            )
        else:
            errors.append(RowError(number, field, f"no unit with code {unit.code!r}", "not_found"))
    return errors


@audited("units.import_units")
def import_units(
    *, rows: Sequence[UnitRow], row_numbers: Sequence[int] | None = None
) -> UnitImportResult:
    """Create or update many units at once, all or nothing.

    Rows may come in any order: parents are resolved from the database or from other rows.
    An existing code updates name, kind and headcount; a different parent is refused (moving
    is its own action because it shifts the subtree totals). Every row is validated before
    anything is written; the error lists every bad row. A code given twice is an error naming
    the first row, by `row_numbers` when the rows come from a file.
    """
    errors, headcounts = _validate_unit_rows(rows, row_numbers)
    codes = {r.code.strip() for r in rows}
    parent_codes = {r.parent_code.strip() for r in rows if r.parent_code and r.parent_code.strip()}
    existing = _units_by_code(codes | parent_codes)

    by_code = {r.code.strip(): (n, r) for n, r in enumerate(rows, start=1)}
    errors.extend(_permission_errors(rows, existing))
    for number, row in enumerate(rows, start=1):
        parent_code = (row.parent_code or "").strip()
        if parent_code and parent_code not in existing and parent_code not in by_code:
            errors.append(
                RowError(number, "parent_code", f"no unit with code {parent_code!r}", "not_found")
            )
        elif (
            parent_code in existing
            and existing[parent_code].archived
            and row.code.strip() not in existing
        ):
            errors.append(
                RowError(
                    number,
                    "parent_code",
                    f"{parent_code} is archived; no new units go under it",
                    "archived",
                )
            )
        current = existing.get(row.code.strip())
        if current is not None:
            current_parent = current.parent.code if current.parent is not None else ""
            if parent_code != current_parent:
                errors.append(
                    RowError(
                        number,
                        "parent_code",
                        f"unit {current.code!r} is under {current_parent or 'no parent'!r}; "
                        "move it with the move action instead",
                        "move_required",
                    )
                )
    # Cycles among new rows: follow each new row's parent chain within the file.
    if not errors:
        for number, row in enumerate(rows, start=1):
            chain: set[str] = set()
            code = row.code.strip()
            while code in by_code and code not in existing:
                if code in chain:
                    errors.append(
                        RowError(number, "parent_code", "the parents form a cycle", "cycle")
                    )
                    break
                chain.add(code)
                code = by_code[code][1].parent_code.strip()
    raise_for_rows(errors, what="unit", total=len(rows))

    result = UnitImportResult()
    kinds = {k.code: k for k in UnitKind.objects.filter(code__in={r.kind.strip() for r in rows})}
    for kind_code in sorted({r.kind.strip() for r in rows} - kinds.keys()):
        kinds[kind_code] = _kind(kind_code)
        result.kinds_created.append(kind_code)

    to_update: list[Unit] = []
    pending: dict[str, tuple[UnitRow, int]] = {}
    for row, headcount in zip(rows, headcounts, strict=True):
        code = row.code.strip()
        current = existing.get(code)
        if current is None:
            pending[code] = (row, headcount)
            continue
        kind = kinds[row.kind.strip()]
        if (current.name, current.kind_id, current.headcount) == (
            row.name.strip(),
            kind.pk,
            headcount,
        ):
            result.unchanged += 1
        else:
            current.name, current.kind, current.headcount = row.name.strip(), kind, headcount
            to_update.append(current)
    if to_update:
        Unit.objects.bulk_update(to_update, ["name", "kind", "headcount"], batch_size=1000)
        result.updated = len(to_update)

    # Insert new units layer by layer, so every parent has its id (and path) first.
    while pending:
        layer = [
            (code, row, headcount)
            for code, (row, headcount) in pending.items()
            if not row.parent_code.strip() or row.parent_code.strip() in existing
        ]
        new_units = []
        for code, row, headcount in layer:
            parent = existing.get(row.parent_code.strip()) if row.parent_code.strip() else None
            new_units.append(
                Unit(
                    code=code,
                    name=row.name.strip(),
                    kind=kinds[row.kind.strip()],
                    parent=parent,
                    depth=parent.depth + 1 if parent else 0,
                    path="/",
                    headcount=headcount,
                )
            )
        Unit.objects.bulk_create(new_units, batch_size=1000)
        for unit in new_units:
            parent = existing.get(unit.parent.code) if unit.parent is not None else None
            unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
            existing[unit.code] = unit
            del pending[unit.code]
        _write_paths(new_units)
        result.created += len(new_units)
    return result


def _write_paths(units: Iterable[Unit]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE units_unit SET path = %s WHERE id = %s", [(u.path, u.pk) for u in units]
        )


def _units_by_code(codes: set[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    code_list = sorted(c for c in codes if c)
    for start in range(0, len(code_list), 5000):
        chunk = code_list[start : start + 5000]
        for unit in Unit.objects.select_related("parent").filter(code__in=chunk):
            found[unit.code] = unit
    return found


@audited("units.move_unit")
def move_unit(*, unit: Unit, new_parent: Unit) -> Unit:
    """Move `unit` (with its whole subtree) under `new_parent`.

    Its reports stay its own; the subtree totals of the old ancestors lose what the unit's
    subtree contributed and the new ancestors gain it, in this same transaction. A move under
    the unit itself or one of its descendants is refused.
    """
    # Exclusive: no ingest is crediting ancestors, and no other move is rewriting paths, while
    # this one reads the paths it checks for cycles and shifts the subtree totals.
    tree_lock(exclusive=True)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    if new_parent.path.startswith(unit.path):
        raise StateError(
            f"Cannot move {unit.code} under {new_parent.code}: "
            f"{new_parent.code} is {'the unit itself' if new_parent.pk == unit.pk else 'inside its subtree'}."
        )
    if new_parent.archived:
        raise StateError(f"{new_parent.code} is archived; units cannot be moved under it.")
    if unit.parent_id == new_parent.pk:
        return unit
    note(before=unit)
    old_ancestor_ids = unit.ancestor_ids
    old_prefix, new_prefix = unit.path, f"{new_parent.path}{unit.pk}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    # Parent, path and depth change in one UPDATE per row: the database checks "has a parent"
    # against "depth above 0" row by row, so a root given a parent first would be refused.
    Unit.objects.filter(path__startswith=old_prefix).update(
        parent=Case(
            When(pk=unit.pk, then=Value(new_parent.pk)),
            default=F("parent"),
            output_field=Unit._meta.get_field("parent"),
        ),
        path=Concat(Value(new_prefix), Substr("path", Length(Value(old_prefix)) + 1)),
        depth=F("depth") + depth_shift,
    )
    unit.refresh_from_db()
    unit_moved.send(
        sender=Unit,
        unit=unit,
        old_ancestor_ids=old_ancestor_ids,
        new_ancestor_ids=unit.ancestor_ids,
    )
    return unit


@audited("units.archive_unit")
def archive_unit(*, unit: Unit) -> Unit:
    """Archive a unit and its subtree: they keep their history but take no new reports."""
    note(before=unit)
    Unit.objects.filter(path__startswith=unit.path).update(archived=True)
    unit.refresh_from_db()
    return unit


@audited("units.delete_unit")
def delete_unit(*, unit: Unit) -> None:
    """Delete a unit that has no history (no children, plans or reports); else refuse."""
    if unit.children.exists():
        raise StateError(f"{unit.code} has units under it; move or archive them first.")
    note(target=Unit(pk=unit.pk, code=unit.code, name=unit.name), unit=unit, before=unit)
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError:
        raise StateError(
            f"{unit.code} has history (plans or reports); archive it instead of deleting it."
        ) from None


@audited("units.create_block")
def create_block(
    *, code: str, name: str, units: Iterable[Unit] = (), description: str = ""
) -> Block:
    """Create a peer block; a unit may sit in several blocks."""
    if Block.objects.filter(code=code).exists():
        raise ValidationFailed(
            f"A block with code {code!r} already exists.",
            errors=[RowError(1, "code", "already exists", "duplicate")],
        )
    block = Block.objects.create(code=code, name=name, description=description)
    block.units.set(list(units))
    return block


@audited("units.update_block")
def update_block(*, block: Block, name: str | None = None, description: str | None = None) -> Block:
    """Rename a block or change its description; its code stays (rankings name it)."""
    if name is not None and not name.strip():
        raise ValidationFailed(
            "A block needs a name.", errors=[RowError(1, "name", "a name is required", "required")]
        )
    note(before=block)
    wanted = {"name": name, "description": description}
    changed = [k for k, v in wanted.items() if v is not None and getattr(block, k) != v]
    for attribute in changed:
        setattr(block, attribute, wanted[attribute])
    if changed:
        block.save(update_fields=changed)
    return block


@audited("units.set_block_units")
def set_block_units(*, block: Block, units: Iterable[Unit]) -> Block:
    units = list(units)
    note(
        before={"units": sorted(block.units.values_list("code", flat=True))},
        after={"units": sorted(unit.code for unit in units)},
    )
    block.units.set(units)
    return block


@audited("units.create_member")
def create_member(*, unit: Unit, full_name: str, external_id: str | None = None) -> Member:
    if not full_name.strip():
        raise ValidationFailed(
            "A member needs a name.", errors=[RowError(1, "full_name", "a name is required")]
        )
    if external_id and Member.objects.filter(external_id=external_id).exists():
        raise ValidationFailed(
            f"A member with id {external_id!r} already exists.",
            errors=[
                RowError(
                    1,
                    "external_id",
                    f"a member with id {external_id!r} already exists",
                    "duplicate",
                )
            ],
        )
    return Member.objects.create(unit=unit, full_name=full_name.strip(), external_id=external_id)


@dataclass(frozen=True, slots=True)
class MemberRow:
    unit: str
    external_id: str
    full_name: str


@dataclass
class MemberImportResult:
    created: int = 0
    unchanged: int = 0


@audited("units.import_members")
def import_members(*, rows: Sequence[MemberRow]) -> MemberImportResult:
    """Create many members at once, all or nothing, each named by its id (`external_id`).
    A member whose id exists in the same unit under the same name is left as it is (so a
    file can be imported again); the same id elsewhere or under another name is refused.
    Needs MANAGE_UNITS where each member's unit is."""
    may = current_actor().paths(Capability.MANAGE_UNITS)
    units = _units_by_code({r.unit.strip() for r in rows})
    ids = [r.external_id.strip() for r in rows]
    stored = {
        m.external_id: m for m in Member.objects.filter(external_id__in=ids).select_related("unit")
    }
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    new: list[Member] = []
    result = MemberImportResult()
    for number, row in enumerate(rows, start=1):
        code, external_id, name = row.unit.strip(), row.external_id.strip(), row.full_name.strip()
        unit = units.get(code)
        if unit is None:
            errors.append(RowError(number, "unit", f"no unit with code {code!r}", "not_found"))
        elif EVERYWHERE not in may and not any(unit.path.startswith(p) for p in may):
            errors.append(
                RowError(number, "unit", f"you may not manage {code}'s members", "not_permitted")
            )
        if not name:
            errors.append(RowError(number, "full_name", "a name is required", "required"))
        elif len(name) > 200:
            errors.append(RowError(number, "full_name", "at most 200 characters", "too_long"))
        if not external_id:
            errors.append(RowError(number, "external_id", "an id is required", "required"))
            continue
        if len(external_id) > 64:
            errors.append(RowError(number, "external_id", "at most 64 characters", "too_long"))
            continue
        if external_id in seen:
            errors.append(
                RowError(
                    number, "external_id", f"the same id as row {seen[external_id]}", "duplicate"
                )
            )
            continue
        seen[external_id] = number
        found = stored.get(external_id)
        if found is not None:
            if found.unit.code != code or found.full_name != name:
                errors.append(
                    RowError(
                        number,
                        "external_id",
                        f"{external_id} is {found.full_name} of {found.unit.code} already",
                        "exists",
                    )
                )
            else:
                result.unchanged += 1
        elif unit is not None:
            new.append(Member(unit=unit, full_name=name, external_id=external_id))
    raise_for_rows(errors, what="member", total=len(rows))
    Member.objects.bulk_create(new, batch_size=1000)
    result.created = len(new)
    return result
