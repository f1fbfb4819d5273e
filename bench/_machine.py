"""What every benchmark prints about the machine it measured on."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """CPU, cores, Python and the load average at the moment (these machines are shared)."""
    return (f"{platform.machine()} {cpu_model()}, {os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.system()}; load average {os.getloadavg()[0]:.2f}")


def command() -> str:
    return shlex.join([sys.executable, *sys.argv])
