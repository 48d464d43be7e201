"""A histogram's bytes depend on its values only, never on the CPU's BLAS or SIMD kernels."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tbreport.kinds.histogram import make_histogram
from tests.cpu_variants import blas_kernels, environ, numpy_baseline_features

ROOT = Path(__file__).parents[2]

# Prints each histogram's serialised bytes, then numpy's BLAS dot of the same values
# (torch's sum of squares): the second column shows whether the kernels differ here.
PROBE = """
import numpy as np
from tbreport.kinds.histogram import histogram_value
rng = np.random.default_rng(7)
for n in (2000, 4099, 100003):
    v = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4, size=n)
    print(histogram_value("h", v).SerializeToString().hex(), repr(float(v.dot(v))))
"""


def _probe(**env: str | None) -> list[tuple[str, str]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
        env=environ(PYTHONPATH=str(ROOT), **env),
    ).stdout
    return [(line.split()[0], line.split()[1]) for line in out.splitlines()]


@pytest.mark.skipif(not blas_kernels(), reason="OPENBLAS_CORETYPE names x86-64 kernels")
def test_same_bytes_under_every_blas_kernel() -> None:
    runs = {kernel: _probe(OPENBLAS_CORETYPE=kernel) for kernel in blas_kernels()}
    histograms = {kernel: [h for h, _ in rows] for kernel, rows in runs.items()}
    first = next(iter(histograms.values()))
    assert all(h == first for h in histograms.values()), {
        k: [x[:16] for x in h] for k, h in histograms.items()
    }


def test_same_bytes_without_numpy_simd() -> None:
    features = numpy_baseline_features()
    if features is None:
        pytest.skip("this numpy has no run-time SIMD dispatch")
    baseline = [h for h, _ in _probe(NPY_DISABLE_CPU_FEATURES=features)]
    assert baseline == [h for h, _ in _probe()]


def _exact(values: np.ndarray) -> tuple[Fraction, Fraction]:
    xs = [Fraction(float(x)) for x in values]
    return sum(xs, Fraction(0)), sum((x * x for x in xs), Fraction(0))


@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 3000),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)
def test_sums_are_within_a_summation_error_of_the_exact_values(values: np.ndarray) -> None:
    """The fixed-order sums are accurate: within n*eps of the exact sums (pairwise does better).

    Squares below the normal range lose their bits (that is IEEE, on every CPU), hence
    the absolute term of the bound.
    """
    histo = make_histogram(values, bins=10)
    total, squares = _exact(values)
    eps = Fraction(2**-52)
    n = len(values)
    abs_sum = sum((abs(Fraction(float(x))) for x in values), Fraction(0))
    assert abs(Fraction(histo.sum) - total) <= n * eps * abs_sum
    tiny = Fraction(2**-1022)
    assert abs(Fraction(histo.sum_squares) - squares) <= n * eps * squares + n * tiny
    assert histo.sum == float(values.sum())  # numpy's pairwise sum, as torch writes it


def test_a_range_of_subnormals_is_one_bucket_not_an_error() -> None:
    """5e-324 .. 0 can't hold 10 finite-sized numpy bins: one bucket keeps both values."""
    from tbreport.kinds.histogram import make_histogram

    h = make_histogram(np.array([5e-324, 0.0]), bins=10)
    assert h.num == 2 and sum(h.bucket) == 2
    assert h.min == 0.0 and h.max == 5e-324
