"""The escalation of overdue voices as a django-tasks task: run where it is enqueued (the
immediate backend, as the tests' settings have it), or queued in the database and run by the
task worker (the default TASKS_BACKEND), and the clock that enqueues it."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from pacesetter.voices.models import Voice
from pacesetter.voices.tasks import escalate_overdue

from .helpers import raise_one

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def overdue(units, topic):
    voice = raise_one(units, topic)
    Voice.objects.filter(pk=voice.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    return voice


def routed_to(voice):
    voice.refresh_from_db()
    return voice.routed_to.code


@pytest.fixture
def keep_the_test_connection(monkeypatch):
    """The database worker closes "old" connections between rounds; inside a test's
    transaction Django counts the connection as old (autocommit off), and on PostgreSQL the
    close would end the test's transaction. The worker keeps it here."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_enqueued_with_the_immediate_backend_it_escalates_at_once(overdue):
    result = escalate_overdue.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"escalated": 1, "overdue_at_top": 0}
    assert routed_to(overdue) == "C1"
    assert not DBTaskResult.objects.exists()


def test_queued_in_the_database_it_waits_for_the_worker(
    overdue, settings, keep_the_test_connection
):
    settings.TASKS = DATABASE
    result = escalate_overdue.enqueue()
    row = DBTaskResult.objects.get()
    assert str(row.id) == result.id and row.status == TaskResultStatus.READY
    assert row.task_path == "pacesetter.voices.tasks.escalate_overdue"
    assert routed_to(overdue) == "W1"  # not yet

    call_command("task_worker", "--batch", "--no-startup-delay", "--interval", "0")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL, row.traceback
    assert row.return_value == {"escalated": 1, "overdue_at_top": 0}
    assert routed_to(overdue) == "C1"


def test_the_command_enqueues_with_enqueue_and_runs_it_here_without(overdue, settings):
    settings.TASKS = DATABASE
    out = io.StringIO()
    call_command("escalate_voices", "--enqueue", stdout=out)
    row = DBTaskResult.objects.get()
    assert f"escalation enqueued: task {row.id}" in out.getvalue()
    assert routed_to(overdue) == "W1"

    out = io.StringIO()
    call_command("escalate_voices", stdout=out)  # at once, here: the queued row stays
    assert "voices escalated: 1;" in out.getvalue()
    assert routed_to(overdue) == "C1"
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


def test_the_clock_and_the_worker_stop_when_their_parent_has_gone(
    overdue, settings, keep_the_test_connection
):
    """As `serve` starts them, with --parent: a parent pid that is not this process's parent
    has gone, so the clock enqueues once and the worker runs what is queued, and both end."""
    settings.TASKS = DATABASE
    out = io.StringIO()
    call_command("escalate_voices", "--every", "3600", "--enqueue", "--parent", "-1", stdout=out)
    assert out.getvalue().count("escalation enqueued") == 1
    call_command("task_worker", "--parent", "-1", "--interval", "3600")
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
    assert routed_to(overdue) == "C1"


def test_the_worker_needs_the_database_backend(db):
    with pytest.raises(CommandError, match="not a database backend"):
        call_command("task_worker", "--batch")
