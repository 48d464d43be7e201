"""tbreport: write TensorBoard event files, and turn run directories into one offline HTML report.

``from tbreport import SummaryWriter`` is a drop-in for ``torch.utils.tensorboard`` and
tensorboardX; ``tbreport.patch()`` makes frameworks that build torch's or tensorboardX's
writer use it. ``tbreport.load(path)`` reads any TensorBoard logdir.

Importing this package is light: the writer never imports matplotlib, graphviz or
jinja2; the reader and the report builder are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tbreport.errors import (
    CorruptRecordError,
    DamagedInputError,
    EventDecodeError,
    GateFailedError,
    GraphTraceError,
    GraphvizNotFoundError,
    MailError,
    MissingDependencyError,
    NoRunsFoundError,
    OutputError,
    RecordError,
    RenderError,
    StorageError,
    TbreportError,
    TruncatedRecordError,
    UsageError,
    WriterClosedError,
)

__version__ = "0.1.0"

__all__ = [
    "CorruptRecordError",
    "DamagedInputError",
    "EventDecodeError",
    "FileWriter",
    "GateFailedError",
    "GraphTraceError",
    "GraphvizNotFoundError",
    "MailError",
    "MissingDependencyError",
    "NoRunsFoundError",
    "OutputError",
    "RecordError",
    "RenderError",
    "StorageError",
    "SummaryWriter",
    "TbreportError",
    "TruncatedRecordError",
    "UsageError",
    "WriterClosedError",
    "__version__",
    "build_report",
    "load",
    "patch",
]

if TYPE_CHECKING:
    from tbreport.reader.load import load
    from tbreport.report.html import build_report
    from tbreport.writer.file_writer import FileWriter
    from tbreport.writer.patch import patch
    from tbreport.writer.summary_writer import SummaryWriter

_LAZY = {
    "SummaryWriter": ("tbreport.writer.summary_writer", "SummaryWriter"),
    "FileWriter": ("tbreport.writer.file_writer", "FileWriter"),
    "patch": ("tbreport.writer.patch", "patch"),
    "load": ("tbreport.reader.load", "load"),
    "build_report": ("tbreport.report.html", "build_report"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib  # on first use: keeps import tbreport light

        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tbreport' has no attribute {name!r}")
