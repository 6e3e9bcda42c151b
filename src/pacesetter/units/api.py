"""The units API: the tree, blocks and members. Every write goes through `units.actions`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from pacesetter.accounts.permissions import (
    EVERYWHERE,
    Capability,
    can,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.core.errors import NotAllowed, RowError, ValidationFailed
from pacesetter.core.pagination import Pagination
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS, fields_renamed

from . import actions, selectors
from .models import Block, Member, Unit, tree_order
from .schemas import (
    BlockIn,
    BlockOut,
    BlockUnitsIn,
    MemberIn,
    MemberOut,
    MoveIn,
    UnitImportOut,
    UnitImportRowIn,
    UnitIn,
    UnitOut,
)

router = Router(tags=["units"])

MAX_IMPORT_ROWS = 10_000
MAX_PAGE = 1000


def unit_or_404(code: str, capability: Capability = Capability.VIEW) -> Unit:
    """The unit at an address, if the caller may see it (else 404) and has `capability` on it
    (else 403)."""
    actor = current_actor()
    unit = (
        Unit.objects.select_related("kind", "parent")
        .filter(unit_filter(actor, Capability.VIEW, field=""), code=code)
        .first()
    )
    if unit is None:
        raise Http404(f"No unit with code {code!r}.")
    require(actor, capability, unit)
    return unit


def unit_for_field(code: str, *, field: str, capability: Capability = Capability.VIEW) -> Unit:
    """A unit named in a request body or query: unknown (or invisible to the caller) is the
    request's fault (422), not a missing page (404); visible without `capability` is 403."""
    return units_for_field([code], field=field, capability=capability)[0]


def units_for_field(
    codes: Iterable[str], *, field: str, capability: Capability = Capability.VIEW
) -> list[Unit]:
    """Units by code in one query; every unknown (or invisible) code is listed, and the caller
    needs `capability` on each."""
    actor = current_actor()
    wanted = list(dict.fromkeys(codes))
    found = {
        u.code: u
        for u in Unit.objects.select_related("kind", "parent").filter(
            unit_filter(actor, Capability.VIEW, field=""), code__in=wanted
        )
    }
    missing = [code for code in wanted if code not in found]
    if missing:
        raise ValidationFailed(
            f"{len(missing)} of the unit codes are unknown.",
            errors=[RowError(1, field, f"no unit with code {c!r}", "not_found") for c in missing],
        )
    refused = [code for code in wanted if not _may(found[code], capability)]
    if refused:
        raise NotAllowed(
            f"You may not {capability.value.replace('_', ' ')} for {', '.join(refused)}.",
            errors=[RowError(1, field, f"not permitted for {c}", "not_permitted") for c in refused],
        )
    return [found[code] for code in wanted]


def _may(unit: Unit, capability: Capability) -> bool:
    return can(current_actor(), capability, unit)


# --- units ---------------------------------------------------------------------------------


@router.post("/units", response={201: UnitOut, **WRITE_REFUSALS})
def create_unit(request: HttpRequest, payload: UnitIn):
    """Create one unit under `parent` (or a root). An existing code is refused (422)."""
    # `actions.create_unit` goes through the import, which would *update* an existing unit of
    # that code under the same parent; a create must not rename someone's unit.
    selectors.refuse_taken_code(payload.code)
    parent = (
        unit_for_field(payload.parent, field="parent", capability=Capability.MANAGE_UNITS)
        if payload.parent
        else None
    )
    created = actions.create_unit(
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        parent=parent,
        headcount=payload.headcount,
    )
    return Status(201, unit_or_404(created.code))


@router.post("/units/import", response={200: UnitImportOut, **WRITE_REFUSALS})
def import_units(request: HttpRequest, rows: list[UnitImportRowIn]):
    """Create or update many units, all or nothing. The body is a JSON list of rows, in any
    order (parents may come after their children). An existing code updates name, kind and
    headcount; moving is its own call. Every bad row is listed in the 422 answer."""
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(
            f"At most {MAX_IMPORT_ROWS:,} rows per call; this call has {len(rows):,}."
        )
    with fields_renamed({"parent_code": "parent"}):
        result = actions.import_units(
            rows=[
                actions.UnitRow(
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    parent_code=row.parent,
                    headcount=row.headcount,
                )
                for row in rows
            ]
        )
    return result


@router.get("/units/{code}", response={200: UnitOut, **READ_REFUSALS})
def get_unit(request: HttpRequest, code: str):
    return unit_or_404(code)


@router.delete("/units/{code}", response={204: None, **WRITE_REFUSALS})
def delete_unit(request: HttpRequest, code: str):
    """Delete a unit without history; one with children, plans or reports is refused (409):
    archive it instead."""
    actions.delete_unit(unit=unit_or_404(code, Capability.MANAGE_UNITS))
    return Status(204, None)


@router.post("/units/{code}/move", response={200: UnitOut, **WRITE_REFUSALS})
def move_unit(request: HttpRequest, code: str, payload: MoveIn):
    """Move the unit, with its subtree, under another parent; the totals move with it."""
    unit = unit_or_404(code, Capability.MANAGE_UNITS)
    new_parent = unit_for_field(payload.parent, field="parent", capability=Capability.MANAGE_UNITS)
    actions.move_unit(unit=unit, new_parent=new_parent)
    return unit_or_404(code)


