"""Signing volunteers up for a call: eligibility, duplicates, idempotent retries and the quota."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import RowError, StateError, raise_for_rows
from pacesetter.movements.models import Movement
from pacesetter.units.models import Member

from .. import domain
from ..models import CallRole, SignUp, VolunteerCall
from ..selectors import from_row
from ._shared import (
    MAX_KEY_LENGTH,
    _key,
    _marks,
    _refuse,
    _require_launched,
    _unit_errors,
    _units_by_code,
)
from .calls import _count, post_to_ledger

MAX_SIGNUP_ROWS = 100_000
# A single sign-up posts the call's new sign-ups to the ledger at most this often; the
# drive's own live counts are exact at every moment, the ledger's figures this far behind.
POST_EVERY = dt.timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class SignUpRow:
    """One volunteer. `unit` is where they live or work (a unit code in the call's scope);
    for a member it may be left empty (the member's unit). Fields the call does not ask for
    are not kept; an exact age is used for the eligibility check only (the call's age band
    is kept when it asks for one). `signed_up_at` is for imports of paper forms.

    `tally` (1 or more) makes the row a count rather than a person: that many volunteers
    counted on a paper list (a recruiting station's tally sheet) and not named one by one.
    Each becomes a sign-up with the row's unit, day, role, gender, age band and skill, with
    no name or contact: nobody can tell whether one of them signs up again, so only a person
    who may sign others up enters tallies. Their keys are the row's key followed by
    ":1", ":2"…, so the same tally entered again counts nothing twice."""

    unit: str = ""
    full_name: str = ""
    contact: str = ""
    member: str = ""
    role: str = ""
    gender: str = ""
    age: object = None
    age_band: str = ""
    skill: str = ""
    signed_up_at: dt.datetime | None = None
    idempotency_key: str | None = None
    tally: int = 0


@dataclass
class SignUpResult:
    created: int = 0
    replayed: int = 0
    waitlisted: int = 0
    codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _CallNow:
    """What a sign-up reads of its call at the start of its transaction, in one statement:
    the movement (slug, status, time zone, public), the quota and the count against it,
    whether a post to the ledger is due, the movement's scope and the call's roles."""

    movement: Movement
    quota: int
    at_quota: str
    active: int
    post_due: bool
    scope: list[str]
    roles: dict[str, CallRole]


def _call_now(call: VolunteerCall) -> _CallNow:
    """Read the call as it stands and hold it until commit. On SQLite the transaction's
    BEGIN IMMEDIATE already holds the database's one write lock; on PostgreSQL the call's
    row is locked here, so every sign-up of the call checks duplicates, keys and the quota
    with no other sign-up of the call in between (a retry racing its first send waits and
    gets the first code rather than a unique-key error)."""
    lock = " FOR UPDATE OF c" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.slug, m.status, m.time_zone, m.is_public, c.quota, c.at_quota,"
            " c.active_count, c.posted_at IS NULL OR c.posted_at < %s, s.path, r.id, r.code,"
            " r.name"
            " FROM drives_volunteercall c JOIN movements_movement m ON m.id = c.movement_id"
            " LEFT JOIN movements_movement_scope ms ON ms.movement_id = m.id"
            " LEFT JOIN units_unit s ON s.id = ms.unit_id"
            " LEFT JOIN drives_callrole r ON r.call_id = c.id"
            f" WHERE c.id = %s{lock}",
            [connection.ops.adapt_datetimefield_value(timezone.now() - POST_EVERY), call.pk],
        )
        found = cursor.fetchall()
    if not found:
        raise StateError("This volunteer call no longer exists.")
    pk, slug, status, time_zone, is_public, quota, at_quota, active, post_due = found[0][:9]
    movement = from_row(
        Movement,
        {"id": pk, "slug": slug, "status": status, "time_zone": time_zone, "is_public": is_public},
    )
    # One row per scope unit × role: the joins multiply, the sets do not.
    scope = sorted({row[9] for row in found if row[9] is not None})
    roles = {
        code: CallRole(id=role_id, call_id=call.pk, code=code, name=name)
        for role_id, code, name in sorted({row[10:] for row in found if row[10] is not None})
    }
    return _CallNow(movement, quota, at_quota, active, bool(post_due), scope, roles)


def _may_sign_up(actor, movement: Movement) -> list[str] | None:
    """Paths where the actor may sign people up (members: PARTICIPATE, unit heads: PLAN);
    None for an anonymous visitor (public calls only, for themselves, not for members)."""
    if not actor.is_authenticated:
        return None
    paths = set(actor.paths(Capability.PARTICIPATE, movement)) | set(
        actor.paths(Capability.PLAN, movement)
    )
    return sorted(paths)


@audited("drives.sign_up")
def sign_up(
    *,
    call: VolunteerCall,
    rows: Sequence[SignUpRow],
    source: str = "web",
    entered_by=None,
    post: bool | None = None,
) -> SignUpResult:
    """Sign volunteers up, all rows or none.

    Guarantees: one sign-up per person and call (a member, or a contact however it is
    written), refused as a duplicate — by the check here and by a unique constraint in the
    database; a retried submission (the same idempotency key) gets the first one's code
    back and counts nothing. Eligibility (window, age range, skills, roles) is checked per
    row. At the quota the call's setting decides: "close" refuses the rows beyond it, and
    "waitlist" keeps them on the waiting list. Live counts by day, unit subtree and the
    call's breakdowns change in the same transaction; the movement's ledger gets the new
    sign-ups at once when `post` is true, and otherwise at most POST_EVERY later.

    Cost: a new sign-up is 7 short statements inside the transaction (the call as it
    stands, its units, stored keys and persons, the insert, the call's counters, the live
    totals, the audit row) and a retry 4, plain SQL where the ORM's query compilation cost
    more than the query: bursts of public sign-ups hold SQLite's one write lock briefly.
    tests/drives/test_api.py pins the count.
    """
    state = _call_now(call)
    movement = state.movement
    note(movement=movement)
    _require_launched(movement)
    if not rows:
        return SignUpResult()
    persons = sum(r.tally if isinstance(r.tally, int) and r.tally > 0 else 1 for r in rows)
    if persons > MAX_SIGNUP_ROWS:
        _refuse("rows", f"at most {MAX_SIGNUP_ROWS:,} sign-ups per call", "too_many")
    actor = current_actor()
    if entered_by is None and actor.user is not None and not actor.is_system:
        entered_by = actor.user
    may = _may_sign_up(actor, movement)
    # The moment on a paper form is entered by the system (the command line) or by one who
    # organises the movement, importing its forms; any other sign-up is "now".
    may_date = actor.is_system or (
        any(r.signed_up_at is not None for r in rows)
        and can(
            actor,
            Capability.ORGANISE,
            Movement.objects.select_related("organiser").get(pk=movement.pk).organiser,
            movement,
        )
    )
    if not may and movement.is_public:
        may = None  # a visitor, or a signed-in person without rights here: for themselves
    if may is None and not movement.is_public:
        raise StateError("This call takes sign-ups from signed-in members only.")
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(movement.time_zone)
    roles = state.roles
    units = _units_by_code(r.unit.strip() for r in rows)
    member_codes = {r.member.strip() for r in rows if r.member.strip()}
    members = (
        {
            m.external_id: m
            for m in Member.objects.filter(external_id__in=member_codes)
            .select_related("unit")
            .order_by()
        }
        if member_codes
        else {}
    )
    scope = state.scope
    errors: list[RowError] = []
    prepared: list[dict] = []
    in_batch: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        before = len(errors)
        member = None
        if row.member.strip():
            if may is None:
                errors.append(
                    RowError(number, "member", "sign in to sign a member up", "not_permitted")
                )
            else:
                member = members.get(row.member.strip())
                if member is None:
                    errors.append(
                        RowError(number, "member", f"no member {row.member.strip()!r}", "not_found")
                    )
        tally = row.tally
        if tally:
            if may is None:
                errors.append(
                    RowError(number, "tally", "sign in to enter a tally", "not_permitted")
                )
            if member is not None:
                errors.append(RowError(number, "tally", "a tally names no member", "invalid"))
            if not isinstance(tally, int) or tally < 1:
                errors.append(RowError(number, "tally", "a whole number, 1 or more", "invalid"))
        unit_code = row.unit.strip() or (member.unit.code if member is not None else "")
        unit = units.get(unit_code) or (member.unit if member is not None else None)
        if member is not None and unit is not None and member.unit_id != unit.pk:
            errors.append(
                RowError(
                    number, "unit", f"{row.member} is a member of {member.unit.code}", "mismatch"
                )
            )
        errors += _unit_errors(
            number, "unit", unit_code, unit, scope, may=may, verb="sign volunteers up"
        )
        full_name = (row.full_name or "").strip() or (member.full_name if member else "")
        if not full_name and not tally:
            errors.append(RowError(number, "full_name", "a name is required", "required"))
        contact = (row.contact or "").strip()
        if tally:
            identity = "tally"  # each counted person's own, below
        elif member is not None:
            identity = domain.member_identity(member.pk)
        elif not domain.normalise_contact(contact).strip("+"):
            identity = ""
            errors.append(
                RowError(
                    number, "contact", "a phone number or e-mail address is required", "required"
                )
            )
        else:
            identity = domain.contact_identity(call.pk, contact)
        signed_up_at = row.signed_up_at or now
        if row.signed_up_at is not None and not may_date:
            errors.append(RowError(number, "signed_up_at", "set by the system", "not_permitted"))
        if signed_up_at < call.opens_at:
            errors.append(RowError(number, "signed_up_at", "the call is not open yet", "not_open"))
        elif signed_up_at >= call.closes_at:
            errors.append(RowError(number, "signed_up_at", "the call is closed", "closed"))
        elif signed_up_at > now:
            errors.append(RowError(number, "signed_up_at", "in the future", "future"))
        role = None
        if roles:
            role = roles.get(row.role.strip())
            if role is None:
                errors.append(
                    RowError(
                        number,
                        "role",
                        f"choose one of: {', '.join(roles)}" if row.role else "choose a role",
                        "required" if not row.role else "invalid",
                    )
                )
        gender = ""
        if call.asks_gender:
            gender = row.gender.strip().lower()
            if gender not in domain.GENDERS:
                errors.append(
                    RowError(number, "gender", f"one of: {', '.join(domain.GENDERS)}", "required")
                )
        band = ""
        if call.min_age is not None or call.max_age is not None or call.asks_age_band:
            band, age_errors = _age(number, row, call)
            errors += age_errors
        skill = ""
        if call.skills:
            skill = row.skill.strip()
            if skill not in call.skills:
                errors.append(
                    RowError(number, "skill", f"one of: {', '.join(call.skills)}", "required")
                )
        key, key_error = _key(row.idempotency_key, number)
        if key_error is None and tally and len(key) + len(f":{tally}") > MAX_KEY_LENGTH:
            key_error = RowError(
                number,
                "idempotency_key",
                f"at most {MAX_KEY_LENGTH - len(f':{tally}')} characters for a tally",
                "too_long",
            )
        if key_error:
            errors.append(key_error)
        if tally and len(errors) == before:
            day = signed_up_at.astimezone(zone).date()
            for n in range(1, tally + 1):
                person_key = f"{key}:{n}"
                prepared.append(
                    {
                        "number": number,
                        "identity": domain.tally_identity(person_key),
                        "member": None,
                        "full_name": full_name[:200],
                        "contact": "",
                        "unit": unit,
                        "role": role,
                        "gender": gender,
                        "age_band": band if call.asks_age_band else "",
                        "skill": skill,
                        "signed_up_at": signed_up_at,
                        "day": day,
                        "key": person_key,
                    }
                )
            continue
        if identity and len(errors) == before:
            if identity in in_batch:
                errors.append(
                    RowError(
                        number,
                        "contact" if member is None else "member",
                        f"the same person as row {in_batch[identity]}",
                        "duplicate",
                    )
                )
                continue
            in_batch[identity] = number
            prepared.append(
                {
                    "number": number,
                    "identity": identity,
                    "member": member,
                    "full_name": full_name[:200],
                    "contact": contact[:200] if member is None else "",
                    "unit": unit,
                    "role": role,
                    "gender": gender,
                    "age_band": band if call.asks_age_band else "",
                    "skill": skill,
                    "signed_up_at": signed_up_at,
                    "day": signed_up_at.astimezone(zone).date(),
                    "key": key,
                }
            )
    raise_for_rows(errors, what="sign-up", total=len(rows))
    return _record_signups(call, state, prepared, len(rows), source, entered_by, post)


def _age(number: int, row: SignUpRow, call: VolunteerCall) -> tuple[str, list[RowError]]:
    low, high = call.min_age, call.max_age
    wanted = f"{low if low is not None else 0}–{high if high is not None else '…'}"
    if row.age not in (None, ""):
        try:
            age = int(str(row.age).strip())
            if not 0 < age < 130:
                raise ValueError
        except ValueError:
            return "", [RowError(number, "age", "an age in whole years", "invalid")]
        if (low is not None and age < low) or (high is not None and age > high):
            return "", [RowError(number, "age", f"this call is for ages {wanted}", "not_eligible")]
        return domain.age_band(age), []
    band = row.age_band.strip()
    if band:
        if band not in domain.AGE_BAND_CODES:
            return "", [RowError(number, "age_band", f"one of: {', '.join(domain.AGE_BAND_CODES)}")]
        if not domain.band_fits(band, low, high):
            return "", [
                RowError(number, "age_band", f"this call is for ages {wanted}", "not_eligible")
            ]
        return band, []
    return "", [RowError(number, "age", "your age is needed for this call", "required")]


def _record_signups(
    call: VolunteerCall,
    state: _CallNow,
    prepared: list[dict],
    total: int,
    source: str,
    entered_by,
    post: bool | None,
) -> SignUpResult:
    errors: list[RowError] = []
    by_key, by_identity = _stored(
        call, [p["key"] for p in prepared], [p["identity"] for p in prepared]
    )
    new: list[dict] = []
    result = SignUpResult()
    outcome: dict[int, tuple[str, str]] = {}
    for p in prepared:
        stored = by_key.get(p["key"])
        if stored is not None:
            if stored[0] == p["identity"]:
                outcome[id(p)] = (stored[1], "replayed")
                result.replayed += 1
            else:
                errors.append(
                    RowError(
                        p["number"],
                        "idempotency_key",
                        f"key {p['key']!r} was already used for another sign-up",
                        "idempotency_conflict",
                    )
                )
        elif p["identity"] in by_identity:
            errors.append(
                RowError(
                    p["number"],
                    "contact" if p["member"] is None else "member",
                    "this person has already signed up for this call",
                    "duplicate",
                )
            )
        else:
            new.append(p)
    raise_for_rows(errors, what="sign-up", total=total)
    if new:
        # The count against the quota was read under the call's lock (see _call_now).
        admitted, waiting, refused = domain.admit(
            active=state.active, quota=state.quota, at_quota=state.at_quota, count=len(new)
        )
        if refused:
            for p in new[admitted:]:
                errors.append(
                    RowError(
                        p["number"],
                        "call",
                        f"the call has reached its quota of {state.quota:,} and is closed",
                        "quota_reached",
                    )
                )
            raise_for_rows(errors, what="sign-up", total=total)
        _insert_signups(call, new, admitted, entered_by)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE drives_volunteercall SET active_count = active_count + %s,"
                " waitlisted_count = waitlisted_count + %s WHERE id = %s",
                [admitted, waiting, call.pk],
            )
        result.waitlisted = waiting
        _count(call, [(p["unit"], p["day"], _buckets_of(p)) for p in new])
        for index, p in enumerate(new):
            outcome[id(p)] = (
                p["code"],
                domain.SIGNED_UP if index < admitted else domain.WAITLISTED,
            )
    result.created = len(new)
    for p in prepared:
        code, status = outcome[id(p)]
        result.codes.append(code)
        result.statuses.append(status)
    if new and (post or (post is None and state.post_due)):
        post_to_ledger(call=call, source=source)
    return result


def _stored(
    call: VolunteerCall, keys: list[str], identities: list[str]
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Sign-ups already stored under these idempotency keys (any call: a key is unique
    everywhere), as key → (identity, code), and of these persons in this call, as
    identity → code; one statement per 450 rows, each side served by its unique index."""
    wanted_keys, wanted_identities = set(keys), set(identities)
    by_key: dict[str, tuple[str, str]] = {}
    by_identity: dict[str, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 450):
            some_keys = keys[start : start + 450]
            some_identities = identities[start : start + 450]
            cursor.execute(
                "SELECT idempotency_key, identity, code, call_id FROM drives_signup"
                f" WHERE idempotency_key IN ({_marks(some_keys)})"
                f" OR (call_id = %s AND identity IN ({_marks(some_identities)}))",
                [*some_keys, call.pk, *some_identities],
            )
            for key, identity, code, call_id in cursor.fetchall():
                if key in wanted_keys:
                    by_key[key] = (identity, code)
                if call_id == call.pk and identity in wanted_identities:
                    by_identity[identity] = code
    return by_key, by_identity


def _buckets_of(p: dict) -> tuple[str, ...]:
    return _buckets(
        p["gender"], p["age_band"], p["role"].code if p["role"] is not None else "", p["skill"]
    )


@functools.lru_cache(maxsize=1024)
def _buckets(gender: str, age_band: str, role: str, skill: str) -> tuple[str, ...]:
    return tuple(domain.buckets(gender=gender, age_band=age_band, role=role, skill=skill))


def _insert_signups(call: VolunteerCall, new: list[dict], admitted: int, entered_by) -> None:
    """Plain executemany: for the demo's 740,000 rows, model instances cost more than the
    insert. A collision of confirmation codes (1 in 10^14 per pair) fails the unique index,
    and the whole batch with it, rather than passing silently."""
    columns = (
        "call_id",
        "code",
        "identity",
        "member_id",
        "full_name",
        "contact",
        "unit_id",
        "role_id",
        "gender",
        "age_band",
        "skill",
        "status",
        "place_id",
        "day",
        "signed_up_at",
        "placed_on",
        "entered_by_id",
        "idempotency_key",
    )
    user_id = entered_by.pk if entered_by is not None else None
    # Adapted once per moment: a tally's persons, and a burst, share theirs.
    adapt = functools.lru_cache(maxsize=4096)(connection.ops.adapt_datetimefield_value)
    values = []
    for index, p in enumerate(new):
        p["code"] = domain.confirmation_code()
        values.append(
            (
                call.pk,
                p["code"],
                p["identity"],
                p["member"].pk if p["member"] is not None else None,
                p["full_name"],
                p["contact"],
                p["unit"].pk,
                p["role"].pk if p["role"] is not None else None,
                p["gender"],
                p["age_band"],
                p["skill"],
                domain.SIGNED_UP if index < admitted else domain.WAITLISTED,
                None,
                p["day"],
                adapt(p["signed_up_at"]),
                None,
                user_id,
                p["key"],
            )
        )
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {SignUp._meta.db_table} ({', '.join(columns)}) VALUES ({placeholders})",
            values,
        )
