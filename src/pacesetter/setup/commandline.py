"""What the setup files' commands (`apply`, `create-movement`) share: reading the file and
showing its problems, each named by line and place."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from rich.console import Console

from pacesetter.core.errors import ActionError
from pacesetter.core.tabular import row_errors_table


def setup_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{file}: cannot be read ({exc}).") from None


def refused(console: Console, file: Path, exc: ActionError) -> CommandError:
    """Print the file's problems; the error the command ends with."""
    if exc.errors:
        console.print(
            row_errors_table(
                exc.errors, title=f"{file.name}: problems", columns=("line", "where", "problem")
            )
        )
    return CommandError(exc.detail)
