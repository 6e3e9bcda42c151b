"""`pacesetter serve` starts, beside gunicorn, the processes that work in the background — each
a child told its parent's pid, so that it stops when the server does — then becomes gunicorn.
Here nothing is started: the children and gunicorn are caught on their way out."""

import os
import sys

import pytest

from pacesetter import cli


class BecameGunicorn(Exception):
    pass


@pytest.fixture
def started(monkeypatch):
    children: list[list[str]] = []
    monkeypatch.setattr("subprocess.Popen", lambda argv, **kw: children.append(argv))
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **kw: None)

    def execvp(_file, argv):
        children.append(argv)
        raise BecameGunicorn

    monkeypatch.setattr(os, "execvp", execvp)
    return children


def serve(started) -> list[list[str]]:
    with pytest.raises(BecameGunicorn):
        cli.serve(["--timeout", "30"])
    *children, gunicorn = started
    assert gunicorn[1:4] == ["-m", "gunicorn", "pacesetter.wsgi:application"]
    assert gunicorn[-2:] == ["--timeout", "30"]
    prefix = [sys.executable, "-m", "pacesetter.cli"]
    assert all(argv[:3] == prefix for argv in children)
    return [argv[3:] for argv in children]


def test_serve_starts_the_task_worker_and_the_escalation_clock(started, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.RANKING_FOLLOWER = True
    parent = str(os.getpid())
    assert serve(started) == [
        ["rank-follower", "--parent", parent],
        ["task-worker", "--parent", parent],
        ["escalate-voices", "--every", "900", "--enqueue", "--parent", parent],
    ]


def test_no_worker_for_tasks_run_inline_and_no_clock_when_turned_off(started, settings):
    # The tests' settings run tasks inline (the immediate backend): nothing to work on.
    settings.RANKING_FOLLOWER = False
    settings.ESCALATE_VOICES_EVERY = 0
    assert serve(started) == []
    settings.ESCALATE_VOICES_EVERY = 60.5
    started.clear()
    assert serve(started) == [
        ["escalate-voices", "--every", "60.5", "--enqueue", "--parent", str(os.getpid())]
    ]
