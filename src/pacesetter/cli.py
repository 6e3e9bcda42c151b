"""`pacesetter` — the operator's command line.

Every Django management command is available under its name, with hyphens or underscores
(`pacesetter import-reports FILE` runs the `import_reports` command); `pacesetter serve`
starts the production server (gunicorn, static files through WhiteNoise).

`pacesetter --as USERNAME COMMAND ...` runs the command as that person: every action checks
their roles (an import refuses rows outside their subtrees) and the audit trail names them.
Without `--as` (or PACESETTER_AS in the environment), commands act as the system, with every
right — as the operator who can run them on the server already has.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacesetter.settings")
    username = os.environ.get("PACESETTER_AS", "")
    if len(argv) > 2 and argv[1] == "--as":
        username = argv[2]
        del argv[1:3]
    elif len(argv) > 1 and argv[1].startswith("--as="):
        username = argv[1].removeprefix("--as=")
        del argv[1]
    if username:
        _run_as(username, argv)
        return
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "serve":
        serve(argv[2:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pacesetter", *argv[1:]])


def _run_as(username: str, argv: list[str]) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from pacesetter.accounts.permissions import acting_as, actor_for

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        sys.stderr.write(f"pacesetter: no active user {username!r} to act as.\n")
        raise SystemExit(2)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    with acting_as(actor_for(user)):
        execute_from_command_line(["pacesetter", *argv[1:]])


def serve(args: list[str]) -> None:
    """Collect static files, start the processes that work beside the server (they stop when
    it does), then replace this process with gunicorn."""
    import subprocess

    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    # Children of this process, which becomes gunicorn's master: each works while its parent
    # lives.
    for command in background_commands(os.getpid()):
        subprocess.Popen([sys.executable, "-m", "pacesetter.cli", *command])
    bind = os.environ.get("BIND", "127.0.0.1:8000")
    workers = os.environ.get("WEB_CONCURRENCY", str(min(4, (os.cpu_count() or 1) * 2)))
    os.execvp(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pacesetter.wsgi:application",
            "--bind",
            bind,
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            *args,
        ],
    )


def background_commands(parent: int) -> list[list[str]]:
    """The commands `serve` starts beside the server, each told its parent's pid: the ranking
    follower when RANKING_FOLLOWER is on; the task worker when tasks are queued in the
    database; the clock that enqueues the escalation of overdue voices unless
    ESCALATE_VOICES_EVERY is 0."""
    from django.conf import settings
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    commands = []
    if settings.RANKING_FOLLOWER:
        commands.append(["rank-follower", "--parent", str(parent)])
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        commands.append(["task-worker", "--parent", str(parent)])
    if settings.ESCALATE_VOICES_EVERY > 0:
        every = f"{settings.ESCALATE_VOICES_EVERY:g}"
        commands.append(["escalate-voices", "--every", every, "--enqueue", "--parent", str(parent)])
    return commands


if __name__ == "__main__":
    main()
