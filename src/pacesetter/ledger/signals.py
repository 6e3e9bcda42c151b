"""Signals the ledger sends so apps further down the import chain can keep up.

`reports_recorded` is sent at the end of every ingest, inside its transaction and after the
aggregates are updated: receivers (emulation's standings and overtaking events) read the new
aggregates and write in that same transaction, so a receiver that fails rolls the ingest
back and nothing is half-recorded.
"""

from django.dispatch import Signal

# kwargs: movement, rows — the new reports of the batch (replays left out), each with the
# attributes unit_id, unit_path, indicator_id, day, key (its idempotency key) and
# corrects_id (None unless it is a correction).
reports_recorded = Signal()

# kwargs: movement, decision (the VerificationDecision just written). Sent by
# `ledger.verification.decide` inside its transaction, after the verified aggregates changed:
# what ranks on verified figures can keep up in the same transaction.
verification_decided = Signal()
