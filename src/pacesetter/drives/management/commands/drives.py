"""`pacesetter drives`: each drive's totals, as tables or JSON.

Donations: pledged, received, distributed and held per item, and gifts by donor kind.
Volunteer calls: against the quota, sign-ups by day, the call's breakdowns, placements.
Daily enlistment: persons per day by role over the whole tree, units reported of those
expected and the coverage; a day nobody reported is "missing" (null in JSON), not zero.
`--post` first brings the ledger up to date with sign-ups not yet posted.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.table import Table

from pacesetter.core.quantities import format_percent, round_percent
from pacesetter.core.tabular import console_for
from pacesetter.drives import actions, selectors
from pacesetter.movements.models import Movement


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def donations(movement: Movement) -> dict:
    drive = movement.donation_drive
    overview = selectors.donation_overview(drive=drive, unit=movement.organiser)
    return {
        "items": [
            {
                "item": row.item.code,
                "unit_of_measure": row.item.unit_of_measure,
                "pledged": str(row.pledged),
                "received": str(row.received),
                "distributed": str(row.distributed),
                "held": str(row.held),
                "by_donor_kind": {
                    k.donor_kind: {"received": str(k.received), "gifts": k.gifts}
                    for k in row.by_donor_kind
                },
            }
            for row in overview.items
        ],
        # Named targets in order: the day each was reached, and the progress toward the next.
        "targets": [
            {
                "item": t.target.item.code,
                "name": t.target.name,
                "price": str(t.price),
                "reached_on": _text(t.progress.reached_on and t.progress.reached_on.isoformat()),
                "gathered": str(t.gathered),
                "percent": _text(round_percent(t.progress.percent)),
            }
            for t in selectors.donation_targets(drive=drive).targets
        ],
    }


def volunteers(movement: Movement) -> dict:
    call = movement.volunteer_call
    overview = selectors.call_overview(call=call, unit=movement.organiser)
    return {
        "quota": call.quota,
        "at_quota": call.at_quota,
        "active": call.active_count,
        "waitlisted": call.waitlisted_count,
        "of_quota": _text(round_percent(overview.of_quota)),
        "signups": overview.total,
        "placed": call.placed_count,
        "days": len(overview.by_day),
        "by_day": {day.isoformat(): n for day, n in overview.by_day},
        "breakdowns": {name: dict(values) for name, values in overview.breakdowns.items()},
        # Where volunteers are placed: each place's unit, role, capacity and placements.
        "places": [
            {
                "unit": place.unit.code,
                "role": place.role.code if place.role_id else None,
                "capacity": place.capacity,
                "placed": place.placed_count,
            }
            for place in overview.places
        ],
    }


def enlistment(movement: Movement) -> dict:
    drive = movement.enlistment_drive
    overview = selectors.enlistment_overview(
        drive=drive, unit=movement.organiser, days=movement.days
    )
    return {
        "roles": [role.code for role in overview.roles],
        "expected_units": overview.expected,
        "days": [
            {
                "day": d.day.isoformat(),
                "totals": d.totals,
                "reported": d.reported,
                "coverage": _text(round_percent(d.coverage)),
            }
            for d in reversed(overview.days)
        ],
    }


READERS = {"donations": donations, "volunteers": volunteers, "enlistment": enlistment}


class Command(BaseCommand):
    help = (
        "Print each drive's totals: donations by item and donor kind, volunteer calls against "
        "the quota with their breakdowns and placements, daily enlistment by role with "
        "coverage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movement", help="a movement's slug; default: every drive")
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "json"), default="table"
        )
        parser.add_argument(
            "--post",
            action="store_true",
            help="first post sign-ups and placements not yet in the ledger",
        )

    def handle(self, *args: Any, movement: str | None, output_format: str, post: bool, **options):
        drives = selectors.drives_list()
        if movement is not None:
            drives = [(m, kinds) for m, kinds in drives if m.slug == movement]
            if not drives:
                raise CommandError(f"No drive in a movement {movement!r}.")
        if post:
            for m, kinds in drives:
                if "volunteers" in kinds:
                    actions.post_to_ledger(call=m.volunteer_call, source="cli")
        data = [
            {
                "movement": m.slug,
                "title": m.title,
                "status": m.status,
                **{kind: READERS[kind](m) for kind in kinds},
            }
            for m, kinds in sorted(drives, key=lambda pair: (pair[0].starts_on, pair[0].slug))
        ]
        if output_format == "json":
            self.stdout.write(json.dumps({"drives": data}, indent=2))
            return
        console = console_for(self.stdout)
        for entry in data:
            console.print(f"[bold]{entry['title']}[/bold] ({entry['movement']}, {entry['status']})")
            if "donations" in entry:
                console.print(_donations_table(entry["donations"]))
            if "volunteers" in entry:
                console.print(_volunteers_table(entry["volunteers"]))
            if "enlistment" in entry:
                console.print(_enlistment_table(entry["enlistment"]))


def _donations_table(data: dict) -> Table:
    table = Table(title="Donations", title_justify="left")
    for name in ("Item", "Pledged", "Received", "Distributed", "Held", "By donor kind"):
        table.add_column(name, justify="left" if name in ("Item", "By donor kind") else "right")
    for row in data["items"]:
        kinds = ", ".join(
            f"{kind}: {v['received']} ({v['gifts']:,} gifts)"
            for kind, v in row["by_donor_kind"].items()
        )
        table.add_row(
            f"{row['item']} ({row['unit_of_measure']})",
            _grouped(row["pledged"]),
            _grouped(row["received"]),
            _grouped(row["distributed"]),
            _grouped(row["held"]),
            kinds,
        )
    for target in data["targets"]:
        reached = (
            f"reached on {target['reached_on']}"
            if target["reached_on"]
            else f"{_grouped(target['gathered'])} gathered ({target['percent']}%)"
        )
        table.add_row(
            f"{target['name']} ({target['item']})",
            "",
            _grouped(target["price"]),
            "",
            "",
            reached,
        )
    return table


def _volunteers_table(data: dict) -> Table:
    table = Table(title="Volunteer call", title_justify="left")
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("Sign-ups", f"{data['signups']:,} in {data['days']} days")
    table.add_row(
        "Against the quota", f"{data['active']:,} of {data['quota']:,} ({data['of_quota']}%)"
    )
    if data["waitlisted"]:
        table.add_row("Waiting list", f"{data['waitlisted']:,}")
    table.add_row("Placed", f"{data['placed']:,}")
    for name, values in data["breakdowns"].items():
        table.add_row(name, ", ".join(f"{k}: {v:,}" for k, v in values.items()))
    for place in data["places"]:
        role = f" ({place['role']})" if place["role"] else ""
        table.add_row(
            f"Placed at {place['unit']}{role}", f"{place['placed']:,} of {place['capacity']:,}"
        )
    return table


def _enlistment_table(data: dict) -> Table:
    table = Table(title="Daily enlistment", title_justify="left")
    table.add_column("Day")
    for role in data["roles"]:
        table.add_column(role, justify="right")
    table.add_column("Reported", justify="right")
    table.add_column("Coverage", justify="right")
    for day in data["days"]:
        cells = (
            [f"{day['totals'][role]:,}" for role in data["roles"]]
            if day["totals"] is not None
            else ["missing"] * len(data["roles"])
        )
        coverage = format_percent(None if day["coverage"] is None else Decimal(day["coverage"]))
        table.add_row(
            day["day"], *cells, f"{day['reported']:,} of {data['expected_units']:,}", coverage
        )
    return table


def _grouped(text: str) -> str:
    return f"{Decimal(text):,}"
