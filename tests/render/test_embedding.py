"""Projector configurations are listed in the "Other data" section, with their files
relative to the run directory."""

from __future__ import annotations

from tbreport.model import ProjectorConfig, ProjectorEmbedding, Run
from tbreport.options import BuildOptions
from tbreport.render import embedding
from tbreport.render.base import Context


def test_embeddings_are_listed_with_paths_relative_to_the_run() -> None:
    projector = ProjectorConfig(
        path="/logs/r/projector_config.pbtxt",
        embeddings=(
            ProjectorEmbedding(
                "emb", metadata_path="/logs/r/00000/emb/metadata.tsv", tensor_shape=(20, 5)
            ),
        ),
    )
    run = Run(name="r", path="/logs/r", projector=projector)
    section = embedding.build([run], Context(options=BuildOptions(), colors={"r": "#000000"}))
    assert section is not None and section.anchor == "other"
    (part,) = section.parts
    assert part.template == "kinds/embedding.html.j2"
    (emb,) = part.data["rows"]
    assert emb.metadata == "00000/emb/metadata.tsv" and emb.shape == "20×5" and emb.sprite == ""
    empty = Run(name="e", path="e")
    assert embedding.build([empty], Context(options=BuildOptions(), colors={"e": "#0"})) is None
