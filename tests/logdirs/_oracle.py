"""What TensorBoard reads from a logdir: the reader of truth for the builders' tests.

:func:`tensorboard_reading` runs TensorBoard 2.x's own readers in a child process
bounded in time (``timeout``) and address space (``resource.setrlimit``), so a
reader that blows up on hostile input is observed, not suffered. The child
(this file run as a script; it imports nothing from the test suite) reads every run
TensorBoard's ``EventMultiplexer.AddRunsFromDirectory`` finds, keeping every record
(size guidance 0, as ``expected.json`` of the corpus does), with:

- the legacy ``event_accumulator.EventAccumulator`` (``legacy``): scalars
  (``simple_value`` only), images, audio, histograms, tensors, graph, meta graph,
  run metadata;
- the ``plugin_event_accumulator.EventAccumulator`` behind the web UI (``plugins``):
  every tag per plugin after TensorBoard's legacy-to-tensor conversion, with its
  point count.

The result is a JSON-able dict ``{"status": "ok" | "timeout" | "memory" |
"crashed", "seconds", "max_rss_mb", "runs": {name: {...}}, "stderr_tail"}``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()


def tensorboard_reading(
    logdir: Path | str | bytes,
    *,
    timeout: float = 120.0,
    memory_mb: int = 4096,
    detail: bool = True,
) -> dict[str, Any]:
    """TensorBoard's reading of ``logdir`` (see the module docstring); never raises for the reader's failures."""
    return _bounded([] if detail else [b"--brief"], logdir, timeout, memory_mb)


def tbreport_reading(
    logdir: Path | str | bytes, *, timeout: float = 120.0, memory_mb: int = 4096
) -> dict[str, Any]:
    """``tbreport.load(logdir)`` in a bounded child: per run, the points of each kind, and the
    load warnings; same result shape and statuses as :func:`tensorboard_reading`."""
    return _bounded([b"--tbreport"], logdir, timeout, memory_mb)


def _bounded(
    flags: list[bytes], logdir: Path | str | bytes, timeout: float, memory_mb: int
) -> dict[str, Any]:
    import resource

    def limit() -> None:  # runs in the child, before exec
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    args = [sys.executable, os.fsencode(str(_HERE)), os.fsencode(logdir), *flags]
    started = time.perf_counter()
    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
    try:
        proc = subprocess.run(
            args, capture_output=True, timeout=timeout, preexec_fn=limit, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        tail = (exc.stderr or b"")[-2000:].decode("utf-8", "replace")
        return {"status": "timeout", "seconds": timeout, "runs": {}, "stderr_tail": tail}
    seconds = time.perf_counter() - started
    tail = proc.stderr[-2000:].decode("utf-8", "replace")
    if proc.returncode != 0:
        status = "memory" if b"MemoryError" in proc.stderr else "crashed"
        return {
            "status": status,
            "returncode": proc.returncode,
            "seconds": seconds,
            "runs": {},
            "stderr_tail": tail,
        }
    result: dict[str, Any] = json.loads(proc.stdout)
    result["seconds"] = seconds
    result["stderr_tail"] = tail
    result["stderr_lines"] = proc.stderr.count(b"\n")
    return result


# ---------------------------------------------------------------- the child side


def _num(x: float) -> float | str:
    x = float(x)
    return x if math.isfinite(x) else str(x)


def _scalars(acc: Any, tag: str) -> dict[str, Any]:
    events = acc.Scalars(tag)
    values = [e.value for e in events]
    steps = [e.step for e in events]
    finite = [v for v in values if math.isfinite(v)]
    return {
        "n": len(events),
        "first_step": steps[0] if steps else None,
        "first_wall": events[0].wall_time if events else None,
        "last_step": steps[-1] if steps else None,
        "min": _num(min(finite)) if finite else None,
        "max": _num(max(finite)) if finite else None,
        "last": _num(values[-1]) if values else None,
        "non_finite": len(values) - len(finite),
        "steps_back": sum(1 for a, b in zip(steps, steps[1:]) if b < a),
    }


def _images(acc: Any, tag: str) -> dict[str, Any]:
    events = acc.Images(tag)
    first = events[0] if events else None
    return {
        "n": len(events),
        "first": [first.width, first.height, len(first.encoded_image_string)] if first else None,
        "bytes": sum(len(e.encoded_image_string) for e in events),
    }


def _tensors(acc: Any, tag: str) -> dict[str, Any]:
    from tensorboard.util import tensor_util

    events = acc.Tensors(tag)
    out: dict[str, Any] = {"n": len(events)}
    try:
        out["plugin"] = acc.SummaryMetadata(tag).plugin_data.plugin_name
    except Exception as exc:
        out["plugin"] = f"<{type(exc).__name__}>"
    if events:
        proto = events[0].tensor_proto
        out["dtype"] = int(proto.dtype)
        out["shape"] = [d.size for d in proto.tensor_shape.dim]
        out["string_bytes"] = sum(len(s) for s in proto.string_val)
        if out["plugin"] == "graph_keras_model":
            out["keras_graph"] = _keras_graph(proto)
        try:
            arr = tensor_util.make_ndarray(proto)
            out["ndarray_shape"] = list(arr.shape)
        except Exception as exc:
            out["ndarray_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return out


def _keras_graph(proto: Any) -> dict[str, Any]:
    """What TensorBoard's graph plugin makes of a Keras conceptual graph (``keras_util``)."""
    try:
        from tensorboard.plugins.graph import keras_util

        graph = keras_util.keras_model_to_graph_def(json.loads(proto.string_val[0]))
        return {"nodes": len(graph.node), "edges": sum(len(n.input) for n in graph.node)}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _legacy_run(path: str, brief: bool) -> dict[str, Any]:
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(path, size_guidance={k: 0 for k in ea.DEFAULT_SIZE_GUIDANCE})
    acc.Reload()
    tags = acc.Tags()
    run: dict[str, Any] = {
        "scalars": {t: _scalars(acc, t) for t in tags["scalars"]},
        "images": {t: _images(acc, t) for t in tags["images"]},
        "audio": {t: len(acc.Audio(t)) for t in tags["audio"]},
        "histograms": {},
        "tensors": {t: _tensors(acc, t) for t in tags["tensors"]},
        "graph": None,
        "meta_graph": bool(tags["meta_graph"]),
        "run_metadata": sorted(tags["run_metadata"]),
    }
    for t in tags["histograms"]:
        events = acc.Histograms(t)
        first = events[0].histogram_value if events else None
        run["histograms"][t] = {
            "n": len(events),
            "buckets": len(first.bucket_limit) if first else None,
            "min": _num(first.min) if first else None,
            "max": _num(first.max) if first else None,
        }
    if tags["graph"]:
        try:
            graph = acc.Graph()
            run["graph"] = {"nodes": len(graph.node)}
        except Exception as exc:
            run["graph"] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    if brief:
        for kind in ("scalars", "images", "tensors", "histograms"):
            run[kind] = {t: v["n"] for t, v in run[kind].items()}
    return run


