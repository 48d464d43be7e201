"""The one exception tree of tbreport.

::

    TbreportError                     problems in data or in the environment
    ├── RecordError                   .path .offset .index
    │   ├── TruncatedRecordError      a record cut short at the end of a file
    │   └── CorruptRecordError        a CRC mismatch or an impossible length
    ├── EventDecodeError              a record whose bytes are not an Event
    ├── NoRunsFoundError              a logdir with no event files
    ├── GateFailedError               a --fail-if gate tripped or could not be checked
    ├── StorageError                  a remote logdir (s3://, gs://, ...) failed: bucket, credentials, network
    ├── MissingDependencyError        an optional extra is not installed (also an ImportError)
    ├── GraphTraceError               add_graph could not trace the model (also a RuntimeError)
    ├── RenderError                   the report could not be rendered
    │   └── GraphvizNotFoundError     the ``dot`` executable is missing
    └── WriterClosedError             ``add_*`` after ``close()``

Bad arguments to ``SummaryWriter.add_*`` raise the built-in ``TypeError`` or
``ValueError``: those are programmer errors, not data problems.
"""

from __future__ import annotations

__all__ = [
    "CorruptRecordError",
    "EventDecodeError",
    "GateFailedError",
    "GraphTraceError",
    "GraphvizNotFoundError",
    "MissingDependencyError",
    "NoRunsFoundError",
    "RecordError",
    "RenderError",
    "StorageError",
    "TbreportError",
    "TruncatedRecordError",
    "WriterClosedError",
]


class TbreportError(Exception):
    """Base class of every error tbreport raises for bad data or environment."""


class RecordError(TbreportError):
    """A TFRecord frame in an event file is damaged."""

    def __init__(self, message: str, *, path: str = "", offset: int = 0, index: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.offset = offset
        self.index = index


class TruncatedRecordError(RecordError):
    """The file ends in the middle of a record (it may still be being written)."""


class CorruptRecordError(RecordError):
    """A record fails its CRC check or declares an impossible length."""


class EventDecodeError(TbreportError):
    """A record's payload does not parse as an ``Event`` protocol buffer."""


class NoRunsFoundError(TbreportError):
    """A logdir holds no ``*tfevents*`` files."""


class GateFailedError(TbreportError):
    """A metric gate (``--fail-if`` / ``fail_if=``) tripped or could not be checked.

    Raised by :func:`tbreport.build_report` after the report and summary are
    written; ``lines`` holds one message per tripped (gate, run).
    """

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(" ".join(line.split()) for line in lines))
        self.lines = lines


class StorageError(TbreportError):
    """A remote logdir could not be read or written: a missing bucket, missing or refused
    credentials, or a server that cannot be reached. ``path`` names the object or prefix."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class MissingDependencyError(TbreportError, ImportError):
    """An optional extra is needed (``pip install 'tbreport[s3]'``, ``[gcs]``, ``[onnx]``).

    Also an ``ImportError``, so ``except ImportError`` catches it as it would the
    missing package itself."""


class GraphTraceError(TbreportError, RuntimeError):
    """``add_graph`` could not trace the model; the message carries torch's.

    Also a ``RuntimeError``, as torch and tensorboardX raise there."""


class RenderError(TbreportError):
    """The report could not be rendered."""


class GraphvizNotFoundError(RenderError):
    """Graphviz's ``dot`` executable is not installed."""


class WriterClosedError(TbreportError):
    """A ``SummaryWriter`` was used after ``close()``."""
