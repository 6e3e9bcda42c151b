"""Signals the unit tree sends so apps further down the import chain can keep up.

`unit_moved` is sent inside the move's transaction: receivers (the ledger's aggregates) must
shift their subtree totals in that same transaction, or the move is rolled back.
"""

from django.dispatch import Signal

# kwargs: unit (after the move), old_ancestor_ids, new_ancestor_ids
unit_moved = Signal()
