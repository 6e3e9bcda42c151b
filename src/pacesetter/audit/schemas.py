from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    target: str
    unit_path: str
    movement_id: int | None
    before: Any = None
    after: Any = None
    ip: str | None
    user_agent: str
