"""A report's verification state, read where the ingest, the rebuild and the pages need it.

The state of a report is the latest `VerificationDecision` on its root (the original report
its corrections amend), else the `verification` stored on the root: a report recorded as
verified by someone who may verify is born verified. Confirmed and corrected count as
verified; rejected (a correction to zero) and unverified do not. Verified totals are, over
the roots whose state is verified, their effective value (the original plus every
correction) — `ledger.verification` keeps them so, `aggregates.rebuild` checks them.

The random sample of the queue is drawn here too, the same way in Python and in SQL: a
multiplicative hash of the report id (Knuth's golden-ratio constant, modulo 2³²) below the
movement's rate. It is stable (a report is in the sample or not, for good) and spreads
evenly over consecutive ids, so every unit's reports are drawn at the same rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Max

from .models import Report, VerificationDecision

Decision = VerificationDecision.Decision
VERIFIED_DECISIONS = frozenset({Decision.CONFIRMED, Decision.CORRECTED})

_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 1 << 32
# The id is first taken modulo 2³¹ so the product stays inside a signed 64-bit integer.
_ID_MODULUS = 1 << 31
# For a statement with parameters, where `%%` is the modulo operator.
SAMPLE_BUCKET_SQL = f"((({{column}} %% {_ID_MODULUS}) * {_HASH_MULTIPLIER}) %% {_HASH_MODULUS})"


def sample_bucket(report_id: int) -> int:
    return ((report_id % _ID_MODULUS) * _HASH_MULTIPLIER) % _HASH_MODULUS


def sample_threshold(percent: Decimal) -> int:
    """Buckets below this are in a sample of `percent` per cent."""
    percent = min(max(Decimal(percent), Decimal(0)), Decimal(100))
    return int(percent * _HASH_MODULUS / 100)


def in_sample(report_id: int, percent: Decimal) -> bool:
    return sample_bucket(report_id) < sample_threshold(percent)


def is_verified_state(state: str) -> bool:
    return state in VERIFIED_DECISIONS or state == Report.Verification.VERIFIED


def latest_decisions(report_ids: Iterable[int]) -> dict[int, str]:
    """Root report id → its latest decision, for the roots that have one (one query per
    5,000 ids)."""
    ids = sorted(set(report_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        latest = (
            VerificationDecision.objects.filter(report_id__in=chunk)
            .values("report_id")
            .annotate(last=Max("id"))
            .values("last")
        )
        found.update(
            VerificationDecision.objects.filter(pk__in=latest).values_list("report_id", "decision")
        )
    return found


def decisions_of_movement(movement_id: int | None) -> dict[int, str]:
    """Root report id → its latest decision, for every decided report (of one movement)."""
    decisions = VerificationDecision.objects.all()
    if movement_id is not None:
        decisions = decisions.filter(movement_id=movement_id)
    latest = decisions.values("report_id").annotate(last=Max("id")).values("last")
    return dict(
        VerificationDecision.objects.filter(pk__in=latest).values_list("report_id", "decision")
    )


def states(roots: Iterable[tuple[int, str]]) -> dict[int, str]:
    """(root id, stored verification) pairs → root id → state (a decision or the stored
    verification): one query."""
    roots = list(roots)
    decided = latest_decisions(pk for pk, _stored in roots)
    return {pk: decided.get(pk, stored) for pk, stored in roots}
