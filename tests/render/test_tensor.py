"""Raw tensor summaries are listed in the "Other data" section, never dropped."""

from __future__ import annotations

import numpy as np

from tbreport.model import Run, Series, TensorPoint
from tbreport.options import BuildOptions
from tbreport.render import tensor
from tbreport.render.base import Context


def test_raw_tensors_are_listed() -> None:
    tensors = Series(
        tag="raw",
        points=[
            TensorPoint(step=s, wall_time=0.0, value=np.zeros((2, 2)), dtype="float32")
            for s in (3, 7)
        ],
    )
    run = Run(name="r", path="/logs/r", tensors={"raw": tensors})
    section = tensor.build([run], Context(options=BuildOptions(), colors={"r": "#000000"}))
    assert section is not None and (section.kind, section.template) == ("other", "listing.html.j2")
    (part,) = section.parts
    assert part.template == "kinds/tensor.html.j2" and section.count == part.count == 1
    (row,) = part.data["rows"]
    assert (row.plugin, row.points, row.shape, row.steps, row.dtype) == (
        "(none)",
        2,
        "2×2",
        "3–7",
        "float32",
    )
    empty = Run(name="e", path="e")
    assert tensor.build([empty], Context(options=BuildOptions(), colors={"e": "#0"})) is None
