"""The rules of drives, in plain Python (no Django): balances that never go negative, the
sign-up life cycle, what happens at the quota, age bands, identities for the duplicate check,
enlistment coverage and missing days. Property-tested in tests/drives/test_domain.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

# --- donations --------------------------------------------------------------------------------

PLEDGED, RECEIVED, DISTRIBUTED = "pledged", "received", "distributed"


class BalanceError(ValueError):
    """A distribution larger than what the unit holds of the item."""

    def __init__(self, held: int, asked: int):
        super().__init__(f"only {held} held, {asked} asked")
        self.held = held
        self.asked = asked


@dataclass(frozen=True, slots=True)
class Balance:
    pledged: int = 0
    received: int = 0
    distributed: int = 0

    @property
    def held(self) -> int:
        return self.received - self.distributed


def apply_entry(balance: Balance, stage: str, quantity: int) -> Balance:
    """The balance after one entry. A distribution beyond what is held raises BalanceError
    and changes nothing; quantities are positive (minor units)."""
    if quantity <= 0:
        raise ValueError("a quantity must be more than zero")
    if stage == PLEDGED:
        return Balance(balance.pledged + quantity, balance.received, balance.distributed)
    if stage == RECEIVED:
        return Balance(balance.pledged, balance.received + quantity, balance.distributed)
    if stage == DISTRIBUTED:
        if quantity > balance.held:
            raise BalanceError(balance.held, quantity)
        return Balance(balance.pledged, balance.received, balance.distributed + quantity)
    raise ValueError(f"unknown stage {stage!r}")


def apply_batch(
    balances: Mapping[tuple[int, int], Balance],
    entries: Iterable[tuple[tuple[int, int], str, int]],
) -> tuple[dict[tuple[int, int], Balance], list[tuple[int, BalanceError]]]:
    """Apply entries ((unit, item), stage, quantity) in order to a copy of `balances`; return
    the new balances and every entry (numbered from 1) that would overdraw. All or nothing is
    the caller's: with any error, nothing should be written."""
    result = dict(balances)
    errors: list[tuple[int, BalanceError]] = []
    for number, (key, stage, quantity) in enumerate(entries, start=1):
        try:
            result[key] = apply_entry(result.get(key, Balance()), stage, quantity)
        except BalanceError as exc:
            errors.append((number, exc))
    return result, errors


@dataclass(frozen=True, slots=True)
class TargetProgress:
    """One named target of an item: what the gifts must reach to buy it (its price plus the
    prices before it), the day they did (None: not yet), and, for the target being saved
    for, how much of its own price is gathered so far."""

    position: int
    price: int
    reached_at: int  # the received total that buys it (cumulative)
    reached_on: dt.date | None
    gathered: int  # toward this target's own price, from 0 to its price

    @property
    def reached(self) -> bool:
        return self.reached_on is not None

    @property
    def percent(self) -> Decimal:
        """The share of its price gathered (100 once reached; never more)."""
        return Decimal(self.gathered) * 100 / Decimal(self.price)


def targets_progress(
    prices: Iterable[int], daily: Iterable[tuple[dt.date, int]]
) -> list[TargetProgress]:
    """Walk the item's received total day by day (`daily`: the day's quantity, in day
    order) through the targets' prices in order: a target is reached on the day the total
    passes the sum of its price and those before it. Minor units throughout."""
    days = sorted(daily)
    total = sum(q for _day, q in days)
    progress = []
    threshold = 0
    for position, price in enumerate(prices, start=1):
        if price <= 0:
            raise ValueError("a target's price must be more than zero")
        before = threshold
        threshold += price
        reached_on = None
        running = 0
        for day, quantity in days:
            running += quantity
            if running >= threshold:
                reached_on = day
                break
        gathered = min(max(total - before, 0), price)
        progress.append(TargetProgress(position, price, threshold, reached_on, gathered))
    return progress


# --- volunteer calls --------------------------------------------------------------------------

WAITLISTED = "waitlisted"
SIGNED_UP = "signed_up"
ACCEPTED = "accepted"
PLACED = "placed"
SERVING = "serving"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"

# Each status and where it may go next. Placement is its own step (it needs a place).
TRANSITIONS: dict[str, frozenset[str]] = {
    WAITLISTED: frozenset({SIGNED_UP, WITHDRAWN}),
    SIGNED_UP: frozenset({ACCEPTED, WITHDRAWN}),
    ACCEPTED: frozenset({PLACED, WITHDRAWN}),
    PLACED: frozenset({SERVING, WITHDRAWN}),
    SERVING: frozenset({COMPLETED, WITHDRAWN}),
    COMPLETED: frozenset(),
    WITHDRAWN: frozenset(),
}
COUNTS_AGAINST_QUOTA = frozenset({SIGNED_UP, ACCEPTED, PLACED, SERVING, COMPLETED})
HOLDS_A_PLACE = frozenset({PLACED, SERVING, COMPLETED})


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


