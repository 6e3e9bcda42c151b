"""`pacesetter load-title-pack FILE`: load a rule pack (YAML or JSON) for honorary titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import console_for, row_errors_table
from pacesetter.titles.actions import load_pack

SHIPPED = Path(__file__).resolve().parents[2] / "packs"


class Command(BaseCommand):
    help = (
        "Load a rule pack from a YAML or JSON file, or a shipped pack by name "
        f"({', '.join(sorted(p.stem for p in SHIPPED.glob('*.yaml')))}). A changed text of a "
        "loaded pack becomes its next revision; problems are listed by line and nothing is loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="a file, or the name of a shipped pack")

    def handle(self, *args: Any, pack: str, **options: Any) -> None:
        console = console_for(self.stdout)
        path = Path(pack)
        if not path.is_file():
            path = SHIPPED / f"{pack}.yaml"
        if not path.is_file():
            raise CommandError(f"{pack}: no such file and no shipped pack of that name.")
        try:
            revision = load_pack(text=path.read_text(encoding="utf-8"))
        except ActionError as exc:
            if exc.errors:
                console.print(
                    row_errors_table(exc.errors, title=f"{path.name}: problems (row = line)")
                )
            raise CommandError(exc.detail) from None
        titles = ", ".join(revision.pack.titles.values_list("code", flat=True))
        console.print(f"{revision.pack.name}: revision {revision.number} ({titles}).")
