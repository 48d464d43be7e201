"""Run colours: TensorBoard's palette in TensorBoard's order, distinct over many runs,
none for empty runs, shared by the members of a group."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tbreport
from tbreport.metrics import group_runs
from tbreport.render import colors as colors_module
from tbreport.render.colors import (
    EXTENSION,
    PALETTE,
    TENSORBOARD_PALETTE,
    delta_e2000,
    group_colors,
    hex_to_lab,
    run_colors,
)
from tbreport.select import colors_for, colour_order, select
from tests.logdirs import build_many_runs, build_realistic

ROOT = Path(__file__).resolve().parents[2]

#: Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula": test pairs
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]

#: the two colours issue #9 saw on two plotted runs of 78: a reader cannot tell them apart
INDISTINCT = ("#bd284e", "#bd282f")


@pytest.mark.parametrize(("lab1", "lab2", "expected"), SHARMA)
def test_ciede2000_matches_the_published_test_data(
    lab1: tuple[float, float, float], lab2: tuple[float, float, float], expected: float
) -> None:
    assert delta_e2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert delta_e2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_the_palette_starts_with_tensorboards_and_stays_distinct_over_78_runs() -> None:
    colors = run_colors([f"run{i}" for i in range(78)])
    values = list(colors.values())
    assert values[:7] == list(TENSORBOARD_PALETTE)
    assert len(set(values)) == 78
    closest = min(delta_e2000(a, b) for a, b in itertools.combinations(values, 2))
    bad = delta_e2000(*INDISTINCT)
    # every pair of the 78 is further apart than the pair a reader could not tell apart
    assert closest >= 10.5 > bad + 1.0, (closest, bad)
    first20 = min(delta_e2000(a, b) for a, b in itertools.combinations(values[:20], 2))
    assert first20 >= 19.0
    # readable on a light and on a dark page: CIE lightness 35..75 beyond TensorBoard's
    assert all(35.0 <= hex_to_lab(c)[0] <= 75.0 for c in EXTENSION)


def _generate(n: int = len(PALETTE)) -> list[str]:
    """The palette, made again: after TensorBoard's seven, greedily the colour of a 32-level
    sRGB grid (CIE L* 35..75) farthest (CIEDE2000) from every colour chosen so far."""
    q = np.round(np.linspace(0, 255, 32)).astype(int)
    grid = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in itertools.product(q, q, q)]
    labs = {c: hex_to_lab(c) for c in grid}
    candidates = [c for c in grid if 35.0 <= labs[c][0] <= 75.0]
    lab = np.array([labs[c] for c in candidates])
    nearest = np.full(len(candidates), np.inf)

    def distance_to(color: str) -> np.ndarray:
        # vectorised CIEDE2000 is long; the scalar one over 12k candidates x 96 is ~1 s
        ref = hex_to_lab(color)
        return np.array([delta_e2000(ref, tuple(row)) for row in lab])

    chosen = list(TENSORBOARD_PALETTE)
    for c in chosen:
        nearest = np.minimum(nearest, distance_to(c))
    while len(chosen) < n:
        pick = candidates[int(np.argmax(nearest))]
        chosen.append(pick)
        nearest = np.minimum(nearest, distance_to(pick))
    return chosen


def test_the_extension_is_what_its_rule_makes() -> None:
    assert _generate(20) == list(PALETTE[:20])


def test_empty_runs_take_no_colour_and_the_order_is_tensorboards(tmp_path: Path) -> None:
    root = build_many_runs(tmp_path / "many")
    selection = select(tbreport.load(root))
    empty = [r.name for r in selection.raw_runs if not r.kinds()]
    assert len(empty) == 20
    assert not any(name in selection.colors for name in empty)
    assert len(selection.colors) == 58
    assert len(set(selection.colors.values())) == 58
    assert selection.colors[empty[0]] == colors_module.NEUTRAL  # never a KeyError
    order = colour_order(selection.raw_runs)
    assert [selection.colors[n] for n in order] == list(PALETTE[:58])
    assert order == [n for n in _tensorboard_order(root) if n not in empty]


def _tensorboard_order(root: Path) -> list[str]:
    """The run order of TensorBoard's own run list (its core plugin's ``/runs``: first
    event wall time, then name), from TensorBoard in a child process."""
    pytest.importorskip("tensorboard")
    code = (
        "import sys, json\n"
        "from tensorboard.backend.event_processing import plugin_event_multiplexer as pem\n"
        "from tensorboard.backend.event_processing import data_provider as dp\n"
        "from tensorboard.plugins.core import core_plugin\n"
        "from tensorboard.backend import application\n"
        "from tensorboard import context\n"
        "import werkzeug.test\n"
        "m = pem.EventMultiplexer(); m.AddRunsFromDirectory(sys.argv[1]); m.Reload()\n"
        "provider = dp.MultiplexerDataProvider(m, sys.argv[1])\n"
        "ctx = core_plugin.CorePluginLoader().load(\n"
        "    __import__('tensorboard.plugins.base_plugin', fromlist=['x']).TBContext(\n"
        "        data_provider=provider, logdir=sys.argv[1], flags=None, multiplexer=m))\n"
        "app = application.TensorBoardWSGI([ctx])\n"
        "client = werkzeug.test.Client(app)\n"
        "print(client.get('/data/runs').get_data(as_text=True))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    import json

    names: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return names


def test_the_realistic_runs_get_tensorboards_colours(tmp_path: Path) -> None:
    root = build_realistic(tmp_path / "realistic", steps=40)
    selection = select(tbreport.load(root))
    order = _tensorboard_order(root)
    assert order != sorted(order)  # TensorBoard sorts by start time, not by name
    assert [selection.colors[n] for n in order] == list(TENSORBOARD_PALETTE[: len(order)])


def test_members_of_a_group_share_its_colour() -> None:
    names = ["lr_0.1/seed_1", "lr_0.1/seed_2", "lr_0.01/seed_1", "baseline", "lr_0.01/seed_22"]
    colors = group_colors(names, group_runs(names, r"seed_\d+"))
    assert colors["lr_0.1/seed_1"] == colors["lr_0.1/seed_2"] == colors["lr_0.1/*"]
    assert colors["lr_0.01/seed_1"] == colors["lr_0.01/seed_22"] != colors["lr_0.1/seed_1"]
    assert colors["baseline"] not in (colors["lr_0.1/*"], colors["lr_0.01/*"])
    assert colors["lr_0.1/*"] == PALETTE[0] and colors["lr_0.01/*"] == PALETTE[1]


def test_colors_for_a_loaded_logdir_groups_and_orders(tmp_path: Path) -> None:
    root = build_many_runs(tmp_path / "many")
    runs = list(tbreport.load(root).runs.values())
    plain = colors_for(colour_order(runs), None)
    assert list(plain) == colour_order(runs)
    grouped = colors_for(colour_order(runs), r"_seed\d+$")
    assert len(set(grouped.values())) == 6  # six configurations, one colour each
