"""The interactive charts' payload: what is kept, and that it reads back exactly."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tbreport.render.assets import read_asset
from tbreport.render.chartdata import (
    DEFAULT_BUCKETS,
    Line,
    chart_payload,
    csp_hash,
    decode_payload,
    embed,
    keep_indices,
    payload_json,
)

INT64 = np.iinfo(np.int64)
EXTREMES = [0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-45, 3.4e38,
            np.nan, np.inf, -np.inf, 0.1]  # fmt: skip


def roundtrip(lines: list[Line], buckets: int = DEFAULT_BUCKETS) -> None:
    payload = chart_payload("t", lines, buckets=buckets)
    decoded = decode_payload(payload_json(payload))  # through the JSON text, as the page reads it
    assert len(decoded) == len(lines)
    for d, line in zip(decoded, lines):
        steps = np.asarray(line.steps, dtype=np.int64)
        values = np.asarray(line.values, dtype=np.float64)
        walls = np.asarray(line.wall_times, dtype=np.float64)
        idx = keep_indices(steps, values, buckets)
        assert d.logged == steps.size
        assert d.steps.tolist() == steps[idx].tolist()
        # every kept value bit for bit (NaN stays NaN, -0.0 stays -0.0, subnormals survive)
        assert np.array_equal(d.values, values[idx], equal_nan=True)
        assert np.array_equal(np.signbit(d.values), np.signbit(values[idx]))
        ok = np.isfinite(walls[idx]) & (np.abs(walls[idx]) <= 1e12)
        expected = np.where(ok, np.rint(np.where(ok, walls[idx], 0) * 1000) / 1000, 0.0)
        np.testing.assert_array_equal(d.wall_times, expected)
        assert d.run == line.run and d.color == line.color


values_st = hnp.arrays(
    np.float64,
    st.integers(0, 600),
    elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(EXTREMES)),
)


@given(data=st.data(), values=values_st, buckets=st.integers(1, 80))
def test_roundtrip_keeps_every_kept_point_exactly(
    data: st.DataObject, values: np.ndarray, buckets: int
) -> None:
    n = values.size
    steps = data.draw(
        st.one_of(
            st.just(np.arange(n, dtype=np.int64)),
            hnp.arrays(np.int64, n, elements=st.integers(INT64.min, INT64.max)),
            hnp.arrays(np.int64, n, elements=st.integers(-5, 5)).map(np.cumsum),  # restarts
        )
    )
    walls = data.draw(
        st.one_of(
            st.just(1.7e9 + np.arange(n) * 0.37),
            hnp.arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True)),
        )
    )
    roundtrip([Line("r", "#123456", steps, walls, values)], buckets)


@given(
    values=hnp.arrays(np.float32, st.integers(0, 300), elements=st.floats(width=32, allow_nan=True))
)
def test_float32_values_are_stored_in_four_bytes(values: np.ndarray) -> None:
    v = values.astype(np.float64)  # what simple_value gives
    payload = chart_payload("t", [Line("r", "#fff", np.arange(v.size), np.zeros(v.size), v)])
    assert payload["series"][0]["vt"] == 4
    assert np.array_equal(decode_payload(payload)[0].values, v, equal_nan=True)


@pytest.mark.parametrize("value", [0.1, 1e308, -1e308, 5e-324, 2.2250738585072014e-308, 1 / 3])
def test_values_float32_cannot_hold_are_stored_in_eight_bytes(value: float) -> None:
    v = np.array([1.0, value, np.nan, np.inf])
    payload = chart_payload("t", [Line("r", "#fff", np.arange(4), np.zeros(4), v)])
    assert payload["series"][0]["vt"] == 8
    assert np.array_equal(decode_payload(payload)[0].values, v, equal_nan=True)


def test_several_series_and_edge_sizes() -> None:
    lines = [
        Line("empty", "#000", [], [], []),
        Line("one", "#111", [7], [1.7e9], [2.5]),
        Line(
            "big",
            "#222222",
            np.arange(50_000),
            1.7e9 + np.arange(50_000) * 0.02,
            np.random.default_rng(0).normal(size=50_000),
        ),
        Line("extreme steps", "#333", [INT64.min, INT64.max, 0, -1], [0, 0, 0, 0], [1, 2, 3, 4]),
    ]
    roundtrip(lines)
    payload = chart_payload("t", lines)
    assert payload["z"] == "deflate"
    assert [s["k"] for s in payload["series"]][:2] == [0, 1]
    assert payload["series"][2]["k"] <= 2 * DEFAULT_BUCKETS + 2


def test_small_payload_is_not_compressed_and_output_is_deterministic() -> None:
    line = Line("a", "#abcdef", [0, 1, 2], [1.7e9, 1.7e9 + 1, 1.7e9 + 2], [0.5, 0.25, 0.125])
    first = payload_json(chart_payload("loss", [line]))
    assert payload_json(chart_payload("loss", [line])) == first
    assert json.loads(first)["z"] is None


@given(
    values=hnp.arrays(np.float64, st.integers(1, 3000), elements=st.floats(-1e6, 1e6)),
    buckets=st.integers(1, 100),
    restart=st.integers(0, 3000),
)
def test_keep_indices_keeps_extremes_first_and_last(
    values: np.ndarray, buckets: int, restart: int
) -> None:
    n = values.size
    steps = np.arange(n, dtype=np.int64)
    cut = min(restart, n)
    steps[cut:] -= cut // 2  # a restart: the steps go back at `cut`
    idx = keep_indices(steps, values, buckets)
    assert np.all(np.diff(idx) > 0)  # ascending, no duplicates: the page draws them in order
    assert idx[0] == 0 and idx[-1] == n - 1
    kept = set(idx.tolist())
    assert int(np.argmin(values)) in kept or values[idx].min() == values.min()
    assert int(np.argmax(values)) in kept or values[idx].max() == values.max()
    restarted = bool(np.any(np.diff(steps) < 0))
    if restarted and n > 2 * buckets + 2:
        assert {cut - 1, cut} <= kept  # each attempt's first and last point
    if n > 2 * buckets + 2:
        segments = 2 if restarted else 1
        assert idx.size <= segments * (2 * buckets + 2) + 1
    else:
        assert idx.size == n


def test_keep_indices_is_min_max_per_bucket() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=10_000)
    steps = np.arange(10_000)
    idx = keep_indices(steps, values, 100)
    for b in range(100):
        lo, hi = b * 100, (b + 1) * 100
        mine = set(idx[(idx >= lo) & (idx < hi)].tolist())
        assert lo + int(np.argmin(values[lo:hi])) in mine
        assert lo + int(np.argmax(values[lo:hi])) in mine
        assert len(mine - {0, 9999}) == 2  # nothing averaged, nothing else


def test_keep_indices_marks_every_kind_of_non_finite_value_per_bucket() -> None:
    values = np.zeros(1000)
    values[100:110] = np.nan
    values[500] = np.inf
    values[501] = -np.inf
    idx = set(keep_indices(np.arange(1000), values, 10).tolist())
    assert {100, 500, 501} <= idx
    assert not set(range(101, 110)) & idx  # one NaN per bucket is enough to mark it


def test_embed_cannot_end_the_script_or_open_a_comment() -> None:
    evil = "</script><script>alert(1)</script><!-- & </SCRIPT >"
    html = embed(chart_payload(evil, [Line(evil, "#123", [0], [0.0], [1.0])]))
    assert html.startswith('<script type="application/json" class="tbc-data">{')
    inner = html[len('<script type="application/json" class="tbc-data">') : -len("</script>")]
    assert "<" not in inner and ">" not in inner and "&" not in inner
    assert re.search(r"</script", html, re.I).start() == len(html) - len("</script>")  # type: ignore[union-attr]
    payload = json.loads(inner)
    assert payload["tag"] == evil and payload["series"][0]["run"] == evil


def test_names_outside_ascii_and_lone_surrogates_survive() -> None:
    name = "résumé/运行\u202e\udcff"
    text = payload_json(chart_payload(name, [Line(name, "#123", [0], [0.0], [1.0])]))
    assert text.isascii()
    assert decode_payload(text)[0].run == name


def test_csp_hash_is_the_one_report_py_writes() -> None:
    script = read_asset("report.js")
    expected = "sha256-" + base64.b64encode(
        hashlib.sha256(("\n" + script + "\n").encode("utf-8")).digest()
    ).decode("ascii")
    assert csp_hash("\n" + script + "\n") == expected


def test_relative_axis_origin_is_the_run_start() -> None:
    line = Line("a", "#123", [0, 1], [1000.25, 1001.5], [1.0, 2.0], start_time=990.0)
    decoded = decode_payload(chart_payload("t", [line]))[0]
    assert decoded.start_time == 990.0
    assert (
        decode_payload(chart_payload("t", [Line("a", "#123", [0], [5.5], [1.0])]))[0].start_time
        == 5.5
    )


@pytest.mark.parametrize(
    ("kwargs", "line", "message"),
    [
        ({}, Line("r", "red", [0], [0.0], [1.0]), "colour"),
        ({}, Line("r", "#fff", [0, 1], [0.0], [1.0]), "differ in length"),
        ({"smoothing": 1.0}, Line("r", "#fff", [0], [0.0], [1.0]), "smoothing"),
        ({"x_axis": "time"}, Line("r", "#fff", [0], [0.0], [1.0]), "x_axis"),
        ({"buckets": 0}, Line("r", "#fff", [0], [0.0], [1.0]), "buckets"),
    ],
)
def test_bad_arguments_name_the_problem(
    kwargs: dict[str, object], line: Line, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        chart_payload("t", [line], **kwargs)  # type: ignore[arg-type]


def test_damaged_payload_is_an_error_not_garbage() -> None:
    payload = chart_payload("t", [Line("r", "#fff", np.arange(5), np.zeros(5), np.ones(5))])
    with pytest.raises(ValueError, match="schema version"):
        decode_payload(dict(payload, v=2))
    raw = base64.b64decode(payload["data"])
    with pytest.raises(ValueError, match="left"):
        decode_payload(dict(payload, data=base64.b64encode(raw + b"\0").decode()))
    with pytest.raises(ValueError):
        decode_payload(dict(payload, data=base64.b64encode(raw[:3]).decode()))


def test_benchmark_sized_chart_stays_small() -> None:
    """8 runs x 5,000 noisy float32 points (the report benchmark's chart) in < 25 KB."""
    rng = np.random.default_rng(0)
    steps = np.arange(5000)
    lines = [
        Line(
            f"run_{r}",
            "#123456",
            steps,
            1.7e9 + r * 1e4 + steps * 0.02,
            (np.exp(-steps / 1000) + rng.random(5000) * 0.01).astype(np.float32).astype(float),
        )
        for r in range(8)
    ]
    text = payload_json(chart_payload("group_0/metric_000", lines))
    assert len(text) < 25_000
    roundtrip(lines)
