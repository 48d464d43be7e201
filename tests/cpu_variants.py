"""Environments that make numpy run other CPU kernels, for the same-bytes-on-every-CPU tests.

OpenBLAS picks its kernel by CPU at run time; ``OPENBLAS_CORETYPE`` forces one. Only
kernels this CPU can run are offered (a Haswell kernel on a CPU without AVX2 would
die of SIGILL). numpy's own SIMD loops are dispatched by CPU too:
``NPY_DISABLE_CPU_FEATURES`` switches every dispatched target off, leaving the
baseline build.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def blas_kernels() -> list[str]:
    """Two or more ``OPENBLAS_CORETYPE`` values this CPU runs, oldest first ([] off x86-64)."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return []
    flags = _cpu_flags()
    kernels = ["Prescott"]  # SSE3: every x86-64 CPU since 2004
    if {"avx"} <= flags:
        kernels.append("SandyBridge")
    if {"avx2", "fma"} <= flags:
        kernels.append("Haswell")
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        kernels.append("SkylakeX")
    return kernels if len(kernels) > 1 else []


def numpy_baseline_features() -> str | None:
    """The ``NPY_DISABLE_CPU_FEATURES`` value that turns off all of numpy's dispatched SIMD."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_dispatch__
        except ImportError:
            return None
    return " ".join(__cpu_dispatch__) or None


def environ(**changes: str | None) -> dict[str, str]:
    """This process's environment with ``changes`` (None removes a variable)."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
