"""The permission matrix: every API endpoint and every page, for every role granted at an
ancestor of the target unit, on the unit itself, on a sibling and on a descendant, answers
exactly as this table says.

The table (ENDPOINTS, PAGES) is the single source: a new endpoint or page without an entry
fails `test_every_endpoint_has_an_entry` / `test_every_page_has_an_entry`. The expected
outcome of each request is computed from EXPECTED_CAPABILITIES, written out here by hand
(not imported from the code under test), and from where the grant sits:

- the target is unit C1 (KP ─ P1 ─ C1 ─ W1); the grant is on P1 (ancestor), C1 (self),
  C2 (sibling) or W1 (descendant); only the first two cover C1;
- a caller with the capability over C1 gets the success status; one who can see C1 but lacks
  the capability gets `refused` (403, or 422 where rows are judged one by one); one who cannot
  see C1 gets `hidden` (404 at an address, 422 when the unit is named in the body) — never a
  hint that it exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.api import api
from pacesetter.ledger import actions as ledger_actions
from pacesetter.movements import actions as movement_actions
from pacesetter.units import actions as unit_actions
from tests import factories
from tests.accounts import matrix_world
from tests.conftest import FAST_HASHERS, rolled_back

V, R, VF, P, ORG, M, G, VO, PA, A, VI = (
    "view",
    "report",
    "verify",
    "plan",
    "organise",
    "manage_units",
    "grant",
    "vote",
    "participate",
    "audit",
    "visit",
)
EXPECTED_CAPABILITIES: dict[str, set[str]] = {
    Role.ORGANISER: {V, R, VF, P, ORG, M, G, A, PA, VI},
    Role.UNIT_HEAD: {V, R, P, G, PA, VI},
    Role.REPORTER: {V, R},
    Role.VERIFIER: {V, VF},
    Role.COUNCIL_MEMBER: {V, VO},
    Role.MEMBER: {V, PA},
    Role.VIEWER: {V},
}
POSITIONS = {"ancestor": "P1", "self": "C1", "sibling": "C2", "descendant": "W1"}
COVERS = {"ancestor", "self"}
DAY = "2025-03-10"
SESSION_COOKIE = settings.SESSION_COOKIE_NAME


@dataclass
class World:
    units: dict
    launched: Any  # organised by KP, scope KP (the conftest movement)
    draft: Any  # organised by C1, scope C1, a draft with one indicator and a plan for C1
    running: Any  # organised by C1, scope C1, launched
    report: Any  # a report of C1 in `launched`
    block: Any  # a block holding C1 only
    others_grant: Any  # someone else's reporter grant on C1
    x: Any = None  # the other apps' objects: see matrix_world.build
    tokens: dict = field(default_factory=dict)  # (role, position) -> key
    sessions: dict = field(default_factory=dict)  # (role, position) -> signed-in session key
    users: dict = field(default_factory=dict)


def _build_world() -> World:
    units = factories.tree(  # as tests/conftest.py's `units`
        {"KP": {"P1": {"C1": {"W1": {}, "W2": {}}, "C2": {"W3": {}}}, "P2": {"C3": {"W4": {}}}}}
    )
    movement = factories.movement(  # like tests/conftest.py's `movement`, two indicators
        units["KP"],
        indicators=(
            {"code": "steel", "name": "Steel", "unit_of_measure": "t", "decimal_places": 1},
            {"code": "stock", "name": "Stock", "unit_of_measure": "t", "aggregation": "latest"},
        ),
        monthly=True,
    )
    draft = factories.movement(units["C1"], slug="draft", launch=False)
    movement_actions.set_plans(
        movement=draft,
        rows=[movement_actions.PlanRow(unit_code="C1", indicator="steel", planned="100")],
    )
    running = factories.movement(units["C1"], slug="running")
    movement_actions.register_pledge(
        unit=units["C1"], indicator=movement.indicators.get(code="steel"), extra="5"
    )
    result = ledger_actions.record_reports(
        movement=movement,
        rows=[ledger_actions.ReportRow(unit="C1", indicator="steel", day=DAY, quantity="7")],
        source="api",
    )
    block = unit_actions.create_block(code="b", name="Block", units=[units["C1"]])
    someone = factories.UserFactory(username="someone")
    others_grant = account_actions.grant_role(user=someone, role=Role.REPORTER, unit=units["C1"])
    built = World(
        units=units,
        launched=movement,
        draft=draft,
        running=running,
        report=result.report_ids[0],
        block=block,
        others_grant=others_grant,
    )
    for role in Role.values:
        for position, code in POSITIONS.items():
            user = factories.UserFactory(username=f"{role}-{position}")
            Grant.objects.create(user=user, role=role, unit=units[code])
            built.users[(role, position)] = user
            built.tokens[(role, position)] = account_actions.create_token(
                user=user, name="matrix", scope="full"
            )[1]
            signing_in = Client()
            signing_in.force_login(user)  # once: the pages reuse the session
            built.sessions[(role, position)] = signing_in.cookies[SESSION_COOKIE].value
    built.x = matrix_world.build(built)  # after the grants: a nomination fixes its council
    return built


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """The world is built once for the module, inside a transaction rolled back at the end;
    each test runs in a savepoint within it (pytest-django's `db`), and each request of a
    test in a savepoint of its own."""
    with rolled_back(django_db_blocker), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield _build_world()


@pytest.fixture
def world(_world, db) -> World:
    return _world


# --- expectations --------------------------------------------------------------------------


def on_unit(ok: int, refused: int = 403, hidden: int = 404, need: str = V):
    """The usual rule: success with the capability over C1; refused when C1 is visible."""

    def expect(role: str, position: str) -> int:
        caps = EXPECTED_CAPABILITIES[role]
        if position in COVERS and need in caps:
            return ok
        if position in COVERS and V in caps:
            return refused
        return hidden

    return expect


def movement_of_c1(ok: int, need: str = V):
    """A movement organised by C1 with scope C1: seen by anyone whose subtree overlaps C1
    (a descendant grant too); acted on with the capability over C1."""

    def expect(role: str, position: str) -> int:
        caps = EXPECTED_CAPABILITIES[role]
        sees = position != "sibling" and V in caps
        if need == V:
            return ok if sees else 404
        if position in COVERS and need in caps:
            return ok
        return 403 if sees else 404

    return expect


def _planning(ok: int):
    """A form whose unit is chosen among those the visitor plans for: C1 is offered when PLAN
    covers it (success), not otherwise (422); with PLAN nowhere the form is refused (403)."""

    def expect(role: str, position: str) -> int:
        if P not in EXPECTED_CAPABILITIES[role]:
            return 403
        return ok if position in COVERS else 422

    return expect


def anyone(ok: int):
    return lambda role, position: ok


def organisers_anywhere(ok: int, other: int = 403):
    """Rule packs and facts belong to organisers of any subtree; everyone else is refused
    before any unit is looked at (the refusal says nothing about a unit)."""
    return lambda role, position: ok if ORG in EXPECTED_CAPABILITIES[role] else other


def listed(need: str = V) -> Callable[[str, str], bool]:
    """For lists: whether the C1 row should be in the answer."""
    return lambda role, position: position in COVERS and need in EXPECTED_CAPABILITIES[role]


@dataclass
class Endpoint:
    expect: Callable[[str, str], int]
    path: str  # formatted with the world
    body: Callable[[World], Any] | None = None
    contains: Callable[[World, bytes], bool] | None = None  # lists: is C1's row there?
    shown: Callable[[str, str], bool] | None = None  # lists: should it be?


def _unit_row(code="NEW", parent="C1"):
    return {"code": code, "name": "New", "kind": "workteam", "parent": parent}


def _has(text: str) -> Callable[[World, bytes], bool]:
    return lambda world, content: text.format(w=world).encode() in content


def _person_outcome(role: str, position: str, ok: int, not_organiser: int) -> int:
    """Acting on "someone" (a reporter on C1): an organiser whose subtree holds C1 may; another
    organiser does not see them (404); anyone else is refused before any person is looked up."""
    if ORG not in EXPECTED_CAPABILITIES[role]:
        return not_organiser
    return ok if position in COVERS else 404


def proposing(ok: int, hidden: int = 404):
    """Proposing a reserve for C1: a member, reporter, unit head or organiser over C1 (PARTICIPATE
    or REPORT); refused to others who see C1; `hidden` to those who do not."""

    def expect(role: str, position: str) -> int:
        caps = EXPECTED_CAPABILITIES[role]
        if position in COVERS and (PA in caps or R in caps):
            return ok
        return 403 if position in COVERS and V in caps else hidden

    return expect


def reporting(ok: int):
    """The report pages of "running" (organised by C1, scope C1): one may report there when
    one may report somewhere in its scope — any grant but the sibling's (W1 is inside C1);
    403 for those who see the movement without that (movement_of_c1), 404 for the rest."""

    def expect(role: str, position: str) -> int:
        caps = EXPECTED_CAPABILITIES[role]
        if position != "sibling" and R in caps:
            return ok
        return 403 if position != "sibling" and V in caps else 404

    return expect


def verifying(ok: int):
    """The verification pages of "running" (organised by C1, scope C1): one verifies there
    when one may verify somewhere in its scope — any grant but the sibling's; 403 for those
    who see the movement without that, 404 for the rest."""

    def expect(role: str, position: str) -> int:
        caps = EXPECTED_CAPABILITIES[role]
        if position != "sibling" and VF in caps:
            return ok
        return 403 if position != "sibling" and V in caps else 404

    return expect


ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    # units
    ("POST", "/api/v1/units"): Endpoint(
        on_unit(201, 403, 422, need=M), "/api/v1/units", lambda w: _unit_row()
    ),
    ("POST", "/api/v1/units/import"): Endpoint(
        on_unit(200, 422, 422, need=M), "/api/v1/units/import", lambda w: [_unit_row()]
    ),
    ("GET", "/api/v1/units/{code}"): Endpoint(on_unit(200), "/api/v1/units/C1"),
    # C1 has children: an allowed delete meets the history rule (409), a refused one never.
    ("DELETE", "/api/v1/units/{code}"): Endpoint(on_unit(409, need=M), "/api/v1/units/C1"),
    ("POST", "/api/v1/units/{code}/move"): Endpoint(
        # Moving C1 under its own parent P1 needs the right on P1 as well: only an ancestor
        # grant has it; a grant on C1 itself does not see P1 (422, as an unknown unit).
        lambda role, position: (
            on_unit(200, need=M)(role, position)
            if position != "self" or M not in EXPECTED_CAPABILITIES[role]
            else 422
        ),
        "/api/v1/units/C1/move",
        lambda w: {"parent": "P1"},
    ),
    ("POST", "/api/v1/units/{code}/archive"): Endpoint(
        on_unit(200, need=M), "/api/v1/units/C1/archive"
    ),
    ("GET", "/api/v1/units/{code}/subtree"): Endpoint(on_unit(200), "/api/v1/units/C1/subtree"),
    ("GET", "/api/v1/units/{code}/ancestors"): Endpoint(on_unit(200), "/api/v1/units/C1/ancestors"),
    ("GET", "/api/v1/units/{code}/children"): Endpoint(on_unit(200), "/api/v1/units/C1/children"),
    ("POST", "/api/v1/units/{code}/members"): Endpoint(
        on_unit(201, need=M), "/api/v1/units/C1/members", lambda w: {"full_name": "A. Worker"}
    ),
    ("GET", "/api/v1/units/{code}/members"): Endpoint(on_unit(200), "/api/v1/units/C1/members"),
    ("POST", "/api/v1/blocks"): Endpoint(
        on_unit(201, 403, 422, need=M),
        "/api/v1/blocks",
        lambda w: {"code": "new-block", "name": "New", "units": ["C1"]},
    ),
    ("GET", "/api/v1/blocks"): Endpoint(
        anyone(200), "/api/v1/blocks", contains=_has('"code": "b"'), shown=listed()
    ),
    ("GET", "/api/v1/blocks/{code}"): Endpoint(on_unit(200), "/api/v1/blocks/b"),
    ("PUT", "/api/v1/blocks/{code}/units"): Endpoint(
        on_unit(200, need=M), "/api/v1/blocks/b/units", lambda w: {"units": ["C1"]}
    ),
    # movements
    ("POST", "/api/v1/movements"): Endpoint(
        on_unit(201, 403, 422, need=ORG),
        "/api/v1/movements",
        lambda w: {
            "title": "New",
            "slug": "new",
            "organiser": "C1",
            "scope": ["C1"],
            "starts_on": "2025-01-01",
            "ends_on": "2025-12-31",
        },
    ),
    ("GET", "/api/v1/movements"): Endpoint(
        anyone(200),
        "/api/v1/movements",
        contains=_has('"slug": "draft"'),
        shown=lambda role, position: position != "sibling",
    ),
    ("GET", "/api/v1/movements/{slug}"): Endpoint(movement_of_c1(200), "/api/v1/movements/draft"),
    ("PATCH", "/api/v1/movements/{slug}"): Endpoint(
        movement_of_c1(200, need=ORG),
        "/api/v1/movements/draft",
        lambda w: {"rank_on_verified": True, "titles_on_verified": True},
    ),
    ("POST", "/api/v1/movements/{slug}/launch"): Endpoint(
        movement_of_c1(200, need=ORG), "/api/v1/movements/draft/launch"
    ),
    ("POST", "/api/v1/movements/{slug}/close"): Endpoint(
        movement_of_c1(200, need=ORG), "/api/v1/movements/running/close"
    ),
    ("POST", "/api/v1/movements/{slug}/indicators"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/indicators",
        lambda w: {"code": "coal", "name": "Coal", "unit_of_measure": "t"},
    ),
    ("GET", "/api/v1/movements/{slug}/indicators"): Endpoint(
        movement_of_c1(200), "/api/v1/movements/draft/indicators"
    ),
    ("POST", "/api/v1/movements/{slug}/periods"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/periods",
        lambda w: {"name": "Spring", "starts_on": "2025-03-01", "ends_on": "2025-05-31"},
    ),
    ("POST", "/api/v1/movements/{slug}/periods/monthly"): Endpoint(
        movement_of_c1(201, need=ORG), "/api/v1/movements/draft/periods/monthly"
    ),
    ("POST", "/api/v1/movements/{slug}/periods/generate"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/periods/generate",
        lambda w: {"every": "week", "week_starts": "monday"},
    ),
    ("POST", "/api/v1/movements/{slug}/periods/custom"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/periods/custom",
        lambda w: {
            "periods": [{"name": "Spring", "starts_on": "2025-03-01", "ends_on": "2025-05-31"}]
        },
    ),
    ("GET", "/api/v1/movements/{slug}/periods"): Endpoint(
        movement_of_c1(200), "/api/v1/movements/draft/periods"
    ),
    ("POST", "/api/v1/movements/{slug}/plans"): Endpoint(
        # The movement must be visible (else 404); then each row is judged: C1 invisible to a
        # descendant grant (422, unknown), visible without the right to plan (422, refused).
        lambda role, position: (
            404
            if position == "sibling" or V not in EXPECTED_CAPABILITIES[role]
            else 200
            if position in COVERS and P in EXPECTED_CAPABILITIES[role]
            else 422
        ),
        "/api/v1/movements/draft/plans",
        lambda w: {"rows": [{"unit": "C1", "indicator": "steel", "planned": "120"}]},
    ),
    ("GET", "/api/v1/movements/{slug}/plans"): Endpoint(
        movement_of_c1(200),
        "/api/v1/movements/draft/plans",
        contains=_has('"unit": "C1"'),
        shown=listed(),
    ),
    ("POST", "/api/v1/movements/{slug}/pledges"): Endpoint(
        on_unit(201, 403, 422, need=P),
        "/api/v1/movements/drive/pledges",
        lambda w: {"unit": "C1", "indicator": "steel", "extra": "3"},
    ),
    ("GET", "/api/v1/movements/{slug}/pledges"): Endpoint(
        anyone(200),
        "/api/v1/movements/drive/pledges",
        contains=_has('"unit": "C1"'),
        shown=listed(),
    ),
    ("POST", "/api/v1/movements/{slug}/secondments"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/running/secondments",
        lambda w: {"brigade": "W1", "home": "W2", "persons": 3},
    ),
    ("GET", "/api/v1/movements/{slug}/secondments"): Endpoint(
        movement_of_c1(200), "/api/v1/movements/running/secondments"
    ),
    # ledger
    ("POST", "/api/v1/movements/{slug}/reports"): Endpoint(
        on_unit(201, 422, 422, need=R),
        "/api/v1/movements/drive/reports",
        lambda w: {"unit": "C1", "indicator": "steel", "day": DAY, "quantity": "2"},
    ),
    ("GET", "/api/v1/reports/{report_id}"): Endpoint(on_unit(200), "/api/v1/reports/{w.report}"),
    ("POST", "/api/v1/reports/{report_id}/corrections"): Endpoint(
        on_unit(201, need=R),
        "/api/v1/reports/{w.report}/corrections",
        lambda w: {"quantity": "6", "reason": "miscounted"},
    ),
    ("GET", "/api/v1/movements/{slug}/reports"): Endpoint(
        anyone(200),
        "/api/v1/movements/drive/reports",
        contains=_has('"id": {w.report}'),
        shown=listed(),
    ),
    ("GET", "/api/v1/movements/{slug}/reports.csv"): Endpoint(
        anyone(200),
        "/api/v1/movements/drive/reports.csv",
        contains=lambda w, content: b"\r\n%d," % w.report in content,
        shown=listed(),
    ),
    # verification: the queue of "drive" (scope KP) is anyone's who verifies anywhere in it
    # (their own subtrees' queue); a decision needs VERIFY over the report's unit
    ("GET", "/api/v1/movements/{slug}/verification/queue"): Endpoint(
        lambda role, position: 200 if VF in EXPECTED_CAPABILITIES[role] else 403,
        "/api/v1/movements/drive/verification/queue",
    ),
    ("POST", "/api/v1/reports/{report_id}/verification"): Endpoint(
        on_unit(201, need=VF),
        "/api/v1/reports/{w.report}/verification",
        lambda w: {"decision": "confirm"},
    ),
    ("GET", "/api/v1/reports/{report_id}/verification"): Endpoint(
        on_unit(200), "/api/v1/reports/{w.report}/verification"
    ),
    # figures
    # the reports behind a figure: the viewer must see the unit (not only its figures)
    ("GET", "/api/v1/movements/{slug}/units/{code}/reports"): Endpoint(
        on_unit(200), "/api/v1/movements/drive/units/C1/reports?indicator=steel"
    ),
    ("GET", "/api/v1/movements/{slug}/figures"): Endpoint(
        on_unit(200, hidden=422), "/api/v1/movements/drive/figures?unit=C1"
    ),
    # accounts
    ("GET", "/api/v1/tokens"): Endpoint(anyone(200), "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"): Endpoint(anyone(201), "/api/v1/tokens", lambda w: {"name": "x"}),
    ("POST", "/api/v1/tokens/{token_id}/revoke"): Endpoint(
        anyone(200), "/api/v1/tokens/{token_id}/revoke"
    ),
    ("POST", "/api/v1/users"): Endpoint(
        organisers_anywhere(201),
        "/api/v1/users",
        lambda w: {"username": "newcomer", "full_name": "New Comer"},
    ),
    ("POST", "/api/v1/users/{username}/deactivate"): Endpoint(
        lambda role, position: _person_outcome(role, position, 200, 403),
        "/api/v1/users/someone/deactivate",
    ),
    ("PATCH", "/api/v1/users/{username}"): Endpoint(
        lambda role, position: _person_outcome(role, position, 200, 403),
        "/api/v1/users/someone",
        lambda w: {"full_name": "Some One"},
    ),
    ("POST", "/api/v1/users/{username}/reactivate"): Endpoint(
        lambda role, position: _person_outcome(role, position, 200, 403),
        "/api/v1/users/someone/reactivate",
    ),
    ("GET", "/api/v1/grants"): Endpoint(
        anyone(200),
        "/api/v1/grants",
        contains=_has('"username": "someone"'),
        shown=listed(G),
    ),
    ("POST", "/api/v1/grants"): Endpoint(
        on_unit(201, 403, 422, need=G),
        "/api/v1/grants",
        lambda w: {"username": "someone", "role": "viewer", "unit": "C1"},
    ),
    ("POST", "/api/v1/grants/{grant_id}/withdraw"): Endpoint(
        # Grants are listed only to those who may manage them: no 403, only 404.
        lambda role, position: (
            200 if position in COVERS and G in EXPECTED_CAPABILITIES[role] else 404
        ),
        "/api/v1/grants/{w.others_grant.pk}/withdraw",
    ),
    # audit
    ("GET", "/api/v1/audit"): Endpoint(
        lambda role, position: 200 if A in EXPECTED_CAPABILITIES[role] else 403,
        "/api/v1/audit?action=accounts.grant_role",
        contains=_has('"target": "someone'),
        shown=listed(A),
    ),
    # emulation: a ranking of block b (C1 alone) in "drive" (KP-wide, private), and a
    # challenge of C1 by C3 in "race" (KP-wide, private). Every grant of the matrix sees both
    # movements; C1's figures are seen only with VIEW over C1 (can_see_figures: the
    # movements are not public).
    ("GET", "/api/v1/movements/{slug}/scorings"): Endpoint(
        anyone(200), "/api/v1/movements/drive/scorings"
    ),
    ("POST", "/api/v1/movements/{slug}/scorings"): Endpoint(
        # ranking block b (C1) in C1's draft: ORGANISE on the movement
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/scorings",
        lambda w: {
            "code": "new",
            "name": "New",
            "block": "b",
            "components": [{"indicator": "steel"}],
        },
    ),
    ("PATCH", "/api/v1/movements/{slug}/scorings/{code}"): Endpoint(
        # renaming ranking "old" of C1's draft: ORGANISE on the movement
        movement_of_c1(200, need=ORG),
        "/api/v1/movements/draft/scorings/old",
        lambda w: {"name": "Renamed"},
    ),
    ("POST", "/api/v1/movements/{slug}/scorings/{code}/retire"): Endpoint(
        movement_of_c1(200, need=ORG), "/api/v1/movements/draft/scorings/old/retire"
    ),
    ("GET", "/api/v1/movements/{slug}/rankings/{code}"): Endpoint(
        anyone(200),
        "/api/v1/movements/drive/rankings/main",
        contains=_has('"code": "C1"'),
        shown=listed(),
    ),
    ("GET", "/api/v1/movements/{slug}/rankings/{code}/units/{unit}"): Endpoint(
        on_unit(200),
        "/api/v1/movements/drive/rankings/main/units/C1",
    ),
    ("GET", "/api/v1/movements/{slug}/overtakings"): Endpoint(
        # the unit named in the query: unknown when hidden (422)
        on_unit(200, hidden=422),
        "/api/v1/movements/drive/overtakings?unit=C1",
    ),
    ("GET", "/api/v1/notifications"): Endpoint(
        anyone(200),
        "/api/v1/notifications",
        contains=_has("challenges you"),  # C1's notification of the challenge
        shown=listed(),
    ),
    ("GET", "/api/v1/movements/{slug}/challenges"): Endpoint(
        anyone(200),
        "/api/v1/movements/race/challenges",
        contains=_has('"id": {w.x.challenge.pk}'),
        shown=listed(),
    ),
    ("POST", "/api/v1/movements/{slug}/challenges"): Endpoint(
        # C1 challenges W1: the challenger needs PLAN; a hidden challenger is unknown (422)
        on_unit(201, 403, 422, need=P),
        "/api/v1/movements/race/challenges",
        lambda w: {
            "challenger": "C1",
            "opponent": "W1",
            "indicator": "steel",
            "answer_by": str(w.x.answer_by),
        },
    ),
    ("GET", "/api/v1/challenges/{challenge_id}"): Endpoint(
        # seen by those who see one of its units (C3, C1): only grants covering C1
        on_unit(200),
        "/api/v1/challenges/{w.x.challenge.pk}",
    ),
    ("POST", "/api/v1/challenges/{challenge_id}/accept"): Endpoint(
        # the challenge is hidden from those who see neither C3 nor C1 (404)
        on_unit(200, need=P),
        "/api/v1/challenges/{w.x.challenge.pk}/accept",
        lambda w: {"unit": "C1"},
    ),
    ("POST", "/api/v1/challenges/{challenge_id}/decline"): Endpoint(
        # the challenge is hidden from those who see neither C3 nor C1 (404)
        on_unit(200, need=P),
        "/api/v1/challenges/{w.x.challenge.pk}/decline",
        lambda w: {"unit": "C1"},
    ),
    # experience: practices of C3 in "race" (a practice is published to the whole movement,
    # which every grant sees); C1 publishes, adopts or withdraws with PLAN over it, and a
    # hidden C1 named in a body is unknown (422)
    ("GET", "/api/v1/movements/{slug}/practices"): Endpoint(
        anyone(200), "/api/v1/movements/race/practices"
    ),
    ("POST", "/api/v1/movements/{slug}/practices"): Endpoint(
        on_unit(201, 403, 422, need=P),
        "/api/v1/movements/race/practices",
        lambda w: {"unit": "C1", "title": "From C1", "text": "How.", "indicator": "steel"},
    ),
    ("GET", "/api/v1/practices/{practice_id}"): Endpoint(
        anyone(200), "/api/v1/practices/{w.x.practice.pk}"
    ),
    ("GET", "/api/v1/practices/{practice_id}/effect"): Endpoint(
        anyone(200), "/api/v1/practices/{w.x.adopted_practice.pk}/effect"
    ),
    ("POST", "/api/v1/practices/{practice_id}/adoptions"): Endpoint(
        on_unit(201, 403, 422, need=P),
        "/api/v1/practices/{w.x.practice.pk}/adoptions",
        lambda w: {"unit": "C1"},
    ),
    ("POST", "/api/v1/adoptions/{adoption_id}/withdraw"): Endpoint(
        on_unit(200, need=P), "/api/v1/adoptions/{w.x.adoption.pk}/withdraw", lambda w: {}
    ),
    ("GET", "/api/v1/practices/{practice_id}/attachments"): Endpoint(
        anyone(200), "/api/v1/practices/{w.x.c1_practice.pk}/attachments"
    ),
    ("POST", "/api/v1/practices/{practice_id}/attachments"): Endpoint(
        on_unit(201, need=P),
        "/api/v1/practices/{w.x.c1_practice.pk}/attachments",
        lambda w: {"file": SimpleUploadedFile("m.pdf", matrix_world.PDF)},
    ),
    ("GET", "/api/v1/practices/attachments/{attachment_id}"): Endpoint(
        anyone(200), "/api/v1/practices/attachments/{w.x.practice_attachment.pk}"
    ),
    # reserves of C1: proposing needs PARTICIPATE or REPORT; review etc. PLAN; verify VERIFY
    ("POST", "/api/v1/reserves"): Endpoint(
        proposing(201, hidden=422),
        "/api/v1/reserves",
        lambda w: {
            "unit": "C1",
            "kind": "time",
            "description": "Shorter shift handover",
            "estimated": "2",
            "measure": "hours",
        },
    ),
    ("GET", "/api/v1/reserves"): Endpoint(
        anyone(200),
        "/api/v1/reserves",
        contains=_has('"id": {w.x.reserve.pk}'),
        shown=listed(),
    ),
    ("GET", "/api/v1/reserves/{reserve_id}"): Endpoint(
        on_unit(200), "/api/v1/reserves/{w.x.reserve.pk}"
    ),
    ("POST", "/api/v1/reserves/{reserve_id}/transition"): Endpoint(
        on_unit(200, need=VF),
        "/api/v1/reserves/{w.x.implemented_reserve.pk}/transition",
        lambda w: {"action": "verify", "verified": "35", "measure": "kWh"},
    ),
    ("GET", "/api/v1/units/{code}/reserve-figures"): Endpoint(
        on_unit(200), "/api/v1/units/C1/reserve-figures"
    ),
    # links of C1's "running": seen with the movement, set and removed by its organisers
    ("GET", "/api/v1/movements/{slug}/reserve-links"): Endpoint(
        movement_of_c1(200), "/api/v1/movements/running/reserve-links"
    ),
    ("POST", "/api/v1/movements/{slug}/reserve-links"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/running/reserve-links",
        lambda w: {"kind": "material", "measure": "t", "indicator": "steel", "factor": "0.5"},
    ),
    ("DELETE", "/api/v1/movements/{slug}/reserve-links/{link_id}"): Endpoint(
        movement_of_c1(204, need=ORG),
        "/api/v1/movements/running/reserve-links/{w.x.reserve_link.pk}",
    ),
    # plausibility flag rules of C1's "running": read and set by its organisers only (the
    # thresholds are not for those whose reports they judge)
    ("GET", "/api/v1/movements/{slug}/flag-rules"): Endpoint(
        movement_of_c1(200, need=ORG), "/api/v1/movements/running/flag-rules"
    ),
    ("PUT", "/api/v1/movements/{slug}/flag-rules"): Endpoint(
        movement_of_c1(200, need=ORG),
        "/api/v1/movements/running/flag-rules",
        lambda w: {"late": {"enabled": False}},
    ),
    # voices about C1, routed to C1: raising needs PARTICIPATE or REPORT; steps PLAN there
    ("GET", "/api/v1/voice-topics"): Endpoint(anyone(200), "/api/v1/voice-topics"),
    ("POST", "/api/v1/voice-topics"): Endpoint(
        on_unit(200, 403, 422, need=ORG),
        "/api/v1/voice-topics",
        lambda w: {"code": "c1-topic", "name": "C1 topic", "organiser": "C1"},
    ),
    ("POST", "/api/v1/voices"): Endpoint(
        proposing(201, hidden=422),
        "/api/v1/voices",
        lambda w: {"topic": "matrix-topic", "unit": "C1", "subject": "S", "text": "T"},
    ),
    ("GET", "/api/v1/voices"): Endpoint(
        anyone(200),
        "/api/v1/voices",
        contains=_has('"id": {w.x.voice.pk}'),
        shown=listed(),
    ),
    ("GET", "/api/v1/voices/{voice_id}"): Endpoint(on_unit(200), "/api/v1/voices/{w.x.voice.pk}"),
    ("POST", "/api/v1/voices/{voice_id}/steps"): Endpoint(
        on_unit(200, need=P),
        "/api/v1/voices/{w.x.voice.pk}/steps",
        lambda w: {"action": "answer", "note": "Answered"},
    ),
    ("GET", "/api/v1/units/{code}/voice-figures"): Endpoint(
        on_unit(200), "/api/v1/units/C1/voice-figures"
    ),
    # drives: "gifts", "call" and "enlist" are KP-wide private movements; asked about C1
    ("GET", "/api/v1/drives"): Endpoint(anyone(200), "/api/v1/drives"),
    # setting drives up on C1's draft: ORGANISE on the movement
    ("POST", "/api/v1/movements/{slug}/donation-drive"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/donation-drive",
        lambda w: {"items": [{"code": "rice", "name": "Rice", "unit_of_measure": "t"}]},
    ),
    ("POST", "/api/v1/movements/{slug}/volunteer-call"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/volunteer-call",
        lambda w: {"quota": 5, "opens_at": "2025-03-01T09:00", "closes_at": "2025-03-10T09:00"},
    ),
    ("POST", "/api/v1/movements/{slug}/enlistment-drive"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/draft/enlistment-drive",
        lambda w: {"reporting_kind": "county", "roles": [{"code": "medics", "name": "Medics"}]},
    ),
    ("GET", "/api/v1/movements/{slug}/donations"): Endpoint(
        on_unit(200), "/api/v1/movements/gifts/donations?unit=C1"
    ),
    ("POST", "/api/v1/movements/{slug}/donations"): Endpoint(
        # rows are judged one by one: 422 whether C1 is refused or hidden
        on_unit(201, 422, 422, need=R),
        "/api/v1/movements/gifts/donations",
        lambda w: {
            "donations": [{"item": "rice", "stage": "received", "unit": "C1", "quantity": "2"}]
        },
    ),
    # named targets of C1's donation drive "arms": seen with the movement, named by organisers
    ("GET", "/api/v1/movements/{slug}/donations/targets"): Endpoint(
        movement_of_c1(200), "/api/v1/movements/arms/donations/targets"
    ),
    ("POST", "/api/v1/movements/{slug}/donations/targets"): Endpoint(
        movement_of_c1(201, need=ORG),
        "/api/v1/movements/arms/donations/targets",
        lambda w: {"targets": [{"item": "funds", "name": "A truck", "price": "100"}]},
    ),
    ("GET", "/api/v1/movements/{slug}/volunteers"): Endpoint(
        on_unit(200), "/api/v1/movements/call/volunteers?unit=C1"
    ),
    ("POST", "/api/v1/movements/{slug}/volunteers/signups"): Endpoint(
        # signing people of C1 up is participating (members; unit heads and organisers too)
        on_unit(201, 422, 422, need=PA),
        "/api/v1/movements/call/volunteers/signups",
        lambda w: {
            "signups": [{"unit": "C1", "full_name": "New Person", "contact": "+850 2 999 0001"}]
        },
    ),
    ("GET", "/api/v1/signups/{code}"): Endpoint(
        anyone(200),
        "/api/v1/signups/{w.x.public_signup}",  # the code is the key
    ),
    ("POST", "/api/v1/movements/{slug}/volunteers/status"): Endpoint(
        on_unit(200, need=P),
        "/api/v1/movements/call/volunteers/status",
        lambda w: {"codes": [w.x.pending_signup], "status": "accepted"},
    ),
    ("POST", "/api/v1/movements/{slug}/volunteers/placements"): Endpoint(
        on_unit(200, need=P),
        "/api/v1/movements/call/volunteers/placements",
        lambda w: {"placements": [{"code": w.x.accepted_signup, "place": w.x.place}]},
    ),
    ("GET", "/api/v1/movements/{slug}/enlistment"): Endpoint(
        on_unit(200), "/api/v1/movements/enlist/enlistment?unit=C1"
    ),
    ("POST", "/api/v1/movements/{slug}/enlistment"): Endpoint(
        on_unit(201, 422, 422, need=R),
        "/api/v1/movements/enlist/enlistment",
        lambda w: {"returns": [{"unit": "C1", "counts": {"medical": "3"}}]},
    ),
    # titles: pack "matrix"; runs over C1 (star: with a council vote, nominated; plain:
    # awarded without a vote); the candidate is a member of C1
    ("GET", "/api/v1/titles/packs"): Endpoint(anyone(200), "/api/v1/titles/packs"),
    ("POST", "/api/v1/titles/packs"): Endpoint(
        organisers_anywhere(201),
        "/api/v1/titles/packs",
        lambda w: {"text": matrix_world.OTHER_PACK},
    ),
    ("GET", "/api/v1/titles/packs/{slug}/export"): Endpoint(
        anyone(200), "/api/v1/titles/packs/matrix/export"
    ),
    ("POST", "/api/v1/titles/facts/{kind}"): Endpoint(
        # organisers only; the member (of C1) named in the body: unknown when hidden (422)
        on_unit(201, 403, 422, need=ORG),
        "/api/v1/titles/facts/evaluations",
        lambda w: {
            "rows": [{"member": "c1-0", "year": "2024", "rating": "good", "months_worked": "12"}],
            "source": "matrix",
        },
    ),
    ("POST", "/api/v1/titles/runs"): Endpoint(
        on_unit(201, 403, 422, need=ORG),
        "/api/v1/titles/runs",
        lambda w: {"pack": "matrix", "title": "plain", "year": 2023, "scope": "C1"},
    ),
    ("GET", "/api/v1/titles/runs/{run_id}"): Endpoint(
        on_unit(200), "/api/v1/titles/runs/{w.x.star_run.pk}"
    ),
    ("GET", "/api/v1/titles/runs/{run_id}/candidates"): Endpoint(
        on_unit(200), "/api/v1/titles/runs/{w.x.star_run.pk}/candidates"
    ),
    ("GET", "/api/v1/titles/candidates/{candidate_id}"): Endpoint(
        on_unit(200), "/api/v1/titles/candidates/{w.x.candidate.pk}"
    ),
    ("POST", "/api/v1/titles/runs/{run_id}/nominations"): Endpoint(
        on_unit(201, need=ORG), "/api/v1/titles/runs/{w.x.star_run.pk}/nominations"
    ),
    ("POST", "/api/v1/titles/runs/{run_id}/awards"): Endpoint(
        on_unit(201, need=ORG), "/api/v1/titles/runs/{w.x.plain_run.pk}/awards"
    ),
    ("POST", "/api/v1/titles/candidates/{candidate_id}/award"): Endpoint(
        # organisers pass the door and meet the state: this candidate already holds the title
        on_unit(409, need=ORG),
        "/api/v1/titles/candidates/{w.x.award.candidate_id}/award",
    ),
    ("POST", "/api/v1/titles/nominations/{nomination_id}/votes"): Endpoint(
        on_unit(201, need=VO),
        "/api/v1/titles/nominations/{w.x.nomination.pk}/votes",
        lambda w: {"choice": "yes"},
    ),
    ("POST", "/api/v1/titles/nominations/{nomination_id}/decision"): Endpoint(
        on_unit(200, need=ORG), "/api/v1/titles/nominations/{w.x.nomination.pk}/decision"
    ),
    ("POST", "/api/v1/titles/awards/{code}/revocation"): Endpoint(
        on_unit(201, need=ORG),
        "/api/v1/titles/awards/{w.x.award.code}/revocation",
        lambda w: {"reason": "misreported", "revoked_on": str(matrix_world.TODAY)},
    ),
    ("POST", "/api/v1/titles/awards/import"): Endpoint(
        # organisers only; the member (of C1) named in a row: unknown when hidden (422)
        on_unit(201, 403, 422, need=ORG),
        "/api/v1/titles/awards/import",
        lambda w: {
            "pack": "matrix",
            "rows": [{**matrix_world.PAST_AWARD, "year": "2020", "decision_date": "2020-12-30"}],
            "source": "matrix",
        },
    ),
    ("POST", "/api/v1/titles/awards/{code}/decision"): Endpoint(
        on_unit(201, need=ORG),
        "/api/v1/titles/awards/{w.x.award.code}/decision",
        lambda w: matrix_world.DECISION,
    ),
    ("GET", "/api/v1/titles/nominations/{nomination_id}/attachments"): Endpoint(
        on_unit(200), "/api/v1/titles/nominations/{w.x.nomination.pk}/attachments"
    ),
    ("POST", "/api/v1/titles/nominations/{nomination_id}/attachments"): Endpoint(
        on_unit(201, need=ORG),
        "/api/v1/titles/nominations/{w.x.nomination.pk}/attachments",
        lambda w: {"kind": "report", "file": SimpleUploadedFile("r.pdf", matrix_world.PDF)},
    ),
    ("GET", "/api/v1/titles/attachments/{attachment_id}"): Endpoint(
        on_unit(200), "/api/v1/titles/attachments/{w.x.attachment.pk}"
    ),
    ("POST", "/api/v1/titles/attachments/{attachment_id}/withdrawal"): Endpoint(
        on_unit(200, need=ORG),
        "/api/v1/titles/attachments/{w.x.attachment.pk}/withdrawal",
        lambda w: {"reason": "matrix"},
    ),
    ("GET", "/api/v1/titles/runs/{run_id}/minutes"): Endpoint(
        on_unit(200), "/api/v1/titles/runs/{w.x.star_run.pk}/minutes"
    ),
    ("GET", "/api/v1/titles/verify/{code}"): Endpoint(
        anyone(200),
        "/api/v1/titles/verify/{w.x.award.code}",  # public: a certificate's code
    ),
    # visits to C1: recording one and adding or marking a follow-up need VISIT (officials)
    ("POST", "/api/v1/visits"): Endpoint(
        on_unit(201, 403, 422, need=VI),
        "/api/v1/visits",
        lambda w: {"unit": "C1", "visited_on": DAY, "purpose": "Matrix", "guest_names": ["G"]},
    ),
    ("GET", "/api/v1/visits"): Endpoint(
        anyone(200),
        "/api/v1/visits",
        contains=_has('"id": {w.x.visit.pk}'),
        shown=listed(),
    ),
    ("GET", "/api/v1/visits/mine"): Endpoint(anyone(200), "/api/v1/visits/mine"),
    ("GET", "/api/v1/visits/{visit_id}"): Endpoint(on_unit(200), "/api/v1/visits/{w.x.visit.pk}"),
    ("POST", "/api/v1/visits/{visit_id}/follow-ups"): Endpoint(
        on_unit(201, need=VI),
        "/api/v1/visits/{w.x.visit.pk}/follow-ups",
        lambda w: {"what": "More", "owner": "someone", "due_on": DAY},
    ),
    ("POST", "/api/v1/follow-ups/{task_id}/mark"): Endpoint(
        on_unit(200, need=VI),
        "/api/v1/follow-ups/{w.x.follow_up.pk}/mark",
        lambda w: {"done": True},
    ),
    ("GET", "/api/v1/units/{code}/visit-coverage"): Endpoint(
        on_unit(200),
        "/api/v1/units/C1/visit-coverage?kind=county&start=2025-01-01&end=2025-12-31",
        contains=_has('"visited": 1'),
        shown=listed(),
    ),
    ("GET", "/api/v1/units/{code}/overdue-follow-ups"): Endpoint(
        on_unit(200),
        "/api/v1/units/C1/overdue-follow-ups",
        contains=_has('"id": {w.x.follow_up.pk}'),
        shown=listed(),
    ),
}


def _operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_endpoint_has_an_entry():
    missing = _operations() - ENDPOINTS.keys()
    stale = ENDPOINTS.keys() - _operations()
    assert not missing, f"add these endpoints to the permission matrix: {sorted(missing)}"
    assert not stale, f"these entries name no endpoint: {sorted(stale)}"


def test_roles_hold_exactly_the_expected_capabilities():
    from pacesetter.accounts.permissions import ROLE_CAPABILITIES

    assert {role: {c.value for c in caps} for role, caps in ROLE_CAPABILITIES.items()} == (
        EXPECTED_CAPABILITIES
    )


def _call(client: Client, method: str, path: str, body: Any, **headers):
    if body is None:
        return client.generic(method, path, **headers)
    if isinstance(body, dict) and any(isinstance(v, SimpleUploadedFile) for v in body.values()):
        return client.post(path, body, **headers)  # multipart: an endpoint that takes a file
    return client.generic(
        method, path, json.dumps(body), content_type="application/json", **headers
    )


@pytest.mark.parametrize("operation", sorted(ENDPOINTS), ids=lambda op: f"{op[0]} {op[1]}")
def test_endpoint(operation, world):
    method, _ = operation
    entry = ENDPOINTS[operation]
    client = Client()
    failures = []
    for (role, position), key in world.tokens.items():
        with transaction.atomic():
            path = entry.path
            if "{token_id}" in path:
                path = path.replace(
                    "{token_id}",
                    str(world.users[(role, position)].api_tokens.get(name="matrix").pk),
                )
            path = path.format(w=world)
            body = entry.body(world) if entry.body else None
            response = _call(client, method, path, body, HTTP_AUTHORIZATION=f"Bearer {key}")
            failure = _check(entry, world, role, position, response)
            if failure:
                failures.append(failure)
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def _check(entry, world, role, position, response) -> str | None:
    expected: int | str = entry.expect(role, position)
    got: int | str = response.status_code
    if got == expected and entry.contains is not None:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        shown = entry.shown(role, position)
        if entry.contains(world, content) != shown:
            got, expected = ("missing" if shown else "leaked"), ("shown" if shown else "hidden")
    failure = None if got == expected else f"{role}@{position}: {got} != {expected}"
    if failure and isinstance(got, int) and not response.streaming:
        failure += f" {response.content[:160]!r}"
    return failure


# --- pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    expect: Callable[[str, str], int]
    path: str
    method: str = "GET"
    data: Callable[[World], dict] | None = None  # a POST's form fields
    contains: Callable[[World, bytes], bool] | None = None
    shown: Callable[[str, str], bool] | None = None
    public: int | None = None  # public by design: what a signed-out visitor gets


# Django's own sign-in pages and the public pages: no role needed, and nothing private on them.
PUBLIC_PAGES = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}

PAGES: dict[str, Page] = {
    "account": Page(anyone(200), "/account/"),
    "revoke-token": Page(anyone(302), "/account/tokens/{token_id}/revoke/", "POST"),
    "unit-roles": Page(on_unit(200, need=G), "/units/C1/roles/"),
    "units-index": Page(anyone(200), "/units/"),
    # Nobody in the matrix manages units everywhere, so nobody adds a root.
    "units-add-root": Page(anyone(403), "/units/add/", "POST"),
    # Without a file: those who manage units somewhere get the form back with its error.
    "units-upload": Page(
        lambda role, position: 422 if M in EXPECTED_CAPABILITIES[role] else 403,
        "/units/upload/",
        "POST",
    ),
    "unit-page": Page(on_unit(200), "/units/C1/"),
    "unit-edit": Page(
        on_unit(302, need=M),
        "/units/C1/edit/",
        "POST",
        lambda w: {"name": "Renamed", "kind": "county", "headcount": "3"},
    ),
    "unit-add": Page(
        on_unit(302, need=M),
        "/units/C1/add/",
        "POST",
        lambda w: {"add-code": "NEW", "add-name": "New", "add-kind": "workteam"},
    ),
    "unit-move": Page(
        # Under C2: an organiser of C1 itself does not see C2 (the form says so, 422).
        lambda role, position: (
            422
            if position == "self" and M in EXPECTED_CAPABILITIES[role]
            else on_unit(302, need=M)(role, position)
        ),
        "/units/C1/move/",
        "POST",
        lambda w: {"parent": "C2"},
    ),
    "unit-archive": Page(on_unit(302, need=M), "/units/C1/archive/", "POST"),
    "people": Page(organisers_anywhere(200, 404), "/people/"),
    "person-deactivate": Page(
        lambda role, position: _person_outcome(role, position, 302, 404),
        "/people/someone/deactivate/",
        "POST",
    ),
    "person-edit": Page(
        lambda role, position: _person_outcome(role, position, 200, 404),
        "/people/someone/edit/",
    ),
    "person-reactivate": Page(
        lambda role, position: _person_outcome(role, position, 302, 404),
        "/people/someone/reactivate/",
        "POST",
    ),
    "withdraw-grant": Page(
        lambda role, position: (
            302 if position in COVERS and G in EXPECTED_CAPABILITIES[role] else 404
        ),
        "/grants/{w.others_grant.pk}/withdraw/",
        "POST",
    ),
    "audit-trail": Page(
        lambda role, position: 200 if A in EXPECTED_CAPABILITIES[role] else 403, "/audit/"
    ),
    # figures
    "home": Page(anyone(200), "/", public=200),
    "movement-detail": Page(movement_of_c1(200), "/movements/running/"),
    "unit-detail": Page(on_unit(200), "/movements/drive/units/C1/"),
    "figure-reports": Page(on_unit(200), "/movements/drive/units/C1/reports/?indicator=steel"),
    "honour-board": Page(anyone(200), "/board/open-call/", public=200),
    # ledger: the report pages of "running" (C1's own movement)
    "report-entry": Page(reporting(200), "/report/running/"),
    "report-undo": Page(
        # then the report's unit: a reporter on W1 does not see C1's report
        lambda role, position: (
            (302 if position in COVERS and R in EXPECTED_CAPABILITIES[role] else 404)
            if reporting(200)(role, position) == 200
            else reporting(200)(role, position)
        ),
        "/report/running/undo/{w.x.running_report}/",
        "POST",
        lambda w: {"reason": "miscounted", "idempotency_key": "matrix-undo"},
    ),
    "report-upload": Page(reporting(200), "/report/running/upload/"),
    # an upload token not of this session: 404 once past the movement's gate
    "report-upload-preview": Page(reporting(404), "/report/running/upload/" + "A" * 32 + "/"),
    "report-template": Page(reporting(200), "/report/running/template.csv"),
    # the verification queue of "running" (scope C1): anyone who verifies somewhere in it
    "verification-queue": Page(verifying(200), "/verify/running/"),
    "verification-decide": Page(
        # then the report's unit: a verifier on W1 does not verify C1's report
        lambda role, position: (
            (302 if position in COVERS else 404)
            if verifying(200)(role, position) == 200
            else verifying(200)(role, position)
        ),
        "/verify/running/{w.x.running_report}/",
        "POST",
        lambda w: {f"r{w.x.running_report}-decision": "confirm"},
    ),
    # movements: the organiser's pages of C1's movements
    "movement-create": Page(
        # no unit yet: organisers (of any subtree) get the form; the page is not there for
        # anyone else
        organisers_anywhere(200, 404),
        "/organise/new/",
    ),
    "movement-organise": Page(movement_of_c1(200, need=ORG), "/organise/draft/"),
    "movement-indicator-add": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/indicators/",
        "POST",
        lambda w: {
            "code": "coal",
            "name": "Coal",
            "unit_of_measure": "t",
            "aggregation": "sum",
            "direction": "more",
            "decimal_places": "0",
        },
    ),
    "movement-period-add": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/periods/",
        "POST",
        lambda w: {"name": "Spring", "starts_on": "2025-03-01", "ends_on": "2025-05-31"},
    ),
    "movement-periods-monthly": Page(
        movement_of_c1(302, need=ORG), "/organise/draft/periods/monthly/", "POST"
    ),
    "movement-periods-generate": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/periods/generate/",
        "POST",
        lambda w: {"every": "week", "week_starts": "monday"},
    ),
    "movement-plan-set": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/plans/",
        "POST",
        lambda w: {"unit_code": "C1", "indicator": "steel", "planned": "120"},
    ),
    "movement-plans-upload": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/plans/upload/",
        "POST",
        lambda w: {
            "file": SimpleUploadedFile(
                "plans.csv", b"unit_code,indicator,planned\r\nC1,steel,130\r\n", "text/csv"
            )
        },
    ),
    # an organiser's preview of an upload of theirs; no upload has this token
    "movement-plans-preview": Page(
        movement_of_c1(404, need=ORG), "/organise/draft/plans/upload/" + "t" * 32 + "/"
    ),
    "movement-plans-template": Page(
        movement_of_c1(200, need=ORG), "/organise/draft/plans/template.csv"
    ),
    "movement-launch": Page(movement_of_c1(302, need=ORG), "/organise/draft/launch/", "POST"),
    "movement-verified-only": Page(
        movement_of_c1(302, need=ORG),
        "/organise/draft/verified-only/",
        "POST",
        lambda w: {"rank_on_verified": "on"},
    ),
    "movement-close": Page(movement_of_c1(302, need=ORG), "/organise/running/close/", "POST"),
    # emulation (see the API entries)
    "emulation-home": Page(anyone(200), "/movements/drive/emulation/"),
    "emulation-leaderboard": Page(
        anyone(200),
        "/movements/drive/emulation/main/",
        contains=_has("Unit C1"),
        shown=listed(),
    ),
    "emulation-overtakings": Page(anyone(200), "/movements/drive/emulation/overtakings/"),
    "emulation-set-up": Page(movement_of_c1(200, need=ORG), "/movements/draft/emulation/set-up/"),
    "emulation-block-create": Page(
        # a block of C1: ORGANISE on the movement, and MANAGE_UNITS on C1 (organisers have both)
        movement_of_c1(302, need=ORG),
        "/movements/draft/emulation/set-up/block/",
        "POST",
        lambda w: {"code": "nb", "name": "New block", "units": "C1"},
    ),
    "emulation-scoring-create": Page(
        movement_of_c1(302, need=ORG),
        "/movements/draft/emulation/set-up/ranking/",
        "POST",
        lambda w: {
            "block": "b",
            "code": "new",
            "name": "New",
            "indicator_1": "steel",
            "normalisation_1": "fulfilment",
        },
    ),
    "emulation-scoring-change": Page(
        movement_of_c1(302, need=ORG),
        "/movements/draft/emulation/set-up/ranking/old/change/",
        "POST",
        lambda w: {"name": "Renamed"},
    ),
    "emulation-scoring-retire": Page(
        movement_of_c1(302, need=ORG),
        "/movements/draft/emulation/set-up/ranking/old/retire/",
        "POST",
        lambda w: {"confirm": "on"},
    ),
    "emulation-challenges": Page(
        anyone(200),
        "/movements/race/emulation/challenges/",
        contains=_has('href="/challenges/{w.x.challenge.pk}/"'),
        shown=listed(),
    ),
    "challenge-detail": Page(on_unit(200), "/challenges/{w.x.challenge.pk}/"),
    "emulation-notifications": Page(
        anyone(200), "/notifications/", contains=_has("challenges you"), shown=listed()
    ),
    # experience: practices of C3 in "race" (every grant sees the movement, and a practice is
    # published to the whole movement); C1 adopts, or withdraws its adoption, with PLAN over
    # it. A unit not offered in the form is the body's fault (422); no PLAN anywhere, 403.
    "practice-list": Page(
        anyone(200),
        "/movements/race/practices/",
        contains=_has("Matrix practice"),
        shown=lambda role, position: True,
    ),
    "practice-detail": Page(anyone(200), "/practices/{w.x.practice.pk}/"),
    "practice-publish": Page(
        _planning(302),
        "/movements/race/practices/publish/",
        "POST",
        lambda w: {
            "unit": "C1",
            "title": "From C1",
            "text": "How.",
            "indicator": "steel",
            "period": str(w.x.race.periods.get(is_whole=True).pk),
        },
    ),
    "practice-adopt": Page(
        _planning(302),
        "/practices/{w.x.practice.pk}/",
        "POST",
        lambda w: {"adopt": "1", "unit": "C1", "adopted_on": str(matrix_world.TODAY)},
    ),
    "practice-withdraw": Page(
        on_unit(302, need=P),
        "/practices/{w.x.adopted_practice.pk}/",
        "POST",
        lambda w: {"withdraw": str(w.x.adoption.pk)},
    ),
    # a picture or PDF added to C1's practice with PLAN over C1; served to all who see "race"
    "practice-attach": Page(
        on_unit(302, need=P),
        "/practices/{w.x.c1_practice.pk}/attachments/",
        "POST",
        lambda w: {"file": SimpleUploadedFile("m.pdf", matrix_world.PDF)},
    ),
    "practice-attachment": Page(
        anyone(200), "/practices/attachments/{w.x.practice_attachment.pk}/"
    ),
    # titles (see the API entries)
    "packs": Page(anyone(200), "/titles/"),
    "pack": Page(anyone(200), "/titles/packs/matrix/"),
    "pack-export": Page(anyone(200), "/titles/packs/matrix/export.yaml"),
    "title": Page(anyone(200), "/titles/packs/matrix/star/"),
    "run": Page(on_unit(200), "/titles/runs/{w.x.star_run.pk}/"),
    "run-nominate": Page(
        on_unit(302, need=ORG), "/titles/runs/{w.x.star_run.pk}/nominate/", "POST"
    ),
    "candidate": Page(on_unit(200), "/titles/candidates/{w.x.candidate.pk}/"),
    "vote": Page(
        on_unit(302, need=VO),
        "/titles/nominations/{w.x.nomination.pk}/vote/",
        "POST",
        lambda w: {"choice": "yes"},
    ),
    "decide": Page(
        on_unit(302, need=ORG), "/titles/nominations/{w.x.nomination.pk}/decide/", "POST"
    ),
    "dossier": Page(on_unit(200), "/titles/nominations/{w.x.nomination.pk}/"),
    "attachment": Page(on_unit(200), "/titles/attachments/{w.x.attachment.pk}/"),
    "attachment-withdraw": Page(
        on_unit(302, need=ORG),
        "/titles/attachments/{w.x.attachment.pk}/withdraw/",
        "POST",
        lambda w: {"reason": "matrix"},
    ),
    "minutes": Page(on_unit(200), "/titles/runs/{w.x.star_run.pk}/minutes.pdf"),
    "award": Page(on_unit(200), "/titles/awards/{w.x.award.pk}/"),
    # a final award's certificate (an imported one comes with its decision); a pending one
    # sends back to the award page, which says a decision is needed
    "certificate": Page(on_unit(200), "/titles/awards/{w.x.past_award.pk}/certificate.pdf"),
    "award-decision": Page(
        on_unit(302, need=ORG),
        "/titles/awards/{w.x.award.pk}/decision/",
        "POST",
        lambda w: matrix_world.DECISION,
    ),
    "awards-import": Page(anyone(200), "/titles/awards/import/"),
    # an organiser's preview of an upload of theirs; no upload has this token
    "awards-import-preview": Page(
        organisers_anywhere(404), "/titles/awards/import/matrix/" + "t" * 32 + "/"
    ),
    "verify": Page(anyone(200), "/verify/{w.x.award.code}", public=200),
    "facts-upload": Page(anyone(200), "/titles/facts/"),
    "fact-entry": Page(
        # as in the API: the member named in the form is unknown when hidden (422)
        on_unit(302, 403, 422, need=ORG),
        "/titles/facts/new/",
        "POST",
        lambda w: {
            "kind": "judgements",
            "member": "c1-0",
            "year": "2024",
            "name": "outstanding",
            "value": "yes",
            "source": "matrix",
        },
    ),
    "member-facts": Page(on_unit(200), "/titles/people/{w.x.member.pk}/2024/"),
    "unit-facts": Page(on_unit(200), "/titles/units/{w.units[C1].pk}/2024/"),
    # reserves of C1 (see the API entries)
    "reserves-unit": Page(
        on_unit(200),
        "/units/C1/reserves/",
        contains=_has('href="/reserves/{w.x.reserve.pk}/"'),
        shown=listed(),
    ),
    "reserves-propose": Page(proposing(200), "/units/C1/reserves/propose/"),
    "reserves-detail": Page(on_unit(200), "/reserves/{w.x.reserve.pk}/"),
    "reserves-transition": Page(
        on_unit(302, need=P), "/reserves/{w.x.reserve.pk}/review/", "POST", lambda w: {}
    ),
    "reserves-links": Page(movement_of_c1(200, need=ORG), "/movements/running/reserve-links/"),
    "ledger-flag-rules": Page(movement_of_c1(200, need=ORG), "/movements/running/flag-rules/"),
    # secondments of C1's "running": its organisers' page (see the API entries)
    "movement-secondments": Page(movement_of_c1(200, need=ORG), "/movements/running/secondments/"),
    "movement-secondments POST": Page(
        movement_of_c1(302, need=ORG),
        "/movements/running/secondments/",
        "POST",
        lambda w: {"brigade": "W1", "home": "W2", "persons": "3"},
    ),
    "reserves-unlink": Page(
        movement_of_c1(302, need=ORG),
        "/movements/running/reserve-links/{w.x.reserve_link.pk}/remove/",
        "POST",
        lambda w: {},
    ),
    # voices about C1 (see the API entries); the public page of resolved voices
    "voices-queue": Page(
        on_unit(200),
        "/units/C1/voices/",
        contains=_has('href="/voices/{w.x.voice.pk}/"'),
        shown=listed(),
    ),
    "voices-raise": Page(proposing(200), "/units/C1/voices/raise/"),
    "voices-import": Page(on_unit(200, need=P), "/units/C1/voices/import/"),
    "voices-topics": Page(on_unit(200, need=ORG), "/units/C1/voices/topics/"),
    "voices-mine": Page(anyone(200), "/voices/mine/"),
    "voices-public": Page(anyone(200), "/voices/public/", public=200),
    "voices-detail": Page(on_unit(200), "/voices/{w.x.voice.pk}/"),
    "voices-attachment": Page(on_unit(200), "/voices/{w.x.voice.pk}/attachment/"),
    "voices-step": Page(
        on_unit(302, need=P), "/voices/{w.x.voice.pk}/answer/", "POST", lambda w: {"note": "ok"}
    ),
    "voices-movement": Page(anyone(200), "/movements/drive/voices/"),
    # drives (see the API entries); the public call "open-call" for the public pages
    "drives-home": Page(anyone(200), "/drives/", public=200),
    "drives-find-sign-up": Page(anyone(200), "/drives/sign-up/find/", public=200),
    "drives-signed-up": Page(anyone(200), "/drives/sign-up/{w.x.public_signup}/", public=200),
    "drives-sign-up": Page(anyone(200), "/drives/open-call/volunteers/sign-up/", public=200),
    "drives-donations": Page(on_unit(200), "/drives/gifts/donations/?unit=C1"),
    "drives-set-up": Page(movement_of_c1(200, need=ORG), "/drives/draft/set-up/"),
    "drives-donation-targets": Page(
        movement_of_c1(302, need=ORG),
        "/drives/arms/donations/targets/",
        "POST",
        lambda w: {"item": "funds", "name": "A truck", "price": "100"},
    ),
    "drives-donation-drive-create": Page(
        movement_of_c1(302, need=ORG),
        "/drives/draft/set-up/donations/",
        "POST",
        lambda w: {"items": "rice; Rice; t"},
    ),
    "drives-volunteer-call-create": Page(
        movement_of_c1(302, need=ORG),
        "/drives/draft/set-up/volunteers/",
        "POST",
        lambda w: {
            "quota": "5",
            "at_quota": "close",
            "opens_at": "2025-03-01T09:00",
            "closes_at": "2025-03-10T09:00",
        },
    ),
    "drives-enlistment-drive-create": Page(
        movement_of_c1(302, need=ORG),
        "/drives/draft/set-up/enlistment/",
        "POST",
        lambda w: {"reporting_kind": "county", "roles": "medics; Medics"},
    ),
    "drives-receipt": Page(
        on_unit(200),
        "/drives/gifts/donations/receipts/{w.x.gift}.pdf",
    ),
    "drives-volunteers": Page(on_unit(200), "/drives/call/volunteers/?unit=C1"),
    "drives-manage-signup": Page(
        on_unit(302, need=P),
        "/drives/call/volunteers/manage/",
        "POST",
        lambda w: {"code": w.x.pending_signup, "status": "accepted"},
    ),
    "drives-enlistment": Page(on_unit(200), "/drives/enlist/enlistment/?unit=C1"),
    # visits to C1 (see the API entries)
    "visits-unit": Page(
        on_unit(200),
        "/units/C1/visits/",
        contains=_has('href="/visits/{w.x.visit.pk}/"'),
        shown=listed(),
    ),
    "visits-record": Page(on_unit(200, need=VI), "/units/C1/visits/record/"),
    "visits-overdue": Page(
        on_unit(200),
        "/units/C1/visits/overdue/",
        contains=_has('data-task="{w.x.follow_up.pk}"'),
        shown=listed(),
    ),
    "visits-mine": Page(anyone(200), "/visits/mine/"),
    # the upload page is for officials anywhere; each row's unit is judged as the API does
    "visits-import": Page(
        lambda role, position: 200 if VI in EXPECTED_CAPABILITIES[role] else 403,
        "/visits/import/",
    ),
    "visits-coverage": Page(
        on_unit(200),
        "/units/C1/visits/coverage/?kind=county&start=2025-01-01&end=2025-12-31",
        contains=_has('data-figure="visited">1<'),
        shown=listed(),
    ),
    "visits-detail": Page(on_unit(200), "/visits/{w.x.visit.pk}/"),
    "visits-follow-up": Page(
        on_unit(302, need=VI),
        "/visits/{w.x.visit.pk}/follow-ups/",
        "POST",
        lambda w: {"what": "More", "owner": "someone", "due_on": DAY},
    ),
    "visits-mark": Page(
        on_unit(302, need=VI), "/follow-ups/{w.x.follow_up.pk}/done/", "POST", lambda w: {}
    ),
}


def _page_names(patterns=None, prefix="") -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            route = str(pattern.pattern)
            if route.startswith(("admin/", "api/")):
                continue
            names |= _page_names(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_page_has_an_entry():
    missing = _page_names() - PAGES.keys() - PUBLIC_PAGES
    assert not missing, f"add these pages to the permission matrix: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page(name, world):
    entry = PAGES[name]
    failures = []
    for role, position in world.tokens:
        with transaction.atomic():
            client = Client()
            user = world.users[(role, position)]
            client.cookies[SESSION_COOKIE] = world.sessions[(role, position)]
            path = entry.path.replace(
                "{token_id}", str(user.api_tokens.get(name="matrix").pk)
            ).format(w=world)
            if entry.method == "POST":
                response = client.post(path, entry.data(world) if entry.data else {})
            else:
                response = client.generic(entry.method, path)
            failure = _check(entry, world, role, position, response)
            if failure:
                failures.append(failure)
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


PUBLIC_BY_DESIGN = {name for name, entry in PAGES.items() if entry.public is not None}


def test_public_pages_are_the_expected_ones():
    assert {
        "home",  # the public movements
        "honour-board",
        "verify",  # a certificate's code
        "drives-home",  # the public drives
        "drives-sign-up",  # a public call's sign-up form
        "drives-signed-up",  # a sign-up's confirmation, by its code
        "drives-find-sign-up",
        "voices-public",  # resolved voices of public topics, with no names
    } == PUBLIC_BY_DESIGN


def test_signed_out_visitors_are_sent_to_sign_in(world):
    failures = []
    for name, entry in PAGES.items():
        path = entry.path.replace("{token_id}", "1").format(w=world)
        with transaction.atomic():
            if entry.method == "POST":
                response = Client().post(path, entry.data(world) if entry.data else {})
            else:
                response = Client().generic(entry.method, path)
            transaction.set_rollback(True)
        if entry.public is not None:
            if response.status_code != entry.public:
                failures.append(f"{name}: {response.status_code} != {entry.public}")
            continue
        signed_in = response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"
        )
        if not signed_in:
            failures.append(f"{name}: {response.status_code}, not sent to sign in")
    assert not failures, "\n".join(failures)
