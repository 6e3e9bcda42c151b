"""`pacesetter export-practices SLUG`: a movement's practices and standing adoptions as the
YAML `import-practices` reads."""

from __future__ import annotations

from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.experience.importing import export_rows
from pacesetter.movements.models import Movement


class Command(BaseCommand):
    help = "Write a movement's practices and standing adoptions as an import-practices file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the movement's slug")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        movement = Movement.objects.filter(slug=slug).first()
        if movement is None:
            raise CommandError(f"No movement {slug!r}.")
        self.stdout.write(
            yaml.safe_dump(export_rows(movement), sort_keys=False, allow_unicode=True)
        )
