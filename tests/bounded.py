"""The real ``tbreport`` command line in a child process with a memory cap and a timeout.

A hostile input is tested the way a user meets it: ``python -m tbreport build ...`` in
a child whose address space is capped (``RLIMIT_AS``; an allocation of a claimed size
fails there instead of swapping the machine) and which is killed past a timeout. The
timeout is a bound, not a measurement: a build that needs it has hung.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MEMORY_MB = 1536
"""The child's address-space cap: tbreport builds a small report in a few hundred MB."""
TIMEOUT = 300.0
"""Seconds before the child is killed (a small build takes a few on a busy machine)."""

_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    returncode: int | None  # None: killed at the timeout
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def run_cli(
    *args: str | bytes | os.PathLike[str],
    memory_mb: int = MEMORY_MB,
    timeout: float = TIMEOUT,
    env: dict[str, str] | None = None,
) -> Outcome:
    """``python -m tbreport ARGS`` under the caps; never raises for the child's failure."""
    import resource  # POSIX only: the tests using it run on Linux and macOS

    def limit() -> None:  # in the child, before exec
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    child_env = dict(os.environ, **(env or {}))
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_ROOT), child_env.get("PYTHONPATH", "")) if p
    )
    # one BLAS thread: each thread's reserved stack counts against the address space
    child_env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # and glibc reserves 64 MB of address space for each thread's malloc arena: with
    # reader or chart threads the cap would count those reservations, not what is used
    # (whether the reader starts workers depends on the machine's idle cores)
    child_env.setdefault("MALLOC_ARENA_MAX", "2")
    command = [sys.executable, "-m", "tbreport", *(os.fsencode(a) for a in args)]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            timeout=timeout,
            preexec_fn=limit,
            env=child_env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Outcome(None, exc.stdout or b"", exc.stderr or b"")
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def build(logdir: Path, out: Path, *flags: str, **caps: float) -> Outcome:
    """``tbreport build LOGDIR -o OUT FLAGS`` under the caps (``memory_mb``, ``timeout``)."""
    return run_cli("build", logdir, "-o", out, *flags, **caps)  # type: ignore[arg-type]
