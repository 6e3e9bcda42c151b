"""Django's SQLite backend, with writers queued at a gate instead of in SQLite's busy loop.

A write transaction here starts with BEGIN IMMEDIATE, taking SQLite's one write lock. A writer
that finds it taken waits in SQLite's busy handler, which sleeps and retries (1, 2, 5 … up to
100 ms a sleep): under a stream of single reports the lock sits free while the waiters sleep,
and latency jumps by tens of milliseconds at a time. So before BEGIN IMMEDIATE a writer takes
a POSIX lock on a file beside the database (`<database>-gate`) and holds it until its commit or
rollback: the next writer, blocked in the kernel, wakes the moment it is released.

The gate only orders writers; it never decides anything. SQLite's own lock still guarantees
one writer at a time, so whatever happens to the gate (a second connection in one process,
whose POSIX lock is the process's own; a crashed process, whose lock the kernel drops) the
worst case is the plain SQLite behaviour. Threads of one process queue at a lock of their own
before the POSIX one. Readers never pass the gate. An in-memory database
(the tests' own) has no gate.

The cursor also remembers each statement's `?` form. Django writes `%s` placeholders and its
cursor rewrites them with a regular expression on every execute: 5% of a one-report API
call, whose thirteen statements are the same text every time (see docs/performance.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base


class _Gate:
    """One per database file and process. Threads of the process queue at a re-entrant lock
    (a thread's second connection does not wait for its first: SQLite decides then, as it
    would without the gate); the thread holding it holds the POSIX lock that queues the
    other processes."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.threads = threading.RLock()
        self.depth = 0  # entries of the thread holding `threads`

    def enter(self) -> None:
        self.threads.acquire()
        self.depth += 1
        if self.depth == 1:
            with contextlib.suppress(OSError):  # no gate then; SQLite's lock orders writers
                fcntl.lockf(self.fd, fcntl.LOCK_EX)

    def leave(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            with contextlib.suppress(OSError):
                fcntl.lockf(self.fd, fcntl.LOCK_UN)
        self.threads.release()


QMARK_STATEMENTS = 4096  # distinct statements remembered; then the memory starts again
QMARK_LENGTH = 8192  # longer statements (long IN lists) are rewritten each time
_qmark: dict[str, str] = {}


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _qmark.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(query) <= QMARK_LENGTH:
                if len(_qmark) >= QMARK_STATEMENTS:
                    _qmark.clear()
                _qmark[query] = converted
        return converted


_gates: dict[str, _Gate] = {}
_gates_mutex = threading.Lock()


def _gate_for(name: str) -> _Gate:
    with _gates_mutex:
        gate = _gates.get(name)
        if gate is None:
            gate = _gates[name] = _Gate(f"{name}-gate")
        return gate


class DatabaseWrapper(base.DatabaseWrapper):
    _gate_held = False

    def create_cursor(self, name: str | None = None) -> CursorWrapper:
        return self.connection.cursor(factory=CursorWrapper)

    def _gate(self) -> _Gate | None:
        if self.is_in_memory_db():
            return None
        return _gate_for(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        gate = self._gate() if self.transaction_mode == "IMMEDIATE" else None
        if gate is not None and not self._gate_held:
            gate.enter()
            self._gate_held = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_gate()
            raise

    def _leave_gate(self) -> None:
        if self._gate_held:
            self._gate_held = False
            gate = self._gate()
            if gate is not None:
                gate.leave()

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._leave_gate()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._leave_gate()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._leave_gate()
