"""Page render times on the bench data set: the movement dashboard, and a unit page with
1,000 children, each served whole (middleware, permissions, selectors, template) through
Django's test client, as a signed-in operator.

The generated tree has at most a few dozen children under any unit, so this adds one unit
with 1,000 workteams under the root, each with reports on the movement's last 14 days (through
`record_reports`, like every other report): its page shows 1,000 children with figures and
sparklines for each indicator. It runs after the ingest and its checks, so they are unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
import uuid

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from pacesetter.ledger.actions import MAX_BATCH, ReportRow, record_reports
from pacesetter.movements.models import Movement
from pacesetter.units.actions import UnitRow, import_units
from pacesetter.units.models import Unit

from .generate import INDICATORS, LEVELS

WIDE_CODE = "WIDE"
WIDE_CHILDREN = 1000
WIDE_DAYS = 14  # the days a sparkline shows
TARGET_PAGE_MS = 200.0
PAGES = (
    ("dashboard", "dashboard"),
    ("unit_1000_children", f"unit page, {WIDE_CHILDREN:,} children"),
)


def add_wide_unit(root: Unit, movement: Movement, seed: int) -> Unit:
    """A unit with WIDE_CHILDREN children under `root`, each reporting every indicator on the
    movement's last WIDE_DAYS days."""
    import_units(
        rows=[
            UnitRow(
                code=WIDE_CODE,
                name=f"A unit with {WIDE_CHILDREN:,} children",
                kind=LEVELS[1],
                parent_code=root.code,
                headcount=20,
            ),
            *(
                UnitRow(
                    code=f"{WIDE_CODE}{n}",
                    name=f"Wide workteam {n}",
                    kind=LEVELS[-1],
                    parent_code=WIDE_CODE,
                    headcount=20,
                )
                for n in range(1, WIDE_CHILDREN + 1)
            ),
        ]
    )
    rng = random.Random(f"wide-{seed}")
    days = [movement.ends_on - dt.timedelta(days=n) for n in range(WIDE_DAYS)]
    rows = [
        ReportRow(
            unit=f"{WIDE_CODE}{n}",
            indicator=spec["code"],
            day=day,
            quantity=str(rng.randint(1, 50)),
            idempotency_key=f"wide:{uuid.UUID(int=rng.getrandbits(128)).hex}",
        )
        for n in range(1, WIDE_CHILDREN + 1)
        for spec in INDICATORS
        for day in days
    ]
    for start in range(0, len(rows), MAX_BATCH):
        record_reports(
            movement=movement, rows=rows[start : start + MAX_BATCH], source="cli", return_ids=False
        )
    return Unit.objects.get(code=WIDE_CODE)


def page_timings(movement: Movement, wide: Unit, reads: int) -> dict[str, object]:
    """Median milliseconds of `reads` requests of each page (after one to warm up), and the
    queries one request takes."""
    reader, _ = get_user_model().objects.get_or_create(
        username="bench-reader", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    results: dict[str, object] = {}
    urls = {
        "dashboard": f"/movements/{movement.slug}/",
        "unit_1000_children": f"/movements/{movement.slug}/units/{wide.code}/",
    }
    # The test client's host; plain static storage (the manifest needs collectstatic, which
    # a bench does not run; resolving a name costs the same either way).
    with override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        client.force_login(reader)
        for name, url in urls.items():
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            timings = []
            for _ in range(reads):
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            results[f"pages.{name}.ms"] = round(statistics.median(timings), 2)
            results[f"pages.{name}.queries"] = len(queries.captured_queries)
            results[f"pages.{name}.bytes"] = len(response.content)
    results["pages.reads"] = reads
    results["targets.page_ms"] = TARGET_PAGE_MS
    return results
