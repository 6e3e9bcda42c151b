"""The SQLite write gate (core/sqlite/base.py): writers of different processes queue at a
POSIX lock and the next one goes the moment the lock is released; one process never blocks
itself; a crashed holder releases it."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import time

from pacesetter.core.sqlite.base import _Gate


def _hold(path: str, seconds: float, ready) -> None:
    gate = _Gate(path)
    gate.enter()
    ready.set()
    time.sleep(seconds)
    gate.leave()


def _holder(path: str, seconds: float) -> multiprocessing.Process:
    """Another process, inside the gate for `seconds` once this returns."""
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(path, seconds, ready))
    holder.start()
    assert ready.wait(10)
    return holder


def _held_elsewhere(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    fcntl.lockf(fd, fcntl.LOCK_UN)
    return False


def test_a_writer_waits_at_the_gate_and_goes_when_it_opens(tmp_path):
    path = str(tmp_path / "db.sqlite3-gate")
    holder = _holder(path, 0.5)
    gate = _Gate(path)
    started = time.monotonic()
    gate.enter()  # blocks until the other process leaves
    waited = time.monotonic() - started
    gate.leave()
    holder.join(10)
    assert 0.3 < waited < 2.0


def test_one_process_never_blocks_itself_and_the_last_leaver_opens(tmp_path):
    path = str(tmp_path / "db.sqlite3-gate")
    gate = _Gate(path)
    gate.enter()
    gate.enter()  # a second connection of the same process
    gate.leave()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply(_held_elsewhere, (path,)) is True
        gate.leave()
        assert pool.apply(_held_elsewhere, (path,)) is False


def test_a_killed_holder_releases_the_gate(tmp_path):
    path = str(tmp_path / "db.sqlite3-gate")
    holder = _holder(path, 60)
    holder.kill()
    holder.join(10)
    gate = _Gate(path)
    started = time.monotonic()
    gate.enter()
    assert time.monotonic() - started < 1.0
    gate.leave()


def test_threads_of_one_process_queue_too(tmp_path):
    import threading

    gate = _Gate(str(tmp_path / "db.sqlite3-gate"))
    inside: list[int] = []
    overlaps: list[int] = []

    def writer(n: int) -> None:
        for _ in range(20):
            gate.enter()
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.001)
            inside.remove(n)
            gate.leave()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert overlaps == []
