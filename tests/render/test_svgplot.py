from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from tbreport.render.svgplot import (
    MINUS,
    Scale,
    _to_lab,
    esc,
    fmt_tick,
    hcl_ramp,
    nice_ticks,
    num,
    polyline,
    time_ticks,
)


def test_nice_ticks_are_round_and_inside() -> None:
    assert nice_ticks(0, 1, 5) == [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0] or nice_ticks(
        0, 1, 5
    ) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 2000, 5, integer=True) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(0, 3, 5, integer=True) == [0, 1, 2, 3]  # never 0.5 steps
    assert nice_ticks(5, 5, integer=True) == [5]
    assert nice_ticks(math.nan, 1) == []


@given(
    st.floats(-1e12, 1e12, allow_nan=False),
    st.floats(1e-6, 1e12, allow_nan=False),
    st.booleans(),
)
def test_ticks_lie_in_the_range_and_integer_ticks_are_integers(
    lo: float, span: float, integer: bool
) -> None:
    hi = lo + span
    ticks = nice_ticks(lo, hi, 5, integer=integer)
    assert len(ticks) <= 21
    slack = span * 1e-6 + max(abs(lo), abs(hi)) * 1e-12  # far below a pixel
    for t in ticks:
        assert lo - slack <= t <= hi + slack
        if integer:
            assert t == round(t)
    if integer:
        labels = [fmt_tick(t, ticks, integer=True) for t in ticks]
        assert all("." not in s or s.endswith(("k", "M")) for s in labels)


def test_tick_labels() -> None:
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [fmt_tick(t, ticks) for t in ticks] == ["0", "0.25", "0.50", "0.75", "1.00"]
    assert fmt_tick(-0.5, [-0.5, 0.0, 0.5]) == MINUS + "0.5"
    assert fmt_tick(1500, [0, 500, 1000, 1500], integer=True) == "1,500"
    assert fmt_tick(2_500_000, [0, 2_500_000], integer=True) == "2.5M"
    assert fmt_tick(2e5, [0, 1e5, 2e5]) == "2e5"
    assert fmt_tick(2e-5, [0, 1e-5, 2e-5]) == "2e" + MINUS + "5"


def test_scale_num_polyline_esc() -> None:
    s = Scale(0, 10, 100, 200)
    assert s(5) == 150 and Scale(1, 1, 0, 10)(1) == 5
    assert num(1.25) == "1.2" or num(1.25) == "1.3"
    assert num(-0.01) == "0" and num(3.0) == "3"
    assert polyline([0, 1, 1], [0, 2, 2]) == "M0 0L1 2"
    assert esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"


def test_hcl_ramp_runs_from_brighter_to_darker() -> None:
    ramp = hcl_ramp("#ff7043", 5)
    lightness = [_to_lab(c)[0] for c in ramp]
    assert lightness == sorted(lightness, reverse=True)
    assert all(len(c) == 7 and c.startswith("#") for c in ramp)
    assert hcl_ramp("#0077bb", 1) == [hcl_ramp("#0077bb", 3)[-1]]


def test_time_ticks() -> None:
    ticks = time_ticks(1_700_000_000, 1_700_000_000 + 6 * 3600, 4)
    assert ticks and all(len(label) == 5 and label[2] == ":" for _, label in ticks)
    assert time_ticks(1e300, 2e300) == []  # no calendar holds it
