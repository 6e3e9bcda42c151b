"""What the figures were measured on: a rate means little without the machine beside it."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _first_line_with(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def describe() -> dict[str, object]:
    """CPU model, logical cores (and those this process may use), RAM, OS and Python."""
    cpu = _first_line_with("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory_kb = _first_line_with("/proc/meminfo", "MemTotal")
    ram_gb = round(int(memory_kb.split()[0]) / 1024**2, 1) if memory_kb else None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "machine.cpu": cpu,
        "machine.cores": os.cpu_count(),
        "machine.cores_usable": usable,
        "machine.ram_gb": ram_gb,
        "machine.os": platform.platform(),
        "machine.python": platform.python_version(),
    }
