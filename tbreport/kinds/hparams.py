"""The hparams summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from google.protobuf import struct_pb2

from tbreport import model as _model
from tbreport.kinds._arrays import to_float
from tbreport.proto import hparams_pb2, summary_pb2

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
_STATUS_NAMES = {0: "STATUS_UNKNOWN", 1: "STATUS_SUCCESS", 2: "STATUS_FAILURE", 3: "STATUS_RUNNING"}


def _plain(value: struct_pb2.Value) -> _model.HParamValue:
    which = value.WhichOneof("kind")
    if which == "number_value":
        return float(value.number_value)
    if which == "bool_value":
        return bool(value.bool_value)
    if which == "string_value":
        return str(value.string_value)
    return ""


def decode_hparams(content: bytes, into: _model.HParams) -> str:
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
            domain: tuple[_model.HParamValue, ...] = ()
            interval = None
            if info.WhichOneof("domain") == "domain_discrete":
                domain = tuple(_plain(v) for v in info.domain_discrete.values)
            elif info.WhichOneof("domain") == "domain_interval":
                interval = (info.domain_interval.min_value, info.domain_interval.max_value)
            into.hparam_infos.append(
                _model.HParamInfo(
                    info.name,
                    _TYPE_NAMES.get(info.type, ""),
                    info.display_name,
                    info.description,
                    domain,
                    interval,
                )
            )
        into.metric_infos = [
            _model.MetricInfo(m.name.tag, m.name.group, m.display_name, m.description)
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
