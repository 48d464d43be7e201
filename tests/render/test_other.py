from __future__ import annotations

import numpy as np

from tbreport.model import ProjectorConfig, ProjectorEmbedding, Run, Series, TensorPoint
from tbreport.options import BuildOptions
from tbreport.render import other
from tbreport.render.base import Context


def test_raw_tensors_and_embeddings_are_listed_with_paths_relative_to_the_run() -> None:
    tensors = Series(
        tag="raw",
        points=[
            TensorPoint(step=s, wall_time=0.0, value=np.zeros((2, 2)), dtype="float32")
            for s in (3, 7)
        ],
    )
    projector = ProjectorConfig(
        path="/logs/r/projector_config.pbtxt",
        embeddings=(
            ProjectorEmbedding(
                "emb", metadata_path="/logs/r/00000/emb/metadata.tsv", tensor_shape=(20, 5)
            ),
        ),
    )
    run = Run(name="r", path="/logs/r", tensors={"raw": tensors}, projector=projector)
    section = other.build([run], Context(options=BuildOptions(), colors={"r": "#000000"}))
    assert section is not None
    (row,) = section.data["tensors"]
    assert (row.plugin, row.points, row.shape, row.steps, row.dtype) == (
        "(none)",
        2,
        "2×2",
        "3–7",
        "float32",
    )
    (emb,) = section.data["embeddings"]
    assert emb.metadata == "00000/emb/metadata.tsv" and emb.shape == "20×5" and emb.sprite == ""
    assert (
        other.build([Run(name="e", path="e")], Context(options=BuildOptions(), colors={"e": "#0"}))
        is None
    )
