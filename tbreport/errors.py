"""The one exception tree of tbreport.

::

    TbreportError                     problems in data or in the environment
    ├── UsageError (also ValueError)  a bad option or argument value (the CLI's exit 2)
    ├── NoRunsFoundError              nothing to report: no event files, no readable
    │                                 record, no run matching --runs
    ├── DamagedInputError             --strict and the input is damaged; .issues: every
    │   │                             problem met (:class:`tbreport.model.LoadWarning`)
    │   ├── RecordError               .path .offset .index of the first damaged record
    │   │   ├── TruncatedRecordError  a record cut short at the end of a file
    │   │   └── CorruptRecordError    a CRC mismatch or an impossible length
    │   └── EventDecodeError          an intact record whose bytes are not an Event
    ├── StorageError                  a remote logdir (s3://, gs://, ...) failed: bucket, credentials, network
    ├── MissingDependencyError        an optional extra is not installed (also an ImportError)
    ├── GraphTraceError               add_graph could not trace the model (also a RuntimeError)
    ├── RenderError                   the report could not be rendered
    │   └── GraphvizNotFoundError     the ``dot`` executable is missing (--strict)
    ├── OutputError                   an output cannot be written; .path as given
    ├── MailError                     the e-mail cannot be built or delivered (SMTP)
    ├── GateFailedError               a --fail-if gate tripped or could not be checked
    └── WriterClosedError             ``add_*`` after ``close()``

Without ``--strict``, damaged input never raises: the reader keeps every intact record
and lists each problem in ``Logdir.warnings``; ``--strict`` turns them into the
:class:`DamagedInputError` whose class names the first problem.

Bad arguments to ``SummaryWriter.add_*`` raise the built-in ``TypeError`` or
``ValueError``: those are programmer errors, not data problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CorruptRecordError",
    "DamagedInputError",
    "EventDecodeError",
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
    "TbreportError",
    "TruncatedRecordError",
    "UsageError",
    "WriterClosedError",
]


class TbreportError(Exception):
    """Base class of every error tbreport raises for bad data or environment."""


class UsageError(TbreportError, ValueError):
    """A bad option or argument value: an invalid regular expression, an unknown
    ``--baseline``, a malformed ``--fail-if``, ``--send`` without ``--to``, ...

    Also a :class:`ValueError`, which :func:`tbreport.build_report` documents for bad options.
    """


class NoRunsFoundError(TbreportError):
    """There is nothing to report: no ``*tfevents*`` files, none holding a readable
    record, or no run matching ``--runs``."""


class DamagedInputError(TbreportError):
    """``--strict``, and the input is damaged or was partly skipped.

    ``issues`` holds every problem met while loading (the same
    :class:`~tbreport.model.LoadWarning` lines ``Logdir.warnings`` holds); the
    message names the first.
    """

    def __init__(self, message: str, *, issues: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.issues = list(issues)


class RecordError(DamagedInputError):
    """A TFRecord frame in an event file is damaged: ``path``, byte ``offset`` and
    record ``index`` of the (first) damaged record."""

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        offset: int = 0,
        index: int = 0,
        issues: Sequence[Any] = (),
    ) -> None:
        super().__init__(message, issues=issues)
        self.path = path
        self.offset = offset
        self.index = index


class TruncatedRecordError(RecordError):
    """The file ends in the middle of a record (it may still be being written)."""


class CorruptRecordError(RecordError):
    """A record fails its CRC check or declares an impossible length."""


class EventDecodeError(DamagedInputError):
    """An intact record's payload does not parse as an ``Event`` protocol buffer:
    ``path`` and record ``index`` of the first such record."""

    def __init__(
        self, message: str, *, path: str = "", index: int = 0, issues: Sequence[Any] = ()
    ) -> None:
        super().__init__(message, issues=issues)
        self.path = path
        self.index = index


class RenderError(TbreportError):
    """The report could not be rendered."""


class GraphvizNotFoundError(RenderError):
    """Graphviz's ``dot`` executable is not installed (an error only with ``--strict``)."""


class OutputError(TbreportError):
    """An output cannot be written; ``path`` is the path as the user gave it."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class MailError(TbreportError):
    """The e-mail cannot be built (a header holding a line break) or delivered (SMTP)."""


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


class WriterClosedError(TbreportError):
    """A ``SummaryWriter`` was used after ``close()``."""
