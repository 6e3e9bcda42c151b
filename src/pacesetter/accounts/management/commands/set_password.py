"""`pacesetter set-password USERNAME [--from VARIABLE] [--random] [--write FILE] [--keep]
[--show]`: give a person a password without a prompt.

Django's `changepassword` asks at a terminal; an operator who created people from a setup
file (which never carries passwords) needs a door a script can use. The password comes from
the environment (never from the command line, where `ps` and shell history would keep it) or,
when that is empty and --random is given, is drawn at random; it is printed only with --show, and --write keeps it in a file only its
owner reads (`USERNAME / PASSWORD`). With --keep and an existing file naming this person, the
file's password is the one set: a script run again keeps the password people already know.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacesetter.accounts.actions import set_password
from pacesetter.core.errors import ActionError

ENVIRONMENT = "PACESETTER_PASSWORD"


def _kept(file: Path, username: str) -> str:
    """The password a login file keeps for `username`, or "" when it keeps none."""
    if not file.exists():
        return ""
    name, _, password = file.read_text(encoding="utf-8").strip().partition(" / ")
    return password if name == username else ""


class Command(BaseCommand):
    help = (
        f"Set a person's password without a prompt: from ${ENVIRONMENT} (or the variable "
        "--from names), else at random with --random; --write FILE keeps `USERNAME / PASSWORD` in a file only "
        "its owner reads, --keep reuses the password such a file already holds, --show "
        "prints it. Audited; the password itself is never written to the trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--random", action="store_true", help="when the variable is empty, draw one at random"
        )
        parser.add_argument(
            "--from",
            dest="variable",
            default=ENVIRONMENT,
            metavar="VARIABLE",
            help=f"the environment variable holding the password (default {ENVIRONMENT})",
        )
        parser.add_argument("--write", type=Path, metavar="FILE", help="keep it in this file")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="with --write: when FILE already holds this person's password, set that one",
        )
        parser.add_argument("--show", action="store_true", help="print the password")

    def handle(
        self,
        *args: Any,
        username: str,
        random: bool,
        variable: str,
        write: Path | None,
        keep: bool,
        show: bool,
        **options: Any,
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person {username!r}.")
        password = _kept(write, username) if (keep and write is not None) else ""
        password = password or os.environ.get(variable, "")
        if not password:
            if not random:
                raise CommandError(f"No password: set ${variable} or give --random.")
            if write is None and not show:
                raise CommandError("A random password must go somewhere: give --write or --show.")
            password = secrets.token_urlsafe(12)
        if user.has_usable_password() and user.check_password(password):
            changed = False  # what the file keeps already opens the account: nothing to do
        else:
            try:
                set_password(user=user, password=password)
            except ActionError as exc:
                messages = "; ".join(error.message for error in exc.errors) or exc.detail
                raise CommandError(f"{username}: {messages}") from None
            changed = True
        if write is not None and _kept(write, username) != password:
            write.parent.mkdir(parents=True, exist_ok=True)
            write.touch(mode=0o600, exist_ok=True)
            write.chmod(0o600)
            write.write_text(f"{username} / {password}\n", encoding="utf-8")
        self.stdout.write(
            f"{username}: password {'set' if changed else 'unchanged'}"
            + (f" → {write}" if write is not None else "")
        )
        if show:
            self.stdout.write(f"{username} / {password}")
