"""Pure rules of reserves: which transition goes from which status, what a saving must look
like, and what each transition adds to the figures. No database here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from .models import DECIMAL_PLACES, FACTOR_DIGITS, FACTOR_PLACES, MAX_DIGITS, Kind, Status

S = Status

# verb → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "review": (frozenset({S.PROPOSED}), S.UNDER_REVIEW),
    "accept": (frozenset({S.PROPOSED, S.UNDER_REVIEW}), S.ACCEPTED),
    "implement": (frozenset({S.ACCEPTED}), S.IMPLEMENTED),
    "verify": (frozenset({S.IMPLEMENTED}), S.VERIFIED),
    "decline": (frozenset({S.PROPOSED, S.UNDER_REVIEW, S.ACCEPTED}), S.DECLINED),
}
VERBS = tuple(TRANSITIONS)

MONEY_PLACES = 2
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def transition_error(verb: str, status: str) -> str | None:
    """Why `verb` may not be done to a reserve in `status` (None when it may)."""
    if verb not in TRANSITIONS:
        return f"unknown transition {verb!r}; one of {', '.join(VERBS)}"
    starts, _to = TRANSITIONS[verb]
    if status not in starts:
        allowed = ", ".join(sorted(starts))
        return f"a {status} reserve cannot be {_past(verb)}; only from {allowed}"
    return None


def _past(verb: str) -> str:
    return {
        "propose": "proposed",
        "review": "put under review",
        "accept": "accepted",
        "implement": "implemented",
        "verify": "verified",
        "decline": "declined",
    }[verb]


# The column of a file (import-reserves) that gives the day of each step.
STEP_DAYS: dict[str, str] = {
    "propose": "proposed_on",
    "review": "reviewed_on",
    "accept": "accepted_on",
    "implement": "implemented_on",
    "verify": "verified_on",
    "decline": "declined_on",
}


def parse_day(text: str) -> tuple[dt.date | None, str | None]:
    """An ISO date (1958-03-14), or the reason it is not one."""
    try:
        return dt.date.fromisoformat(text.strip()), None
    except ValueError:
        return None, f"{text.strip()!r} is not a date (YYYY-MM-DD)"


def step_days(
    status: str, path: Sequence[str], given: Mapping[str, dt.date]
) -> tuple[dict[str, dt.date], list[tuple[str, str]]]:
    """The day of every step of `path` — the steps, "propose" first, that take a new reserve
    to `status` — from the days a file gives for some of them (`given`, by step), and what is
    wrong with those days, as (column, message): a day for a step not on the path, a step
    dated before a step it follows, no day for the last step when another is dated.

    A step the file leaves undated takes the day of the next dated step (it happened no
    later). No day given: no days (each step is stamped when it is taken)."""
    problems: list[tuple[str, str]] = []
    for verb in given:
        if verb not in path:
            problems.append(
                (STEP_DAYS[verb], f"a reserve taken to {status} is never {_past(verb)}")
            )
    dated = [(verb, given[verb]) for verb in path if verb in given]
    for (before, first), (verb, day) in pairwise(dated):
        if day < first:
            problems.append((STEP_DAYS[verb], f"{day} is before {STEP_DAYS[before]} {first}"))
    if dated and path[-1] not in given:
        problems.append(
            (STEP_DAYS[path[-1]], "required when the row gives the day of another step")
        )
    if problems or not dated:
        return {}, problems
    days: dict[str, dt.date] = {}
    following = dated[-1][1]
    for verb in reversed(path):
        following = given.get(verb, following)
        days[verb] = following
    return days, []


def places_for(kind: str, indicator_places: int | None = None) -> int:
    if kind == Kind.MONEY:
        return MONEY_PLACES
    if kind == Kind.INDICATOR and indicator_places is not None:
        return min(indicator_places, DECIMAL_PLACES)
    return DECIMAL_PLACES


def parse_saving(value, places: int) -> tuple[Decimal | None, str | None]:
    """A saving as a Decimal, or the reason it is not one: a positive number with at most
    `places` decimals, within the stored digits."""
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, "not a number"
    if not number.is_finite():
        return None, "not a number"
    if number <= 0:
        return None, "a saving must be more than zero"
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return None, f"at most {places} decimal place{'' if places == 1 else 's'}"
    if number.adjusted() >= MAX_DIGITS - DECIMAL_PLACES:
        return None, "too large"
    return number, None


def measure_error(kind: str, measure: str) -> str | None:
    measure = measure.strip()
    if kind == Kind.MONEY:
        if not _CURRENCY.match(measure):
            return "money is measured in a currency code (three capital letters, e.g. EUR)"
        return None
    if not measure:
        return "a measure is required (e.g. t of cement, hours, kWh)"
    if len(measure) > 40:
        return "at most 40 characters"
    return None


@dataclass(frozen=True, slots=True)
class Delta:
    """What one transition adds to the figures of the reserve's measure."""

    proposed: int = 0
    implemented: int = 0
    verified: int = 0
    estimated_saving: Decimal = Decimal(0)
    verified_saving: Decimal = Decimal(0)


def delta_of(to_status: str, estimated: Decimal, verified: Decimal | None = None) -> Delta:
    """Proposed counts every reserve ever proposed; the estimated saving counts every reserve
    not declined (a decline takes its estimate back out); implemented counts reserves that
    reached implementation (verified ones stay counted); verified adds the verified saving."""
    if to_status == S.PROPOSED:
        return Delta(proposed=1, estimated_saving=estimated)
    if to_status == S.DECLINED:
        return Delta(estimated_saving=-estimated)
    if to_status == S.IMPLEMENTED:
        return Delta(implemented=1)
    if to_status == S.VERIFIED:
        return Delta(verified=1, verified_saving=verified or Decimal(0))
    return Delta()


def member_delta(verified_before: int) -> tuple[int, int]:
    """(members with ≥1, members with >1) added when a member's count of verified reserves
    goes from `verified_before` to one more."""
    return (1 if verified_before == 0 else 0, 1 if verified_before == 1 else 0)


def share(part: int, whole: int) -> Decimal | None:
    """A percentage, unrounded (rounded only at display); None when there is no whole."""
    if not whole:
        return None
    return Decimal(part) * 100 / Decimal(whole)


def parse_factor(value) -> tuple[Decimal | None, str | None]:
    """A link's factor: a positive number with at most FACTOR_PLACES decimals."""
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, "not a number"
    if not number.is_finite():
        return None, "not a number"
    if number <= 0:
        return None, "a factor must be more than zero"
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > FACTOR_PLACES:
        return None, f"at most {FACTOR_PLACES} decimal places"
    if number.adjusted() >= FACTOR_DIGITS - FACTOR_PLACES:
        return None, "too large"
    return number, None


def counted(verified: Decimal, factor: Decimal) -> Decimal:
    """What a verified saving counts toward an indicator: exact, trailing zeros dropped."""
    product = (Decimal(verified) * Decimal(factor)).normalize()
    return product.quantize(Decimal(1)) if product == product.to_integral_value() else product


def count_error(quantity: Decimal, decimal_places: int) -> str | None:
    """Why `quantity` cannot be recorded for an indicator of `decimal_places` (exact only)."""
    exponent = quantity.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimal_places:
        if decimal_places == 0:
            return "the indicator counts whole numbers only"
        return f"the indicator takes at most {decimal_places} decimal places"
    return None
