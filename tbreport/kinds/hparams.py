"""The hparams summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from google.protobuf import struct_pb2

from tbreport.fmt import fmt_float
from tbreport.kinds._arrays import to_float
from tbreport.kinds.base import At, Kind, RunSink, SectionSpec
from tbreport.proto import hparams_pb2, summary_pb2

if TYPE_CHECKING:
    from tbreport.model import Run


# --- the data (re-exported by tbreport.model) ---


HParamValue = Union[float, str, bool]


@dataclass(frozen=True)
class HParamInfo:
    """One hyperparameter declared by the experiment.

    ``type`` is ``"float"``, ``"string"``, ``"bool"`` or ``""`` (unset). ``domain`` is
    the discrete values, or ``interval`` = ``(min, max)``, or neither.
    """

    name: str
    type: str = ""
    display_name: str = ""
    description: str = ""
    domain: tuple[HParamValue, ...] = ()
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class MetricInfo:
    """A metric of the experiment: scalar ``tag`` in run ``group`` (relative; ``""``: same run)."""

    tag: str
    group: str = ""
    display_name: str = ""
    description: str = ""
    #: what the experiment declares the metric is measured on: ``"training"``,
    #: ``"validation"`` or ``""`` (not said)
    dataset_type: str = ""


@dataclass
class HParams:
    """What the hparams plugin recorded in one run.

    ``hparam_infos``/``metric_infos`` come from the experiment summary (often only
    in a parent run); ``values``, ``group_name``, ``start_time`` from the session
    start; ``status``/``end_time`` from the session end. Use
    :meth:`Logdir.hparams_table` for the joined view of a sweep.
    """

    hparam_infos: list[HParamInfo] = field(default_factory=list)
    metric_infos: list[MetricInfo] = field(default_factory=list)
    has_experiment: bool = False
    values: dict[str, HParamValue] = field(default_factory=dict)
    group_name: str = ""
    model_uri: str = ""
    start_time: float = 0.0
    has_session: bool = False
    status: str = ""
    end_time: float = 0.0


@dataclass(frozen=True)
class HParamsRow:
    """One session of a sweep: run name, its hparams, its final metric values and status."""

    run: str
    hparams: dict[str, HParamValue]
    metrics: dict[str, float]
    status: str = ""


PLUGIN_NAME = "hparams"

# --- encode (writer side) ---


PLUGIN_DATA_VERSION = 0
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_INFO_TAG = "_hparams_/session_start_info"
SESSION_END_INFO_TAG = "_hparams_/session_end_info"


def _value_of(name: str, v: Any) -> tuple[struct_pb2.Value, int]:
    """A hparam as a ``google.protobuf.Value`` and its hparams ``DataType``."""
    if isinstance(v, (bool, np.bool_)):
        return struct_pb2.Value(bool_value=bool(v)), hparams_pb2.DATA_TYPE_BOOL
    if isinstance(v, str):
        return struct_pb2.Value(string_value=v), hparams_pb2.DATA_TYPE_STRING
    if isinstance(v, (int, float, np.integer, np.floating)) or hasattr(v, "detach"):
        return struct_pb2.Value(number_value=to_float(v, f"hparam_dict[{name!r}]")), (
            hparams_pb2.DATA_TYPE_FLOAT64
        )
    raise TypeError(
        f"hparam_dict[{name!r}] must be a bool, int, float, str, None or a 1-element tensor, "
        f"got {type(v).__name__}"
    )


def _plugin_value(tag: str, data: hparams_pb2.HParamsPluginData) -> summary_pb2.Summary.Value:
    data.version = PLUGIN_DATA_VERSION
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=data.SerializeToString(deterministic=True)
        )
    )
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata)


def hparams_values(
    hparam_dict: Mapping[str, Any],
    metric_dict: Mapping[str, Any],
    hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
) -> list[summary_pb2.Summary.Value]:
    """The experiment, session-start and session-end values the hparams plugin reads."""
    if not isinstance(hparam_dict, Mapping):
        raise TypeError(f"hparam_dict must be a dict, got {type(hparam_dict).__name__}")
    if not isinstance(metric_dict, Mapping):
        raise TypeError(f"metric_dict must be a dict, got {type(metric_dict).__name__}")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, Mapping):
        raise TypeError(f"hparam_domain_discrete must be a dict, got {type(domains).__name__}")
    for k, values in domains.items():
        if k not in hparam_dict or not isinstance(values, (list, tuple)):
            raise TypeError(
                f"hparam_domain_discrete[{k!r}] must be a list, for a key of hparam_dict"
            )
    start = hparams_pb2.SessionStartInfo()
    infos = []
    for name, v in hparam_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"hparam_dict keys must be str, got {type(name).__name__}")
        if v is None:
            continue
        value, dtype = _value_of(name, v)
        start.hparams[name].CopyFrom(value)
        info = hparams_pb2.HParamInfo(name=name, type=dtype)
        if name in domains:
            for d in domains[name]:
                dv, ddtype = _value_of(name, d)
                if ddtype != dtype:
                    raise TypeError(
                        f"hparam_domain_discrete[{name!r}] must hold values of the type of "
                        f"hparam_dict[{name!r}] ({type(v).__name__}), got {d!r}"
                    )
                info.domain_discrete.values.append(dv)
        infos.append(info)
    metrics = []
    for tag in metric_dict:
        if not isinstance(tag, str):
            raise TypeError(f"metric_dict keys must be str, got {type(tag).__name__}")
        metrics.append(hparams_pb2.MetricInfo(name=hparams_pb2.MetricName(tag=tag)))
    experiment = hparams_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = hparams_pb2.SessionEndInfo(status=hparams_pb2.STATUS_SUCCESS)
    return [
        _plugin_value(EXPERIMENT_TAG, hparams_pb2.HParamsPluginData(experiment=experiment)),
        _plugin_value(
            SESSION_START_INFO_TAG, hparams_pb2.HParamsPluginData(session_start_info=start)
        ),
        _plugin_value(SESSION_END_INFO_TAG, hparams_pb2.HParamsPluginData(session_end_info=end)),
    ]


# --- decode (reader side) ---

_TYPE_NAMES = {1: "string", 2: "bool", 3: "float"}
_DATASET_TYPES = {
    hparams_pb2.DATASET_TRAINING: "training",
    hparams_pb2.DATASET_VALIDATION: "validation",
}
_STATUS_NAMES = {0: "STATUS_UNKNOWN", 1: "STATUS_SUCCESS", 2: "STATUS_FAILURE", 3: "STATUS_RUNNING"}


def _plain(value: struct_pb2.Value) -> HParamValue:
    which = value.WhichOneof("kind")
    if which == "number_value":
        return float(value.number_value)
    if which == "bool_value":
        return bool(value.bool_value)
    if which == "string_value":
        return str(value.string_value)
    return ""


def decode_hparams(content: bytes, into: HParams) -> str:
    """Merge one ``HParamsPluginData`` (the plugin content of an ``_hparams_/*`` value)
    into ``into``; return which part it was (``experiment``, ``session_start_info``,
    ``session_end_info``, or ``""``). Raises ``ValueError`` if it does not parse.
    """
    try:
        data = hparams_pb2.HParamsPluginData.FromString(content)
    except Exception as exc:  # protobuf raises DecodeError, a plain Exception subclass
        raise ValueError(f"hparams plugin data does not parse: {exc}") from exc
    part = data.WhichOneof("data") or ""
    if part == "experiment":
        exp = data.experiment
        into.has_experiment = True
        into.hparam_infos = []
        for info in exp.hparam_infos:
            domain: tuple[HParamValue, ...] = ()
            interval = None
            if info.WhichOneof("domain") == "domain_discrete":
                domain = tuple(_plain(v) for v in info.domain_discrete.values)
            elif info.WhichOneof("domain") == "domain_interval":
                interval = (info.domain_interval.min_value, info.domain_interval.max_value)
            into.hparam_infos.append(
                HParamInfo(
                    info.name,
                    _TYPE_NAMES.get(info.type, ""),
                    info.display_name,
                    info.description,
                    domain,
                    interval,
                )
            )
        into.metric_infos = [
            MetricInfo(
                m.name.tag,
                m.name.group,
                m.display_name,
                m.description,
                _DATASET_TYPES.get(m.dataset_type, ""),
            )
            for m in exp.metric_infos
        ]
    elif part == "session_start_info":
        start = data.session_start_info
        into.has_session = True
        into.values = {k: _plain(start.hparams[k]) for k in sorted(start.hparams)}
        into.group_name = start.group_name
        into.model_uri = start.model_uri
        into.start_time = start.start_time_secs
    elif part == "session_end_info":
        into.status = _STATUS_NAMES.get(data.session_end_info.status, "STATUS_UNKNOWN")
        into.end_time = data.session_end_info.end_time_secs
    return part


# --- the joined view of a sweep (Logdir.hparams_table) ---


def hparams_table(runs: Mapping[str, Run]) -> list[HParamsRow]:
    """One row per run with a session start: its hparams joined with its metrics.

    The metrics declared by the nearest experiment (the run itself or an
    ancestor run) are looked up as the last scalar value of the tag in the run
    ``<session run>/<group>`` (or the session run itself when ``group`` is empty
    or not a run); runs without an experiment report every scalar whose tag
    starts with ``hparam/``.
    """
    rows: list[HParamsRow] = []
    for name, run in runs.items():
        hp = run.hparams
        if hp is None or not hp.has_session:
            continue
        infos = _experiment_metrics(runs, name)
        metrics: dict[str, float] = {}
        if infos is not None:
            for info in infos:
                value = _metric_value(runs, name, info)
                if value is not None:
                    metrics[info.display_name or info.tag] = value
        else:
            for tag, series in run.scalars.items():
                last = series.last()
                if tag.startswith("hparam/") and last is not None:
                    metrics[tag] = last[2]
        rows.append(HParamsRow(name, dict(hp.values), metrics, hp.status))
    return rows


def declared_metrics(runs: Mapping[str, Run]) -> dict[str, MetricInfo]:
    """The metrics the runs' hparams experiments declare, by scalar tag (the first
    declaration of a tag wins): their display names and descriptions tell the report
    which way is better when a tag's name does not."""
    out: dict[str, MetricInfo] = {}
    for run in runs.values():
        if run.hparams is not None:
            for info in run.hparams.metric_infos:
                out.setdefault(info.tag, info)
    return out


def _experiment_metrics(runs: Mapping[str, Run], name: str) -> list[MetricInfo] | None:
    candidate = name
    while True:
        run = runs.get(candidate)
        if run is not None and run.hparams is not None and run.hparams.has_experiment:
            return run.hparams.metric_infos
        if candidate == ".":
            return None
        candidate = candidate.rpartition("/")[0] or "."


def _metric_value(runs: Mapping[str, Run], name: str, info: MetricInfo) -> float | None:
    for candidate in (f"{name}/{info.group}" if info.group else name, name):
        key = candidate[2:] if candidate.startswith("./") else candidate
        run = runs.get(key)
        series = run.scalars.get(info.tag) if run else None
        last = series.last() if series is not None else None
        if last is not None:
            return last[2]
    return None


def hparam_names(runs: Sequence[Run], rows: Sequence[HParamsRow]) -> list[str]:
    """The hparams of ``rows``: in the order the ``runs``' experiments declare them,
    then the undeclared ones sorted; only those some row has."""
    names: dict[str, None] = {}  # ordered, and linear in the hparams (20,000 of them exist)
    for run in runs:
        if run.hparams is not None:
            names.update(dict.fromkeys(info.name for info in run.hparams.hparam_infos))
    present = {k for r in rows for k in r.hparams}
    names.update(dict.fromkeys(sorted(present)))
    return [n for n in names if n in present]


def value_text(v: HParamValue | None) -> str:
    """A hparam value as the tables show it (``true``, ``0.001``, ``adam``)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return fmt_float(float(v), 6)
    return str(v)


def hparam_texts(
    runs: Mapping[str, Run], names: Sequence[str]
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """For the runs called ``names``: their hparams (see :func:`hparam_names`) and each
    run's values as text."""
    chosen = [runs[n] for n in names if n in runs]
    selected = set(names)
    rows = [r for r in hparams_table(runs) if r.run in selected]
    values = {r.run: {k: value_text(v) for k, v in r.hparams.items()} for r in rows}
    return hparam_names(chosen, rows), values


# --- the kind ---


@dataclass(frozen=True)
class HParamsKind(Kind):
    """What the hparams plugin recorded in a run, merged from its ``_hparams_/*`` values."""

    def read_value(self, sink: RunSink, value: summary_pb2.Summary.Value, at: At) -> None:
        # hparams live in the plugin content of each value's own metadata
        content = (
            bytes(value.metadata.plugin_data.content)
            if value.HasField("metadata")
            else (at.meta.content if at.meta else b"")
        )
        if sink.run.hparams is None:
            sink.run.hparams = HParams()
        decode_hparams(content, sink.run.hparams)


KIND = HParamsKind(
    name="hparams",
    module="hparams",
    attr="hparams",
    plugin_names=(PLUGIN_NAME,),
    any_value=True,
    sections=(SectionSpec("tbreport.render.hparams:build", ("kinds/hparams.html.j2",)),),
)
