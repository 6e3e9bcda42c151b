"""The audit trail, read-only: who did what, when, from where, before and after."""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from pacesetter.accounts.permissions import Capability, current_actor
from pacesetter.core.api import IsoDateTime
from pacesetter.core.pagination import Pagination
from pacesetter.core.problem import READ_REFUSALS
from pacesetter.units.api import MAX_PAGE, unit_for_field

from . import selectors
from .schemas import AuditEventOut

router = Router(tags=["audit"])


@router.get("/audit", response={200: list[AuditEventOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_events(
    request: HttpRequest,
    unit: str | None = Query(None, description="A unit code: events about it and its subtree"),
    action: str | None = Query(None, description="An action name or its start, e.g. ledger."),
    user: str | None = Query(None, description="A username"),
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
):
    """Newest first: events about the units where you may audit (as an organiser), and your
    own. Without the audit right anywhere: 403."""
    return selectors.events_visible_to(
        current_actor(),
        unit_path=unit_for_field(unit, field="unit", capability=Capability.AUDIT).path
        if unit
        else None,
        action=action,
        username=user,
        since=since,
        until=until,
    )