def _plugin_run(path: str) -> dict[str, dict[str, int]]:
    from tensorboard.backend.event_processing import plugin_event_accumulator as pea

    acc = pea.EventAccumulator(path, size_guidance={k: 0 for k in pea.DEFAULT_SIZE_GUIDANCE})
    acc.Reload()
    out: dict[str, dict[str, int]] = {}
    for plugin in acc.ActivePlugins():
        tags = acc.PluginTagToContent(plugin)
        counts: dict[str, int] = {}
        for tag in tags:
            try:
                counts[tag] = len(acc.Tensors(tag))
            except Exception:
                counts[tag] = -1
        out[plugin] = counts
    return out


class _Collect:
    """A logging handler that counts TensorBoard's warnings by their first 160 characters."""

    def __init__(self) -> None:
        import collections
        import logging

        self.counts: collections.Counter[str] = collections.Counter()
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = self._emit  # type: ignore[method-assign]

    def _emit(self, record: Any) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        self.counts[message[:160]] += 1


def _child(logdir: str, brief: bool) -> dict[str, Any]:
    import logging

    collect = _Collect()
    root = logging.getLogger()
    root.handlers[:] = [collect.handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("tensorboard").handlers[:] = []
    logging.getLogger("tensorboard").propagate = True
    from tensorboard.backend.event_processing import event_multiplexer

    mux = event_multiplexer.EventMultiplexer()
    result: dict[str, Any] = {"status": "ok"}
    try:
        mux.AddRunsFromDirectory(logdir)
        paths = {name: acc.path for name, acc in mux._accumulators.items()}
    except Exception as exc:
        # TensorBoard could not list the logdir; read each run directory on its own.
        result["discovery_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        paths = _walk_runs(logdir)
    runs: dict[str, Any] = {}
    for name, path in sorted(paths.items()):
        entry: dict[str, Any] = {"path_rel": os.path.relpath(path, logdir)}
        try:
            entry.update(_legacy_run(path, brief))
        except Exception as exc:
            entry["legacy_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        try:
            entry["plugins"] = _plugin_run(path)
        except Exception as exc:
            entry["plugin_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        runs[name] = entry
    result["runs"] = runs
    result["warnings"] = {m: n for m, n in collect.counts.most_common(30)}
    return result


def _walk_runs(logdir: str) -> dict[str, str]:
    """Every directory holding a ``*tfevents*`` file, named as TensorBoard names runs."""
    out = {}
    for dirpath, _dirs, files in os.walk(os.fsencode(logdir)):
        if any(b"tfevents" in f for f in files):
            rel = os.path.relpath(dirpath, os.fsencode(logdir))
            out[os.fsdecode(rel)] = os.fsdecode(dirpath)
    return out


def _tbreport_child(logdir: str) -> dict[str, Any]:
    import tbreport

    loaded = tbreport.load(logdir)
    runs: dict[str, Any] = {}
    for name, run in loaded.runs.items():
        entry: dict[str, Any] = {}
        for kind in ("scalars", "images", "histograms", "texts", "audio", "pr_curves", "tensors"):
            series = getattr(run, kind)
            if series:
                entry[kind] = {
                    t: len(s) if kind == "scalars" else len(s.points) for t, s in series.items()
                }
        entry["hparams"] = run.hparams is not None
        entry["graph_nodes"] = len(run.graph.nodes) if run.graph is not None else None
        runs[name] = entry
    return {"status": "ok", "runs": runs, "warnings": [str(w)[:300] for w in loaded.warnings[:50]]}


def main(argv: list[str]) -> int:
    import resource

    logdir = argv[0]
    if "--tbreport" in argv[1:]:
        result = _tbreport_child(logdir)
    else:
        result = _child(logdir, "--brief" in argv[1:])
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps(result, ensure_ascii=True, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
