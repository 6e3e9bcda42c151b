"""`pacesetter create-movement FILE.yaml`: a movement, its indicators, periods and blocks from
a setup file, all or nothing (the format: `pacesetter.movements.setup_file`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.table import Table

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import console_for
from pacesetter.movements.setup_file import read_setup
from pacesetter.setup.commandline import refused, setup_text
from pacesetter.setup.creating import create_from_setup


class Command(BaseCommand):
    help = (
        "Create a movement from a YAML setup file: slug, title, call_text, organiser (a unit "
        "code), scope, starts_on, ends_on, time_zone, public, indicators, periods ('monthly' "
        "or a list), blocks and launch. The whole file is checked first; every problem is "
        "named by its line; nothing is created unless all of it is. See docs/setting-up.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .yaml file")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        console = console_for(self.stdout)
        text = setup_text(file)
        try:
            created = create_from_setup(read_setup(text))
        except ActionError as exc:
            raise refused(console, file, exc) from None
        movement = created.movement
        summary = Table(
            show_header=False,
            box=None,
            title=f"{file.name} → {movement.slug}",
            title_justify="left",
        )
        summary.add_column()
        summary.add_column()
        summary.add_row("movement", f"{movement.title} ({movement.status})")
        summary.add_row("indicators", ", ".join(i.code for i in created.indicators) or "none")
        summary.add_row("periods", f"{created.periods:,} besides the whole movement")
        summary.add_row("blocks", ", ".join(b.code for b in created.blocks) or "none")
        console.print(summary)
