"""The only write path of emulation: scorings, standings and overtaking, challenges,
notifications, one module per subject.

Standings are kept current by the ingest itself: the ledger sends `reports_recorded` inside
its transaction after the aggregates are updated, and `receivers._on_reports_recorded`
(connected in EmulationConfig.ready) re-reads the new subtree totals of the block units the
batch touched, compares each touched ranking's order before and after, and writes the
overtaking events and notifications — all in the ingest's transaction, so they commit with the
reports or not at all. It is part of the audited ingest, not an action of its own.

`as_of` is *knowledge time*: the ranking of a past day is the one the system showed at the
end of that day (movement time zone). Just before the first change of a later day, the
standings are copied into append-only snapshots; reports and corrections recorded later —
even for earlier days — change today's standings, never a past day's.
"""

from .challenges import accept_challenge, decline_challenge, propose_challenge, settle_challenges
from .follower import rank_pending
from .notifications import mark_notifications_read
from .overtaking import REPORT_IDS_PER_EVENT
from .scorings import (
    ComponentSpec,
    create_scoring,
    refresh_scoring,
    retire_scoring,
    update_scoring,
)
from .standings import Inputs

__all__ = [
    "REPORT_IDS_PER_EVENT",
    "ComponentSpec",
    "Inputs",
    "accept_challenge",
    "create_scoring",
    "decline_challenge",
    "mark_notifications_read",
    "propose_challenge",
    "rank_pending",
    "refresh_scoring",
    "retire_scoring",
    "settle_challenges",
    "update_scoring",
]
