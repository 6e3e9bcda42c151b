"""Pure rules of voices: which step goes from which status, what each step adds to the
figures, the hour buckets of the time figures and their percentiles, and which topics grow
fastest. No database here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from .models import Status

S = Status
OPEN = frozenset({S.RECEIVED, S.ASSIGNED})

# verb → (statuses it may start from, status it leads to); reopen and confirm are the raiser's.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (OPEN, S.ASSIGNED),
    "answer": (OPEN, S.ANSWERED),
    "resolve": (frozenset({S.ANSWERED}), S.RESOLVED),
    "decline": (OPEN, S.DECLINED),
    "reopen": (frozenset({S.ANSWERED, S.RESOLVED, S.DECLINED}), S.RECEIVED),
    "confirm": (frozenset({S.ANSWERED, S.RESOLVED}), S.RESOLVED),
}
HANDLER_VERBS = ("assign", "answer", "resolve", "decline")
RAISER_VERBS = ("confirm", "reopen")
VERBS = HANDLER_VERBS + RAISER_VERBS

_PAST = {"assign": "assigned", "answer": "answered", "resolve": "resolved"}


def transition_error(verb: str, status: str, *, reopened: bool = False) -> str | None:
    """Why `verb` may not be done to a voice in `status` (None when it may)."""
    if verb not in TRANSITIONS:
        return f"unknown step {verb!r}; one of {', '.join(VERBS)}"
    starts, _to = TRANSITIONS[verb]
    if status not in starts:
        allowed = ", ".join(sorted(starts))
        return f"a {status} voice cannot be {_PAST.get(verb, verb + 'd')}; only from {allowed}"
    if verb == "reopen" and reopened:
        return "a voice is reopened once; this one was reopened already"
    return None


def column(status: str) -> str:
    """The figure a voice in `status` counts under."""
    return "open" if status in OPEN else str(status)


def delta(before: str | None, after: str) -> dict[str, int]:
    """What moving a voice from `before` (None: newly raised) to `after` adds to the figures."""
    change: dict[str, int] = {}
    if before is None:
        change["received"] = 1
    else:
        change[column(before)] = change.get(column(before), 0) - 1
    change[column(after)] = change.get(column(after), 0) + 1
    return {name: value for name, value in change.items() if value}


# Upper bounds (hours) of the time buckets; a duration falls in the first bucket that holds it.
BUCKETS = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 240, 336, 504, 720, 1440, 2160, 4320, 8760)
BEYOND = 99999  # more than a year


def bucket(hours: float) -> int:
    for bound in BUCKETS:
        if hours <= bound:
            return bound
    return BEYOND


def percentile(counts: Mapping[int, int], share: Decimal) -> int | None:
    """The bucket (its upper bound, hours) within which `share` (0..1) of the durations fall:
    the median is share ½, the 90th percentile 0.9. None without durations."""
    total = sum(counts.values())
    if not total:
        return None
    seen = 0
    for bound in sorted(counts):
        seen += counts[bound]
        if Decimal(seen) >= share * total:
            return bound
    return max(counts)


def growth(
    now: Mapping[int, int], before: Mapping[int, int], topics: Iterable[int]
) -> list[tuple[int, int, int, Decimal | None]]:
    """(topic, this period, previous period, growth in % or None when new) for the topics
    with voices in either period, fastest growing first (new topics by their count)."""
    rows = []
    for topic in topics:
        current, previous = now.get(topic, 0), before.get(topic, 0)
        if not current and not previous:
            continue
        change = Decimal(current - previous) * 100 / Decimal(previous) if previous else None
        rows.append((topic, current, previous, change))
    # New topics (nothing before) grow beyond any percentage: they come first.
    rows.sort(key=lambda r: (0, -r[1], 0) if r[3] is None else (1, -r[3], -r[1]))
    return rows
