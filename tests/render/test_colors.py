"""Run colours: stable, distinct, shared by the members of a group."""

from __future__ import annotations

from tbreport.metrics import group_runs
from tbreport.render import colors as colors_module
from tbreport.render.colors import group_colors, run_colors
from tbreport.select import colors_for


def test_run_colors_are_stable_and_distinct() -> None:
    names = [f"run{i}" for i in range(40)]
    colors = run_colors(names)
    assert colors == run_colors(names)
    assert len(set(colors.values())) == 40
    assert colors["run0"] == colors_module.PALETTE[0]


def test_members_of_a_group_share_its_colour() -> None:
    names = ["lr_0.1/seed_1", "lr_0.1/seed_2", "lr_0.01/seed_1", "baseline", "lr_0.01/seed_22"]
    colors = group_colors(names, group_runs(names, r"seed_\d+"))
    assert colors["lr_0.1/seed_1"] == colors["lr_0.1/seed_2"] == colors["lr_0.1/*"]
    assert colors["lr_0.01/seed_1"] == colors["lr_0.01/seed_22"] != colors["lr_0.1/seed_1"]
    assert colors["baseline"] not in (colors["lr_0.1/*"], colors["lr_0.01/*"])
    assert colors_for(names, None) == run_colors(names)
    assert len(set(colors_for(names, None).values())) == len(names)
