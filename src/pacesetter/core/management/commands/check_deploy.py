"""`pacesetter check-deploy`: Django's deployment checks plus Pacesetter's own (core.checks).
Exits non-zero on any error; warnings are printed."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run Django's deployment checks and Pacesetter's own; fail on errors."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--fail-level",
            default="ERROR",
            choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
            help="The message level that makes the command fail (default ERROR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("check", deploy=True, fail_level=options["fail_level"])
