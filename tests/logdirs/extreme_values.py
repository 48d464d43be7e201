"""``extreme_values``: finite (and non-finite) numbers at the edges, one case per run.

Written with tbreport's ``SummaryWriter`` where it takes the value (``add_scalar``
with ``walltime=`` and ``new_style=True, double_precision=True``), raw protos for
the histograms TF1 writes (TF's collapsed default buckets) and TF2 histogram
tensors. Runs:

==========================  ==============================================================
run                         what
==========================  ==============================================================
``walltime_ms``             ``loss`` (50 points) with ``walltime=time.time()*1000``
``walltime_us``             the same in microseconds (1.7e15)
``walltime_ns``             the same in nanoseconds (1.7e18, ``time.time_ns()``)
``walltime_zero``           wall time 0.0 and negative wall times (-1.0, -1e9)
``float64_1e308``           ``float64/pm1e308``: 1, 2, 1e308, -1e308, 3 ... (float64 tensor
                            scalars); ``float64/normal``: an ordinary series beside it
``float64_dbl_max``         ``float64/dbl_max``: +-DBL_MAX (1.7976931348623157e308)
``float64_subnormal``       ``float64/subnormal``: 5e-324, 2.2e-308, -5e-324, 0.0, -0.0
``float32_edges``           legacy ``simple_value``: +-3.4028235e38 (FLT_MAX), 1e-45
                            (denormal), 1e39 (written as inf by float32)
``non_finite``              ``nonfinite/mixed``: nan, inf, -inf between normal values;
                            ``nonfinite/all_nan``: only NaN; ``nonfinite/inf_only``
``steps_int64``             ``steps/near_max``: steps 2**63-3 .. 2**63-1;
                            ``steps/min``: -2**63, -2**63+1; ``steps/negative``: -5..4;
                            ``steps/beyond_2p53``: 2**53 .. 2**53+4 (not exact as float64)
``constant``                ``constant/half``: 0.5 at 100 steps; ``constant/zero``: 0.0;
                            ``constant/one_point``: 42.0 once
``histograms_tf1``          legacy histograms (TF's ``Histogram`` encoding):
                            ``hist/outer_neg``: values down to -1e300 (the bucket whose
                            left edge is -DBL_MAX is filled); ``hist/outer_pos``: values
                            up to 1e300 (the last bucket, right edge DBL_MAX, filled);
                            ``hist/neg_inf``: includes -inf (TF puts it in the first
                            bucket, limit -DBL_MAX, which has no left edge);
                            ``hist/empty``: no values (one bucket ``DBL_MAX`` count 0,
                            min DBL_MAX, max -DBL_MAX, as TF writes it);
                            ``hist/constant``: 1,000 copies of 3.0
``histograms_tf2``          TF2 tensors: ``hist2/empty_zeros`` ([30, 3] zeros, what
                            ``tf.summary.histogram`` writes for empty input);
                            ``hist2/zero_buckets`` ([0, 3]); ``hist2/constant`` (30
                            buckets ``[3, 3]``, all counts in the last);
                            ``hist2/dbl_max_edges`` (edges -DBL_MAX..DBL_MAX)
==========================  ==============================================================

What TensorBoard reads (``tests/test_logdirs.py``): everything loads. The legacy
accumulator keeps every scalar, step and wall time as written (steps -2**63 and
2**63-1 exactly; wall times up to 1.77e18), float32 ``simple_value`` points as float32
(1e39 became inf when written, 1e-45 stays a denormal), float64 tensor scalars as
tensors, and the histograms as written (``hist/neg_inf`` has min -inf).

tbreport at ``e0cfbc3``: ``tbreport.load`` reads every run; ``tbreport build`` of
the whole logdir exits 2 ("Axis limits cannot be NaN or Inf") and writes nothing.
One run at a time: ``float64_1e308`` and ``float64_dbl_max`` exit 2 (the same),
``histograms_tf2`` exits 2 ("arange: cannot compute length"), ``walltime_ms`` and
``walltime_us`` exit 2 ("year 57971 is out of range"), ``walltime_ns`` exits 2
("Value too large for defined data type"); the other runs build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tbreport import SummaryWriter
from tbreport.proto import summary_pb2
from tests.logdirs._write import (
    DBL_MAX,
    START,
    RawEventFile,
    finish,
    fresh,
    frozen,
    tensor_value,
    tf1_histogram,
    tf2_histogram,
)

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def _series(name: str) -> dict[str, list[tuple[int, float, float]]]:
    """Run -> ``tag`` -> ``(step, wall_time, value)`` points of the scalar cases."""
    t = [START + 10.0 * i for i in range(50)]
    loss = [float(np.exp(-i / 20)) for i in range(50)]
    inf, nan = float("inf"), float("nan")
    cases: dict[str, dict[str, list[tuple[int, float, float]]]] = {
        "walltime_ms": {"loss": [(i, t[i] * 1e3, loss[i]) for i in range(50)]},
        "walltime_us": {"loss": [(i, t[i] * 1e6, loss[i]) for i in range(50)]},
        "walltime_ns": {"loss": [(i, t[i] * 1e9, loss[i]) for i in range(50)]},
        "walltime_zero": {"loss": [(0, 0.0, 1.0), (1, -1.0, 0.9), (2, -1e9, 0.8), (3, START, 0.7)]},
        "float64_1e308": {
            "float64/pm1e308": [
                (i, t[i], v) for i, v in enumerate([1.0, 2.0, 1e308, -1e308, 3.0, 2.5])
            ],
            "float64/normal": [(i, t[i], loss[i]) for i in range(6)],
        },
        "float64_dbl_max": {
            "float64/dbl_max": [(0, t[0], DBL_MAX), (1, t[1], -DBL_MAX), (2, t[2], 0.0)]
        },
        "float64_subnormal": {
            "float64/subnormal": [
                (i, t[i], v)
                for i, v in enumerate([5e-324, 2.2250738585072014e-308, -5e-324, 0.0, -0.0])
            ]
        },
        "non_finite": {
            "nonfinite/mixed": [
                (i, t[i], v) for i, v in enumerate([1.0, nan, 0.5, inf, 0.25, -inf, 0.1])
            ],
            "nonfinite/all_nan": [(i, t[i], nan) for i in range(5)],
            "nonfinite/inf_only": [(0, t[0], inf), (1, t[1], -inf)],
        },
        "steps_int64": {
            "steps/near_max": [(INT64_MAX - 2 + k, t[k], float(k)) for k in range(3)],
            "steps/min": [(INT64_MIN, t[0], 1.0), (INT64_MIN + 1, t[1], 2.0)],
            "steps/negative": [(s, t[s + 5], float(s)) for s in range(-5, 5)],
            "steps/beyond_2p53": [(2**53 + k, t[k], float(k)) for k in range(5)],
        },
        "constant": {
            "constant/half": [(i, t[i % 50], 0.5) for i in range(100)],
            "constant/zero": [(i, t[i % 50], 0.0) for i in range(100)],
            "constant/one_point": [(7, t[7], 42.0)],
        },
    }
    return cases.get(name, {})


SCALAR_RUNS = (
    "walltime_ms",
    "walltime_us",
    "walltime_ns",
    "walltime_zero",
    "float64_1e308",
    "float64_dbl_max",
    "float64_subnormal",
    "non_finite",
    "steps_int64",
    "constant",
)
FLOAT64_RUNS = ("float64_1e308", "float64_dbl_max", "float64_subnormal")
FLOAT32_EDGES = [
    (0, 3.4028234663852886e38),
    (1, -3.4028234663852886e38),
    (2, 1e-45),
    (3, 1e39),
    (4, 1.0),
]


def _tf1_hists() -> dict[str, Any]:
    rng = np.random.default_rng(9)
    normal = rng.normal(0, 1, 200)
    with np.errstate(over="ignore"):
        return {
            "hist/outer_neg": tf1_histogram(np.concatenate([normal, [-1e300, -5e25]])),
            "hist/outer_pos": tf1_histogram(np.concatenate([normal, [1e300, 5e25]])),
            "hist/neg_inf": tf1_histogram(np.concatenate([normal, [-np.inf]])),
            "hist/empty": tf1_histogram(np.zeros(0)),
            "hist/constant": tf1_histogram(np.full(1000, 3.0)),
        }


def _tf2_hists() -> dict[str, np.ndarray[Any, Any]]:
    edges = np.array([[-DBL_MAX, -1.0, 3.0], [-1.0, 1.0, 10.0], [1.0, DBL_MAX, 2.0]])
    return {
        "hist2/empty_zeros": tf2_histogram(np.zeros(0)),
        "hist2/zero_buckets": np.zeros((0, 3)),
        "hist2/constant": tf2_histogram(np.full(1000, 3.0)),
        "hist2/dbl_max_edges": edges,
    }


def build_extreme_values(root: Path | str, *, scale: int = 1) -> Path:
    """Write the ``extreme_values`` logdir into ``root`` (replaced); ``scale`` is unused."""
    del scale
    out = fresh(root)
    with frozen():
        for run in SCALAR_RUNS:
            with SummaryWriter(out / run, flush_secs=3600) as w:
                double = run in FLOAT64_RUNS
                for tag, points in _series(run).items():
                    for step, wall, value in points:
                        w.add_scalar(
                            tag,
                            value,
                            step,
                            walltime=wall,
                            new_style=double,
                            double_precision=double,
                        )
        with SummaryWriter(out / "float32_edges", flush_secs=3600) as w:
            for step, value in FLOAT32_EDGES:
                w.add_scalar("float32/edges", value, step, walltime=START + step)
    with RawEventFile(out / "histograms_tf1", START) as f:
        for k, (tag, histo) in enumerate(_tf1_hists().items()):
            f.summary(k, START + k, summary_pb2.Summary.Value(tag=tag, histo=histo))
    with RawEventFile(
        out / "histograms_tf2", START, suffix=".v2", writer="tensorflow.core.util.events_writer"
    ) as f:
        for k, (tag, arr) in enumerate(_tf2_hists().items()):
            f.summary(k, START + k, tensor_value(tag, arr.astype(np.float64), plugin="histograms"))
    return finish(out)


def claims(*, scale: int = 1) -> dict[str, Any]:
    del scale
    out: dict[str, Any] = {
        run: {"scalars": {t: len(p) for t, p in _series(run).items()}} for run in SCALAR_RUNS
    }
    out["float32_edges"] = {"scalars": {"float32/edges": len(FLOAT32_EDGES)}}
    out["histograms_tf1"] = {"histograms": dict.fromkeys(_tf1_hists(), 1)}
    out["histograms_tf2"] = {"histograms": dict.fromkeys(_tf2_hists(), 1)}
    return out
