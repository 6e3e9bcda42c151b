"""The REST API, mounted at /api/v1/: one router per app, one way to authenticate, one shape
for every error (problem+json, see core.problem). OpenAPI at /api/v1/openapi.json, docs at
/api/v1/docs.

It sits beside `urls.py`, above every app: it is the one module that imports them all.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router

from pacesetter.accounts.api import router as accounts_router
from pacesetter.accounts.auth import api_auth
from pacesetter.audit.api import router as audit_router
from pacesetter.core import problem
from pacesetter.core.api import DecimalJSONParser, PacesetterAPI
from pacesetter.drives.api import router as drives_router
from pacesetter.emulation.api import router as emulation_router
from pacesetter.experience.api import router as experience_router
from pacesetter.figures.api import router as figures_router
from pacesetter.ledger.api import router as ledger_router
from pacesetter.ledger.verification_api import router as verification_router
from pacesetter.movements.api import router as movements_router
from pacesetter.reserves.api import router as reserves_router
from pacesetter.titles.api import router as titles_router
from pacesetter.units.api import router as units_router
from pacesetter.visits.api import router as visits_router
from pacesetter.voices.api import router as voices_router

api = PacesetterAPI(
    title="Pacesetter API",
    version="1",
    description=(
        "Movements, plans, the append-only report ledger and honest figures. Authenticate with "
        "`Authorization: Bearer ps_…` (create one on your account page, /account/, or with POST /api/v1/tokens) or a signed-in session "
        "(unsafe methods then need the `X-CSRFToken` header). Quantities are decimal strings in "
        "the indicator's unit, percentages decimal strings with one decimal, never capped at "
        "100. Every error is `application/problem+json` with the rows and fields to fix."
    ),
    auth=api_auth,
    parser=DecimalJSONParser(),
    urls_namespace="api",
)
problem.install(api)

api.add_router("", units_router)
api.add_router("", movements_router)
api.add_router("", ledger_router)
api.add_router("", verification_router)
api.add_router("", figures_router)
api.add_router("", titles_router)
api.add_router("", emulation_router)
api.add_router("", experience_router)
api.add_router("", accounts_router)
api.add_router("", audit_router)
api.add_router("", drives_router)
api.add_router("", reserves_router)
api.add_router("", visits_router)
api.add_router("", voices_router)

# Last, so it matches only what no router did: an unknown address under /api/v1/ answers a
# problem+json 404 rather than the site's HTML page.
_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def not_found(request: HttpRequest, rest: str) -> None:
    raise Http404(f"There is no API endpoint at /api/v1/{rest}.")


api.add_router("", _fallback)
