"""`pacesetter export SLUG [--output FILE]`: the setup file that recreates a movement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.accounts.permissions import Capability, can, current_actor
from pacesetter.movements.models import Movement
from pacesetter.setup.files import export_movement


class Command(BaseCommand):
    help = (
        "Write the setup file that recreates a movement — its units from the roots down to "
        "its scope and the whole scope below, the blocks among them, the movement with its "
        "indicators, periods and plans — to standard output or --output. `pacesetter apply` "
        "reads it back; its reports come with `GET /api/v1/movements/SLUG/reports.csv` and "
        "`pacesetter import-reports`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the movement's slug")
        parser.add_argument("--output", type=Path, help="a file to write (default: stdout)")
        parser.add_argument(
            "--people",
            action="store_true",
            help="add a `people:` section: who holds a standing role on the units written "
            "(names and emails are personal data, so only when asked)",
        )

    def handle(
        self, *args: Any, slug: str, output: Path | None, people: bool, **options: Any
    ) -> None:
        movement = Movement.objects.filter(slug=slug).select_related("organiser").first()
        if movement is None or not can(
            current_actor(), Capability.VIEW, movement.organiser, movement
        ):
            raise CommandError(f"No movement {slug!r}.")
        text = export_movement(movement, people=people)
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"{movement.slug} → {output}")
