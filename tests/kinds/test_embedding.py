"""The embedding (projector) kind: golden of the ``projector_config.pbtxt`` written, the
TSV files beside it, and reading the config back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format

from tbreport.kinds.embedding import CONFIG_NAME, decode_projector_config, write_embedding
from tbreport.proto import projector_pb2
from tests.golden import check_golden

MAT = np.array([[0.5, 1.0], [-2.0, 0.25], [3.0, 0.0]])


def _write(tmp_path: Path) -> projector_pb2.ProjectorConfig:
    config = projector_pb2.ProjectorConfig()
    labels = np.zeros((3, 3, 2, 2), dtype=np.float32)
    write_embedding(str(tmp_path), config, MAT, ["a", "b\tc", "d"], labels, 7, "emb/x", None)
    return config


def test_golden(tmp_path: Path, update_goldens: bool) -> None:
    config = _write(tmp_path)
    written = text_format.Parse(
        (tmp_path / CONFIG_NAME).read_text(encoding="utf-8"), projector_pb2.ProjectorConfig()
    )
    assert written == config
    check_golden("embedding_projector_config", written, update=update_goldens)
    sub = tmp_path / "00007" / "emb_x"
    assert (sub / "tensors.tsv").read_text() == "0.5\t1.0\n-2.0\t0.25\n3.0\t0.0\n"
    assert (sub / "metadata.tsv").read_text() == "a\nb c\nd\n"
    assert (sub / "sprite.png").read_bytes().startswith(b"\x89PNG")


def test_decode_of_encode(tmp_path: Path) -> None:
    _write(tmp_path)
    path = str(tmp_path / CONFIG_NAME)
    config = decode_projector_config((tmp_path / CONFIG_NAME).read_bytes(), path)
    (emb,) = config.embeddings
    assert emb.tensor_name == "emb/x:00007" and emb.tensor_shape == (3, 2)
    assert emb.tensor_path == str(tmp_path / "00007" / "emb_x" / "tensors.tsv")
    assert emb.sprite_single_image_dim == (2, 2)


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("00001/t/tensors.tsv", "s3://b/exp/run/00001/t/tensors.tsv"),
        ("../shared/sprite.png", "s3://b/exp/shared/sprite.png"),
        ("/home/me/meta.tsv", "/home/me/meta.tsv"),  # the writer's own disk
        ("gs://elsewhere/x.tsv", "gs://elsewhere/x.tsv"),
        ("", ""),
    ],
)
def test_paths_of_a_remote_config_stay_urls(path: str, resolved: str) -> None:
    text = f'embeddings {{ tensor_name: "t" tensor_path: "{path}" }}'.encode()
    config = decode_projector_config(text, "s3://b/exp/run/projector_config.pbtxt")
    assert config.embeddings[0].tensor_path == resolved


def test_a_config_that_is_not_text_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not UTF-8 text"):
        decode_projector_config(b"\xff\xfe", "run/projector_config.pbtxt")