@router.post("/units/{code}/archive", response={200: UnitOut, **WRITE_REFUSALS})
def archive_unit(request: HttpRequest, code: str):
    """Archive the unit and its subtree: history stays, new reports are refused."""
    actions.archive_unit(unit=unit_or_404(code, Capability.MANAGE_UNITS))
    return unit_or_404(code)


@router.get("/units/{code}/subtree", response={200: list[UnitOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def unit_subtree(request: HttpRequest, code: str, include_archived: bool = True):
    """Every descendant of the unit (not the unit itself), depth first."""
    unit = unit_or_404(code)
    return (
        selectors.subtree(unit, include_self=False, include_archived=include_archived)
        .select_related("kind", "parent")
        .order_by(tree_order())
    )


@router.get("/units/{code}/ancestors", response={200: list[UnitOut], **READ_REFUSALS})
def unit_ancestors(request: HttpRequest, code: str):
    """From the root down to the parent."""
    return list(selectors.ancestors(unit_or_404(code)).select_related("kind", "parent"))


@router.get("/units/{code}/children", response={200: list[UnitOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def unit_children(request: HttpRequest, code: str):
    return selectors.children(unit_or_404(code)).select_related("kind", "parent")


# --- members -------------------------------------------------------------------------------


@router.post("/units/{code}/members", response={201: MemberOut, **WRITE_REFUSALS}, tags=["members"])
def create_member(request: HttpRequest, code: str, payload: MemberIn):
    member = actions.create_member(
        unit=unit_or_404(code, Capability.MANAGE_UNITS),
        full_name=payload.full_name,
        external_id=payload.external_id,
    )
    return Status(201, Member.objects.select_related("unit").get(pk=member.pk))


@router.get(
    "/units/{code}/members", response={200: list[MemberOut], **READ_REFUSALS}, tags=["members"]
)
@paginate(Pagination, max_limit=MAX_PAGE)
def list_members(request: HttpRequest, code: str, active: bool | None = None):
    """The unit's own members (not its subtree's), by name."""
    members = Member.objects.filter(unit=unit_or_404(code)).select_related("unit")
    if active is not None:
        members = members.filter(active=active)
    return members.order_by("full_name", "id")


# --- blocks --------------------------------------------------------------------------------


def _visible_units(actor) -> Prefetch:
    """A block lists only the units the caller may see."""
    return Prefetch(
        "units", queryset=Unit.objects.filter(unit_filter(actor, Capability.VIEW, field=""))
    )


def _blocks():
    """Blocks the caller may see: those with at least one unit they may see."""
    actor = current_actor()
    visible = Unit.objects.filter(unit_filter(actor, Capability.VIEW, field=""))
    return Block.objects.filter(Exists(visible.filter(blocks=OuterRef("pk")))).prefetch_related(
        _visible_units(actor)
    )


def _block_or_404(code: str) -> Block:
    block = _blocks().filter(code=code).first()
    if block is None:
        raise Http404(f"No block with code {code!r}.")
    return block


def _require_block_managed(block: Block) -> None:
    """Changing a block's members needs the right to manage every unit now in it."""
    actor = current_actor()
    if EVERYWHERE in actor.paths(Capability.MANAGE_UNITS):
        return
    managed = Unit.objects.filter(unit_filter(actor, Capability.MANAGE_UNITS, field=""))
    if Block.units.through.objects.filter(block=block).exclude(unit__in=managed).exists():
        raise NotAllowed("You may not change this block: it has units outside your subtree.")


@router.post("/blocks", response={201: BlockOut, **WRITE_REFUSALS}, tags=["blocks"])
def create_block(request: HttpRequest, payload: BlockIn):
    """Create a peer block of comparable units; a unit may sit in several blocks."""
    block = actions.create_block(
        code=payload.code,
        name=payload.name,
        description=payload.description,
        units=units_for_field(payload.units, field="units", capability=Capability.MANAGE_UNITS),
    )
    return Status(201, _block_or_404(block.code))


@router.get("/blocks", response={200: list[BlockOut], **READ_REFUSALS}, tags=["blocks"])
@paginate(Pagination, max_limit=MAX_PAGE)
def list_blocks(
    request: HttpRequest,
    unit: str | None = Query(None, description="A unit code: only blocks it sits in"),
):
    blocks = _blocks().order_by("name", "id")
    if unit:
        blocks = blocks.filter(units=unit_for_field(unit, field="unit"))
    return blocks


@router.get("/blocks/{code}", response={200: BlockOut, **READ_REFUSALS}, tags=["blocks"])
def get_block(request: HttpRequest, code: str):
    return _block_or_404(code)


@router.put("/blocks/{code}/units", response={200: BlockOut, **WRITE_REFUSALS}, tags=["blocks"])
def set_block_units(request: HttpRequest, code: str, payload: BlockUnitsIn):
    """Replace the block's units with the ones given."""
    block = _block_or_404(code)
    _require_block_managed(block)
    actions.set_block_units(
        block=block,
        units=units_for_field(payload.units, field="units", capability=Capability.MANAGE_UNITS),
    )
    return _block_or_404(code)
