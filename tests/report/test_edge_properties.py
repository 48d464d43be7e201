"""Numbers at the edges, as properties: whatever finite or non-finite numbers a logdir
holds, ``build_report`` writes a report in which every chart is drawn (no "could not
draw" card) and what falls outside an axis is said to be clipped.

Logdirs are written with tbreport's ``SummaryWriter`` (scalars, histograms) and raw
protobufs (TF2 histogram tensors with TensorFlow's ``-DBL_MAX``/``DBL_MAX`` outer
buckets, legacy histograms whose sums overflow). Examples: ±1e308, ±DBL_MAX, subnormals,
NaN/inf, steps near ``2**63`` and negative, wall times in s/ms/µs/ns.

The default profile draws a few examples, derandomized (seconds);
``HYPOTHESIS_PROFILE=thorough`` (``make test-props``) draws many more.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytest.importorskip("matplotlib")  # the report's stack (absent from the oldest-protobuf venv)

from tbreport import SummaryWriter, build_report
from tbreport.render.lines import line_chart, prepare_series, step_origin
from tests.logdirs._write import START, RawEventFile, tensor_value

DBL_MAX = sys.float_info.max
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
# each example builds a report (~0.3 s): few by default, derandomized so a run is repeatable
EXAMPLES = settings(
    max_examples=300 if THOROUGH else 4,
    derandomize=not THOROUGH,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # caplog: cleared by each example
    ],
)

EDGE_FLOATS = [
    1e308,
    -1e308,
    DBL_MAX,
    -DBL_MAX,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    0.0,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    3.4028234663852886e38,
    1e-45,
]
values = st.one_of(st.sampled_from(EDGE_FLOATS), st.floats(allow_nan=True, allow_infinity=True))
finite = st.one_of(
    st.sampled_from([v for v in EDGE_FLOATS if math.isfinite(v)]),
    st.floats(allow_nan=False, allow_infinity=False),
)
#: where a series' steps start: near the int64 ends, negative, past 2**53, or ordinary
step_starts = st.sampled_from([0, -5, INT64_MAX - 40, INT64_MIN, 2**53, -(2**62), 10**15])
step_gaps = st.sampled_from([1, 1, 2, 1000])
#: a wall-time unit (TensorFlow writes seconds; ``time.time() * 1000`` is common)
wall_scales = st.sampled_from([1.0, 1e3, 1e6, 1e9])


@st.composite
def scalar_series(draw: st.DrawFn) -> list[tuple[int, float, float]]:
    n = draw(st.integers(1, 12))
    start, gap = draw(step_starts), draw(step_gaps)
    start = min(start, INT64_MAX - (n - 1) * gap)  # distinct steps, the last up to 2**63-1
    steps = [start + k * gap for k in range(n)]
    scale = draw(wall_scales)
    ys = draw(st.lists(values, min_size=n, max_size=n))
    return [(s, (START + 10.0 * k) * scale, y) for k, (s, y) in enumerate(zip(steps, ys))]


@st.composite
def tf2_histogram_tensor(draw: st.DrawFn) -> np.ndarray[Any, Any]:
    """``[k, 3]`` rows ``(left, right, count)``: sorted edges from the edge floats (the
    outer ones possibly ``-DBL_MAX``/``DBL_MAX``, as TensorFlow's outer buckets)."""
    inner = sorted(set(draw(st.lists(finite, min_size=1, max_size=6))))
    if draw(st.booleans()):
        inner = [-DBL_MAX, *inner]
    if draw(st.booleans()):
        inner = [*inner, DBL_MAX]
    if len(inner) == 1:
        inner = inner * 2
    counts = draw(
        st.lists(
            st.sampled_from([0.0, 1.0, 7.0, 1e6]), min_size=len(inner) - 1, max_size=len(inner) - 1
        )
    )
    return np.array([[a, b, c] for a, b, c in zip(inner, inner[1:], counts)], dtype=np.float64)


#: raw values for ``add_histogram``: ordinary, huge (mean and std overflow), subnormal
hist_values = st.lists(
    st.one_of(finite, st.sampled_from([1e308, -1e308, DBL_MAX, 5e-324])), min_size=1, max_size=40
)


def _build(logdir: Path, caplog: pytest.LogCaptureFixture, **options: Any) -> str:
    """Build the report of ``logdir``; the page (asserting no part failed)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tbreport"):
        out = build_report(logdir, logdir.parent / "r.html", progress=False, jobs=1, **options)
    page = out.read_text("utf-8")
    failed = [r.getMessage() for r in caplog.records if "could not draw" in r.getMessage()]
    assert not failed, failed
    assert 'class="failed"' not in page
    return page


def _huge_runs(*lasts: float) -> list[list[tuple[int, float, float]]]:
    return [[(k, START + k, v) for k, v in enumerate([1.0, 2.0, 3.0, last])] for last in lasts]


@EXAMPLES
@example(  # mean and std of the group's runs overflow
    series=_huge_runs(1e308, DBL_MAX, -1e308), x_axis="step", compare={"group_by": r"\d$"}
)
@example(series=_huge_runs(DBL_MAX, -DBL_MAX), x_axis="step", compare={"baseline": "run0"})
@example(series=_huge_runs(5e-324, -5e-324, 0.0), x_axis="wall", compare={"group_by": r"\d$"})
@given(
    series=st.lists(scalar_series(), min_size=1, max_size=3),
    x_axis=st.sampled_from(["step", "wall", "relative"]),
    compare=st.sampled_from([{}, {"group_by": r"\d$"}, {"baseline": "run0"}]),
)
def test_scalars_at_the_edges(
    series: list[list[tuple[int, float, float]]],
    x_axis: str,
    compare: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Also compared (``--group-by``: mean ± std of the runs, which overflow near 1e308;
    ``--baseline``: deltas)."""
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        for k, points in enumerate(series):
            with SummaryWriter(logdir / f"run{k}", flush_secs=3600) as w:
                for step, wall, y in points:
                    w.add_scalar(
                        "m/f64", y, step, walltime=wall, new_style=True, double_precision=True
                    )
                    w.add_scalar("m/f32", y, step, walltime=wall)
        page = _build(logdir, caplog, x_axis=x_axis, **compare)
        charted = any(len(points) > 2 for points in series)  # else a "single values" row
        huge = any(math.isfinite(y) and abs(y) > 1.2e307 for p in series for _, _, y in p)
        if charted and huge:  # the axis stops at +-1e307: clipped, and said so
            assert "beyond the y-range" in page


#: TF2's default buckets of a value range reaching +-DBL_MAX (its outer buckets)
_TF_OUTER = np.array([[-DBL_MAX, -1.0, 3.0], [-1.0, 1.0, 10.0], [1.0, DBL_MAX, 2.0]])


@EXAMPLES
@example(tensors=[_TF_OUTER], raw=[[1e308, -1e308, 1.0]], start=0)  # the value range near 1e308
@example(tensors=[np.array([[1e308, DBL_MAX, 5.0]])], raw=[[DBL_MAX, DBL_MAX]], start=INT64_MAX)
@example(tensors=[np.array([[5e-324, 1e-323, 2.0]])], raw=[[5e-324, -5e-324]], start=INT64_MIN)
@given(
    tensors=st.lists(tf2_histogram_tensor(), min_size=1, max_size=3),
    raw=st.lists(hist_values, min_size=1, max_size=3),
    start=step_starts,
)
def test_histograms_at_the_edges(
    tensors: list[np.ndarray[Any, Any]],
    raw: list[list[float]],
    start: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp) / "logs"
        with RawEventFile(logdir / "tf2", START, suffix=".v2") as f:
            for k, arr in enumerate(tensors):
                step = min(start + k, INT64_MAX)
                f.summary(step, START + k, tensor_value("h/tf2", arr, plugin="histograms"))
        with SummaryWriter(logdir / "writer", flush_secs=3600) as w:
            for k, vals in enumerate(raw):
                step = min(start + k, INT64_MAX)
                arr = np.array(vals)
                w.add_histogram("h/values", arr, step, walltime=START + k)
                with np.errstate(over="ignore"):  # the test's own sums: inf near 1e308
                    total, squares = float(np.sum(arr)), float(np.sum(arr * arr))
                w.add_histogram_raw(  # sum and sum of squares overflow: mean and std too
                    "h/raw",
                    min=float(arr.min()),
                    max=float(arr.max()),
                    num=len(vals),
                    sum=total,
                    sum_squares=squares,
                    bucket_limits=[float(arr.max())],
                    bucket_counts=[len(vals)],
                    global_step=step,
                    walltime=START + k,
                )
        page = _build(logdir, caplog)
        rows = [row for a in tensors for row in a if row[2] > 0]
        far = [(abs(a) >= 1e308, abs(b) >= 1e308) for a, b, _ in rows]
        if any(left != right for left, right in far):
            # TensorFlow's outer buckets reach +-DBL_MAX: drawn clipped, with a note
            assert "(TensorFlow&#39;s outer buckets) clipped to the bucket" in page
        if any(left and right for left, right in far):  # no edge an axis can hold
            assert "beyond ±1e+308 not drawn" in page


@pytest.mark.parametrize(
    ("start", "origin"),
    [(INT64_MAX - 39, INT64_MAX - 39), (INT64_MIN, INT64_MIN), (2**53 + 1, 2**53 + 1), (0, 0)],
)
def test_steps_near_the_int64_ends_keep_their_x_axis(start: int, origin: int) -> None:
    """40 steps at the end of int64 are 40 distinct x positions, not one pixel: float64
    holds no two of them apart, so the axis counts from the first step."""
    steps = np.arange(40, dtype=np.int64) + np.int64(start)
    assert len(set(steps.astype(np.float64).tolist())) < 40 or start < 2**53  # the problem
    assert step_origin([steps[:20], steps[20:]]) == origin
    line = prepare_series(
        steps,
        START + np.arange(40.0),
        1 / (1 + np.arange(40.0)),
        color="#123456",
        smoothing=0.0,
        origin=origin,
    )
    chart, _ = line_chart([line], origin=origin)
    assert chart.step_origin == origin
    x = chart.series[0].x
    assert x.tolist() == list(range(start - origin, start - origin + 40))


def test_steps_spanning_int64_need_no_origin() -> None:
    assert step_origin([np.array([INT64_MIN, 0, INT64_MAX])]) == 0  # float64 tells them apart
    assert step_origin([np.array([2**60, 2**60 + 2**54])]) == 0


def test_the_chart_of_steps_near_2p63_says_what_it_counts_from(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with SummaryWriter(tmp_path / "logs" / "run", flush_secs=3600) as w:
        for k in range(40):
            w.add_scalar("loss", 1.0 / (k + 1), INT64_MAX - 39 + k, walltime=START + k)
    page = _build(tmp_path / "logs", caplog, format="svg")
    assert f"step \u2212 {INT64_MAX - 39:,}" in page  # the x-axis title
    assert 'class="tbc-data"' not in page  # static: the page's float64 steps would collapse
