"""The server the loopback benches measure: `pacesetter serve` (collectstatic, then gunicorn
with its default workers, as `make run` starts it) on the bench's own database, started in a
subprocess and waited for until it answers."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

START_SECONDS = 600  # collecting the static files alone takes minutes on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """DATABASE_URL for the database this process is connected to (the bench's)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def pacesetter_process(
    args: list[str], environment: dict[str, str], log_path: Path
) -> subprocess.Popen:
    """`pacesetter ARGS…` as an operator runs it, from this environment's installation, its
    output to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "pacesetter"), *args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """SIGTERM, and SIGKILL if it has not ended `timeout` seconds later."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def serve(var: Path, *, ready_path: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """Start the server with `env` added (e.g. the write limits off: one client address sends
    everything) and return it and its port once GET `ready_path` answers. Its output goes to
    `var`/server.log; access logging is off."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        # The developer's var/ for the static files (collected once, not per run) and the
        # secret key; the database is the bench's.
        "PACESETTER_VAR": str(settings.VAR_DIR),
        "BIND": f"127.0.0.1:{port}",
        **env,
    }
    log_path = var / "server.log"
    server = pacesetter_process(["serve", "--access-logfile", "/dev/null"], environment, log_path)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", ready_path)
            conn.getresponse().read()
            conn.close()
            return server, port
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(
                    f"the server did not start (exit code {server.returncode}): "
                    f"{log_path.read_text()[-2000:]}"
                ) from None
            time.sleep(0.5)