CLOSE, WAITLIST = "close", "waitlist"


def admit(*, active: int, quota: int, at_quota: str, count: int = 1) -> tuple[int, int, int]:
    """How many of `count` new sign-ups count against the quota, go on the waiting list, or
    are refused: (admitted, waitlisted, refused)."""
    room = max(quota - active, 0)
    admitted = min(room, count)
    rest = count - admitted
    if at_quota == WAITLIST:
        return admitted, rest, 0
    return admitted, 0, rest


AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under-18", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-59", 45, 59),
    ("60+", 60, None),
)
AGE_BAND_CODES = tuple(code for code, _low, _high in AGE_BANDS)
GENDERS = ("female", "male", "other")


def age_band(age: int) -> str:
    for code, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return code
    raise ValueError(f"{age} is not an age")


def band_fits(band: str, min_age: int | None, max_age: int | None) -> bool:
    """Whether every age of `band` lies within [min_age, max_age]."""
    for code, low, high in AGE_BANDS:
        if code == band:
            if min_age is not None and low < min_age:
                return False
            return not (max_age is not None and (high is None or high > max_age))
    return False


def normalise_contact(contact: str) -> str:
    """An e-mail lower-cased, a phone number reduced to its digits (and a leading +), so
    "+850 2 123-4567" and "+85021234567" are the same person."""
    text = contact.strip()
    if "@" in text:
        return text.lower()
    digits = re.sub(r"[^\d+]", "", text)
    return digits[:1] + digits[1:].replace("+", "")


def contact_identity(call_id: int, contact: str) -> str:
    """What the duplicate check compares, without keeping the contact in the index."""
    digest = hashlib.sha256(f"{call_id}:{normalise_contact(contact)}".encode()).hexdigest()
    return f"contact:{digest[:64]}"


def member_identity(member_id: int) -> str:
    return f"member:{member_id}"


def tally_identity(key: str) -> str:
    """A person counted in a tally has no contact to compare: their entry's key stands in,
    so nobody else is ever taken for them (and the same key again is a replay)."""
    return f"tally:{hashlib.sha256(key.encode()).hexdigest()[:64]}"


# Codes a person reads back over the phone: no 0/O, 1/I/L.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def confirmation_code(length: int = 10) -> str:
    """A random code (31^10, about 8·10^14 of them); one call to the system's random source."""
    number = secrets.randbelow(len(_CODE_ALPHABET) ** length)
    letters = []
    for _ in range(length):
        number, index = divmod(number, len(_CODE_ALPHABET))
        letters.append(_CODE_ALPHABET[index])
    return "".join(letters)


def buckets(*, gender: str = "", age_band: str = "", role: str = "", skill: str = "") -> list[str]:
    """The totals a sign-up counts in: every sign-up ("") and each breakdown it has."""
    found = [""]
    for name, value in (("gender", gender), ("age_band", age_band), ("role", role)):
        if value:
            found.append(f"{name}:{value}")
    if skill:
        found.append(f"skill:{skill}")
    return found


# --- daily enlistment -------------------------------------------------------------------------


def coverage(reported: int, expected: int) -> Decimal | None:
    """The share of units in scope that reported, as a percentage (never capped: more
    returns than expected units is a sign of a changed tree, shown as it is)."""
    if expected <= 0:
        return None
    return Decimal(reported) * 100 / Decimal(expected)


@dataclass(frozen=True, slots=True)
class Day:
    day: dt.date
    totals: dict[str, int] | None  # None: no return at all that day (missing, not zero)
    reported: int
    expected: int

    @property
    def missing(self) -> bool:
        return self.totals is None

    @property
    def coverage(self) -> Decimal | None:
        return coverage(self.reported, self.expected)


def days_series(
    *,
    start: dt.date,
    end: dt.date,
    roles: Iterable[str],
    totals: Mapping[tuple[str, dt.date], int],
    reported: Mapping[dt.date, int],
    expected: int,
) -> list[Day]:
    """One entry per day from start to end: the totals by role where at least one unit
    reported, None where none did (a missing day is not a zero day)."""
    roles = list(roles)
    series = []
    day = start
    while day <= end:
        count = reported.get(day, 0)
        series.append(
            Day(
                day=day,
                totals={role: totals.get((role, day), 0) for role in roles} if count else None,
                reported=count,
                expected=expected,
            )
        )
        day += dt.timedelta(days=1)
    return series
