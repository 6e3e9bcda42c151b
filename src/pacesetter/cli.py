"""`pacesetter` — the operator's command line.

Every Django management command is available under its name, with hyphens or underscores
(`pacesetter import-reports FILE` runs the `import_reports` command); `pacesetter serve`
starts the production server (gunicorn, static files through WhiteNoise).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacesetter.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "serve":
        serve(argv[2:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pacesetter", *argv[1:]])


def serve(args: list[str]) -> None:
    """Collect static files, then replace this process with gunicorn."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
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


if __name__ == "__main__":
    main()
