"""Metric gates: the expression syntax, and every aggregate checked against values that
TensorBoard's own ``EventAccumulator`` reads from the corpus (computed here, independently
of tbreport's reader and of :mod:`tbreport.metrics`)."""

from __future__ import annotations

import math
from functools import cache, lru_cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tbreport
from tbreport.metrics import AGGREGATES
from tbreport.report.gates import Gate, evaluate, parse_gate
from tbreport.select import select
from tests.conftest import CORPUS

# --------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("text", "agg", "tag", "op", "threshold", "runs"),
    [
        ("last(val/loss) < 0.5", "last", "val/loss", "<", 0.5, None),
        ("  max( acc )>=0.9", "max", "acc", ">=", 0.9, None),
        ("min(训练损失值) != -1e-3", "min", "训练损失值", "!=", -1e-3, None),
        ("mean(tag with spaces) == 2", "mean", "tag with spaces", "==", 2.0, None),
        ("first(f(x) (y)) > -inf", "first", "f(x) (y)", ">", -math.inf, None),
        ("last(val/loss) <= 1E2 @ lr_.*", "last", "val/loss", "<=", 100.0, "lr_.*"),
        ("last(a@b) > 0 @ ^exp1/(lr_0\\.1)$", "last", "a@b", ">", 0.0, "^exp1/(lr_0\\.1)$"),
        (
            "last(<script>alert(1)</script>) < inf",
            "last",
            "<script>alert(1)</script>",
            "<",
            math.inf,
            None,
        ),
    ],
)
def test_parse(text: str, agg: str, tag: str, op: str, threshold: float, runs: str | None) -> None:
    gate = parse_gate(text)
    assert (gate.agg, gate.tag, gate.op, gate.threshold, gate.runs) == (
        agg,
        tag,
        op,
        threshold,
        runs,
    )
    assert parse_gate(str(gate)) == Gate(agg, tag, op, threshold, runs, str(gate))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is not of the form"),
        ("loss < 1", "is not of the form"),
        ("last(loss)", "is not of the form"),
        ("last(loss) <", "is not of the form"),
        ("last(loss) << 1", "is not of the form"),
        ("last(loss) < 1 2", "is not of the form"),
        ("last(loss) < 1x", "'1x' is not a number"),
        ("last(loss) =< 1", "is not of the form"),
        ("last(loss) = 1", "is not of the form"),
        ("avg(loss) < 1", "unknown aggregate 'avg'; use one of last, first, min, max, mean"),
        ("LAST(loss) < 1", "unknown aggregate 'LAST'"),
        ("last( ) < 1", "the tag between the parentheses is empty"),
        ("last(loss) < abc", "'abc' is not a number"),
        ("last(loss) < nan", "NaN is not a usable threshold"),
        ("last(loss) < 1 @", "'@' must be followed by a run regex"),
        ("last(loss) < 1 @ (", "invalid run regex"),
    ],
)
def test_malformed(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="--fail-if") as info:
        parse_gate(text)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_a_gate_trips_when_its_comparison_holds_and_nan_trips_every_gate() -> None:
    assert parse_gate("last(val/loss) > 0.5").trips(0.7)
    assert not parse_gate("last(val/loss) > 0.5").trips(0.3)
    for op in ("<", "<=", ">", ">=", "==", "!="):
        assert parse_gate(f"last(x) {op} 1").trips(math.nan)
    assert not parse_gate("last(x) >= inf").trips(1e308)
    assert parse_gate("last(x) >= inf").trips(math.inf)


# --------------------------------------------------------------------------- oracle

#: (run, tag) with legacy simple_value scalars, so EventAccumulator.Scalars() has them;
#: they cover duplicate and out-of-order steps, NaN/inf, a resumed run and a big series.
CASES = [
    ("torch_scalars", "loss"),
    ("torch_scalars", "训练损失值"),
    ("torch_scalars", "special/values"),
    ("torch_scalars", "edge/duplicate_steps"),
    ("torch_scalars", "edge/out_of_order"),
    ("torch_scalars", "edge/negative_and_huge_steps"),
    ("torch_resume", "resumed/loss"),
    ("exp1/lr_0.1", "loss"),
    ("exp1/lr_0.01", "acc"),
    ("tbx_basic", "edge/dup_and_ooo"),
    (".", "root/loss"),
]


@cache
def oracle(run: str, tag: str) -> dict[str, tuple[float, int | None]]:
    """Every aggregate over every point TensorBoard's EventAccumulator keeps (it purges on
    a restart), in its order: repeated and out-of-order steps are all points."""
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    EventAccumulator = ea.EventAccumulator

    acc = EventAccumulator(str(CORPUS / run), size_guidance={"scalars": 0})
    acc.Reload()
    events = acc.Scalars(tag)
    steps = [e.step for e in events]
    values = [e.value for e in events]
    out: dict[str, tuple[float, int | None]] = {
        "last": (values[-1], steps[-1]),
        "first": (values[0], steps[0]),
        "mean": (sum(values) / len(values), None),
    }
    if any(math.isnan(v) for v in values):
        out["min"] = out["max"] = (math.nan, None)
    else:
        lo = min(range(len(values)), key=lambda i: (values[i], i))
        hi = max(range(len(values)), key=lambda i: (values[i], -i))
        out["min"], out["max"] = (values[lo], steps[lo]), (values[hi], steps[hi])
    return out


@lru_cache(maxsize=1)
def corpus_runs() -> list[tbreport.model.Run]:
    return select(tbreport.load(CORPUS)).runs


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == pytest.approx(b, rel=1e-12, abs=0.0)


