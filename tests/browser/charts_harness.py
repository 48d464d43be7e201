"""A test-only page for ``templates/charts.js``: chart cards built from real payloads.

The page has the report's Content-Security-Policy (only the hashed inline script runs,
nothing may be fetched), the report's ``style.css`` plus ``charts.css``, and one card
per chart in the DOM structure the report gives a live chart::

    <div class="tbc-controls" data-smoothing="0.6" data-x="step"></div>
    <figure class="card" data-tag="TAG">
      <div class="chartbox tbc">
        <img class="chart" ...>                     (the static rendering)
        <script type="application/json" class="tbc-data">{payload}</script>
      </div>
    </figure>

:func:`datasets` holds the cases the tests check (known values, a run named like an
XSS attack, NaN/±inf, a schedule spanning decades, 78 runs, a restart, CSV formula
names, a dense noisy series) and :func:`write_page` writes the page.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tbreport.render.assets import read_asset
from tbreport.render.chartdata import Line, chart_payload, csp_hash, embed

XSS = "<img src=x onerror=alert(1)>"
T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
COLORS = ("#ff7043", "#0077bb", "#009988", "#ee3377", "#003f5c", "#b5a000")


@dataclass
class ChartCase:
    tag: str
    lines: list[Line]
    static: bool = True  # draw the matplotlib image (else a tiny placeholder)
    legend: bool = False  # a static legend table whose rows toggle runs (data-tbc-run)
    clip: bool = True  # False: as with --no-outlier-clip


def _line(run: str, color: str, steps: np.ndarray, values: np.ndarray, dt: float = 2.0) -> Line:
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float32).astype(np.float64)  # as simple_value stores
    walls = T0 + 37.0 + steps.astype(np.float64) * dt + 0.0005 * (steps % 7)
    return Line(run, color, steps, walls, values, start_time=T0)


def loss_values(seed: int, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.arange(n)
    return np.exp(-s / (60.0 + 20 * seed)) * 2.0 + 0.15 + rng.normal(0, 0.04, n)


def datasets(*, fillers: int = 120) -> list[ChartCase]:
    steps = np.arange(300)
    runs = ["lr_0.1", "lr_0.01", XSS]
    cases = [
        ChartCase(
            "train/loss",
            [_line(r, COLORS[i], steps, loss_values(i)) for i, r in enumerate(runs)],
        ),
        ChartCase(
            "train/acc",
            [
                _line(r, COLORS[i], steps, 1 - 0.5 * np.exp(-steps / (50.0 + 30 * i)))
                for i, r in enumerate(runs)
            ],
            legend=True,
        ),
    ]
    rng = np.random.default_rng(7)
    dense = np.arange(20_000)
    cases.append(
        ChartCase(
            "train/grad_norm",
            [
                _line(
                    r,
                    COLORS[i],
                    dense,
                    1.0 + 0.5 * np.sin(dense / 2000.0 + i) + rng.gamma(2.0, 0.15, dense.size),
                    dt=0.05,
                )
                for i, r in enumerate(runs[:2])
            ],
        )
    )
    weird = loss_values(3, 120)
    weird[[10, 11, 40]] = np.nan
    weird[60] = np.inf
    weird[80] = -np.inf
    cases.append(
        ChartCase(
            "debug/nonfinite",
            [
                _line("lr_0.1", COLORS[0], np.arange(120), weird),
                _line("lr_0.01", COLORS[1], np.arange(120), loss_values(4, 120)),
            ],
        )
    )
    sched = np.arange(400)
    cases.append(
        ChartCase(
            "train/lr",
            [
                _line("lr_0.1", COLORS[0], sched, 0.1 * 0.5 ** (sched // 40)),
                _line("lr_0.01", COLORS[1], sched, 0.01 * np.exp(-sched / 60.0)),
            ],
        )
    )
    cases.append(
        ChartCase(
            "sweep/val_acc",
            [
                _line(
                    f"sweep/trial_{i:02d}_lr{10 ** -(1 + i % 4):g}_wd{i % 3}",
                    f"#{(i * 2654435761) & 0xFFFFFF:06x}",
                    np.arange(0, 500, 10),
                    0.5 + 0.4 * (1 - np.exp(-np.arange(50) / (5.0 + i % 9))),
                )
                for i in range(78)
            ],
        )
    )
    cases.append(
        ChartCase("misc/constant", [_line("lr_0.1", COLORS[0], np.arange(60), np.full(60, 0.5))])
    )
    restart_steps = np.concatenate([np.arange(0, 100), np.arange(50, 150)])
    restart_values = np.concatenate([loss_values(5, 100), loss_values(6, 100) * 0.9])
    cases.append(
        ChartCase(
            "misc/restarted",
            [
                Line(
                    "lr_0.1",
                    COLORS[0],
                    restart_steps,
                    T0 + np.arange(200, dtype=np.float64) * 3.0,
                    restart_values.astype(np.float32).astype(np.float64),
                    start_time=T0,
                )
            ],
        )
    )
    cases.append(
        ChartCase(
            "misc/csv_names",
            [
                _line(name, COLORS[i], np.arange(5), np.arange(5) * (i + 1.0))
                for i, name in enumerate(["=SUM(A1:A2)", "@risk", "-minus", 'plain,"quoted"'])
            ],
        )
    )
    # outliers: the README's own loss keeps its start; a spike is left out, unless
    # the chart shows every point (--no-outlier-clip)
    readme = np.arange(100)
    spike = np.linspace(0.0, 1.0, 200)
    spike[77] = 1e6
    cases += [
        ChartCase("outliers/readme", [_line("lr_0.1", COLORS[0], readme, 1 / (readme + 1.0))]),
        ChartCase("outliers/spike", [_line("lr_0.1", COLORS[0], np.arange(200), spike)]),
        ChartCase(
            "outliers/spike_shown",
            [_line("lr_0.1", COLORS[0], np.arange(200), spike)],
            clip=False,
        ),
    ]
    edge = [
        ("extremes", [1e308, -1e308, 5e-324, 0.0, 1.0]),
        ("subnormal", [5e-324, 0.0, 5e-324, 1e-310]),
        ("all_nan", [np.nan, np.nan, np.nan]),
        ("only_inf", [np.inf, -np.inf, np.inf]),
        ("one_point", [0.25]),
        ("empty", []),
    ]
    for name, vals in edge:
        v = np.asarray(vals, dtype=np.float64)
        unknown_wall = Line("lr_0.01", COLORS[1], np.arange(v.size), np.zeros(v.size), v)
        cases.append(
            ChartCase(
                f"edge/{name}",
                [
                    Line("lr_0.1", COLORS[0], np.arange(v.size), T0 + np.arange(v.size), v),
                    unknown_wall,
                ],
                static=False,
            )
        )
    for k in range(fillers):
        cases.append(
            ChartCase(
                f"filler/metric_{k:03d}",
                [
                    _line(r, COLORS[i], np.arange(50), loss_values(i + k, 50))
                    for i, r in enumerate(runs[:2])
                ],
                static=False,
            )
        )
    return cases


def _placeholder() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 30), "#eeeeee").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _static_image(case: ChartCase) -> str:
    if not case.static:
        return f'<img class="chart" src="{_placeholder()}" width="640" height="300" alt="chart of {html.escape(case.tag)}">'
    from tbreport.render.charts import render_chart
    from tbreport.render.lines import line_chart, prepare_series

    prepared = [
        prepare_series(
            ln.steps, ln.wall_times, ln.values, color=ln.color, smoothing=0.6, label=ln.run
        )
        for ln in case.lines
    ]
    spec, _ = line_chart(prepared)
    rendered = render_chart(spec, "png", salt=case.tag)
    return (
        f'<img class="chart" src="{rendered.data_uri}" width="{rendered.width}" '
        f'height="{rendered.height}" alt="chart of {html.escape(case.tag)}">'
    )


def card_html(case: ChartCase, *, smoothing: float = 0.6, log_y: bool = False) -> str:
    payload = chart_payload(
        case.tag, case.lines, smoothing=smoothing, log_y=log_y, clip_outliers=case.clip
    )
    legend = ""
    if case.legend:  # the report's legend table, its rows marked as run toggles
        rows = "".join(
            f'<tr data-tbc-run="{html.escape(ln.run)}"><td><span class="run">'
            f'<span class="sw" style="background:{ln.color}"></span>'
            f'<span class="rn">{html.escape(ln.run)}</span></span></td>'
            f'<td class="num">{float(np.asarray(ln.values)[-1]):.4g}</td></tr>'
            for ln in case.lines
        )
        legend = (
            '<table class="legend"><thead><tr><th>Run</th><th class="num">Last</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        f'<figure class="card" data-tag="{html.escape(case.tag)}">'
        f'<figcaption><h4 class="tag">{html.escape(case.tag)}</h4></figcaption>'
        f'<div class="chartbox tbc">{_static_image(case)}{embed(payload)}</div>{legend}'
        "</figure>"
    )


def page_html(cases: list[ChartCase], *, smoothing: float = 0.6) -> str:
    script = read_asset("charts.js")
    # the element's text is "\n" + script + "\n", as report.html.j2 writes its script
    digest = csp_hash("\n" + script + "\n")
    style = read_asset("style.css") + "\n" + read_asset("charts.css")
    out = io.StringIO()
    out.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "media-src data:; style-src 'unsafe-inline'; "
        f"script-src '{digest}'; base-uri 'none'; form-action 'none'\">"
        '<link rel="icon" href="data:,"><title>charts.js harness</title>'
        f"<style>\n{style}\n</style></head><body>"
        '<main id="main" style="padding:0.5em 1em 3em"><section class="kind kind-scalars" id="scalars">'
        "<h2>Scalars</h2>"
        f'<div class="tbc-controls" data-smoothing="{smoothing}" data-x="step"></div>'
        '<div class="cards">'
    )
    for case in cases:
        out.write(card_html(case, smoothing=smoothing))
    out.write(f"</div></section></main>\n<script>\n{script}\n</script>\n</body></html>\n")
    return out.getvalue()


def write_page(path: Path, cases: list[ChartCase] | None = None) -> Path:
    path.write_text(page_html(cases if cases is not None else datasets()), encoding="utf-8")
    return path
