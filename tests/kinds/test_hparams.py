"""The hparams kind: golden of the three plugin values, and decoding them back."""

from __future__ import annotations

from tbreport.kinds.hparams import decode_hparams, hparams_values
from tbreport.model import HParams
from tbreport.proto import hparams_pb2, summary_pb2
from tests.golden import check_golden

HP = {"lr": 0.1, "optimizer": "adam", "bn": True, "layers": 3}
METRICS = {"hparam/accuracy": 0.9}


def _summary() -> summary_pb2.Summary:
    values = hparams_values(HP, METRICS, {"optimizer": ["adam", "sgd"]})
    return summary_pb2.Summary(value=values)


def test_golden(update_goldens: bool) -> None:
    summary = _summary()
    check_golden("hparams", summary, update=update_goldens)
    for value in summary.value:  # the plugin data of each value, readable
        data = hparams_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
        name = "hparams_" + value.tag.rpartition("/")[2]
        check_golden(name, data, update=update_goldens)


def test_decode_of_encode() -> None:
    into = HParams()
    parts = [decode_hparams(v.metadata.plugin_data.content, into) for v in _summary().value]
    assert parts == ["experiment", "session_start_info", "session_end_info"]
    assert into.values == {"bn": True, "layers": 3.0, "lr": 0.1, "optimizer": "adam"}
    assert [(i.name, i.type) for i in into.hparam_infos] == [
        ("lr", "float"),
        ("optimizer", "string"),
        ("bn", "bool"),
        ("layers", "float"),
    ]
    assert into.hparam_infos[1].domain == ("adam", "sgd")
    assert [m.tag for m in into.metric_infos] == ["hparam/accuracy"]
    assert into.has_experiment and into.has_session and into.status == "STATUS_SUCCESS"