@pytest.mark.parametrize(("run", "tag"), CASES)
@pytest.mark.parametrize("agg", AGGREGATES)
def test_aggregate_matches_event_accumulator(run: str, tag: str, agg: str) -> None:
    expected, step = oracle(run, tag)[agg]
    gate = parse_gate(f"{agg}({tag}) <= 0 @ ^{run.replace('.', '[.]')}$")
    (result,) = evaluate([gate], corpus_runs())
    (check,) = result.checks
    assert check.run == run
    assert _same(check.value, expected), (check.value, expected)
    assert check.step == step


@pytest.mark.parametrize(("run", "tag"), CASES)
@pytest.mark.parametrize("agg", AGGREGATES)
def test_gate_trips_exactly_at_the_threshold(run: str, tag: str, agg: str) -> None:
    value, _ = oracle(run, tag)[agg]
    where = f" @ ^{run.replace('.', '[.]')}$"
    if math.isnan(value):
        for op in ("<", "<=", ">", ">=", "==", "!="):
            (r,) = evaluate([parse_gate(f"{agg}({tag}) {op} 0{where}")], corpus_runs())
            assert not r.passed
        return
    if math.isinf(value):
        pytest.skip("an infinite aggregate cannot be a finite threshold")
    num = repr(value)
    # --fail-if: the gate trips (does not pass) exactly when the comparison holds
    cases = {"<=": False, ">=": False, "==": False, "<": True, ">": True, "!=": True}
    for op, passes in cases.items():
        (r,) = evaluate([parse_gate(f"{agg}({tag}) {op} {num}{where}")], corpus_runs())
        assert r.passed is passes, (op, value)
        if not passes:
            (line,) = r.messages()
            assert f"run {run!r}" in line and tag in line and f"{agg}({tag}) {op}" in line


def test_every_run_with_the_tag_is_checked() -> None:
    (r,) = evaluate([parse_gate("last(train_val) < -1")], corpus_runs())
    assert sorted(c.run for c in r.checks) == [
        "tbx_basic/train_val/train",
        "tbx_basic/train_val/val",
        "torch_scalars/train_val_train",
        "torch_scalars/train_val_val",
    ]
    assert r.passed


def test_run_regex_restricts_the_runs() -> None:
    (r,) = evaluate([parse_gate("last(loss) < 1 @ lr_0\\.1$")], corpus_runs())
    assert [c.run for c in r.checks] == ["exp1/lr_0.1"]


def test_a_tag_no_run_has_cannot_pass() -> None:
    (r,) = evaluate([parse_gate("last(los) < 1")], corpus_runs())
    assert not r.passed and not r.checks
    (line,) = r.messages()
    assert "cannot be checked" in line and "'los'" in line and "did you mean 'loss'" in line


def test_a_run_regex_matching_nothing_cannot_pass() -> None:
    (r,) = evaluate([parse_gate("last(loss) < 1 @ ^nope$")], corpus_runs())
    assert not r.passed
    assert "no run matches '^nope$'" in r.messages()[0]


def test_the_tag_must_be_in_a_matching_run() -> None:
    (r,) = evaluate([parse_gate("last(tf2/loss) < 1 @ ^exp1/")], corpus_runs())
    assert not r.passed and "runs matching '^exp1/'" in r.messages()[0]


def test_messages_are_one_line_even_for_odd_names(tmp_path: Path) -> None:
    (r,) = evaluate([parse_gate("last(<script>alert(1)</script>) < 1e9")], corpus_runs())
    assert r.checks and not r.passed
    for line in r.messages():
        assert "\n" not in line and "<script>alert(1)</script>" in line


tags = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
regexes = st.sampled_from([None, "lr_.*", "^exp1/", "seed_\\d+$", "a|b", "[(]x"])


@given(
    st.sampled_from(AGGREGATES),
    tags,
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    st.floats(allow_nan=False) | st.sampled_from([0.0, -0.0, 1e-300]),
    regexes,
)
def test_str_parses_back_to_the_same_gate(
    agg: str, tag: str, op: str, threshold: float, runs: str | None
) -> None:
    gate = Gate(agg, tag, op, threshold, runs)
    again = parse_gate(str(gate))
    assert (again.agg, again.tag, again.op, again.threshold, again.runs) == (
        agg,
        tag,
        op,
        threshold,
        runs,
    )


def test_every_gate_in_the_readme_parses() -> None:
    import re as _re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = _re.findall(r'--fail-if "([^"]+)"', readme) + _re.findall(
        r'parse_gate\("([^"]+)"\)', readme
    )
    assert len(found) >= 4
    for text in found:
        parse_gate(text)


def test_thresholds_compare_in_the_precision_the_values_were_logged_in(tmp_path: Path) -> None:
    """0.9 logged as float32 reads back as 0.89999998; '< 0.9' must not trip, '== 0.9' must."""
    from tbreport import SummaryWriter

    with SummaryWriter(tmp_path / "run") as w:
        w.add_scalar("val/accuracy", 0.9, 0)
        w.add_scalar("val/loss", 0.1, 0)
    runs = list(tbreport.load(tmp_path).runs.values())
    quiet = ["max(val/accuracy) < 0.9", "last(val/loss) > 0.1", "last(val/loss) != 0.1"]
    loud = ["last(val/loss) == 0.1", "max(val/accuracy) >= 0.9"]
    for text in quiet:
        (r,) = evaluate([parse_gate(text)], runs)
        assert r.passed, text
    for text in loud:
        (r,) = evaluate([parse_gate(text)], runs)
        assert not r.passed, text
