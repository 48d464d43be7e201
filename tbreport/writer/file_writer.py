"""``FileWriter``: the object ``SummaryWriter.file_writer`` and ``_get_file_writer()`` return.

torch and tensorboardX expose it, and frameworks call it directly: Lightning's
``TensorBoardLogger`` writes its hparams with ``_get_file_writer().add_summary(...)``,
stable-baselines3 with ``file_writer.add_summary(...)``, and much public code reads
``file_writer.get_logdir()``. It takes protocol buffers from any of them
(tbreport's, TensorBoard's as torch builds them, tensorboardX's): they are the
same wire format, so a message is re-read from its bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tbreport.kinds import graph
from tbreport.kinds._arrays import to_float, to_step
from tbreport.proto import event_pb2, graph_pb2, summary_pb2
from tbreport.writer.env import WriterEnv, current
from tbreport.writer.event_file import EventFileWriter

__all__ = ["FileWriter", "as_message"]


def as_message(message: Any, cls: Any, what: str) -> Any:
    """``message`` as tbreport's ``cls``: itself, or re-read from a foreign message's bytes."""
    if isinstance(message, cls):
        return message
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        raise TypeError(
            f"{what} must be a {cls.__name__} protobuf message, got {type(message).__name__}"
        )
    return cls.FromString(serialize())


class FileWriter:
    """Writes ``Event`` and ``Summary`` protocol buffers to one event file in ``log_dir``.

    The API of torch's ``FileWriter`` (``tensorboardX.FileWriter`` is the same, and
    ``logdir=`` is accepted for it): ``add_event``, ``add_summary``, ``add_graph``,
    ``add_onnx_graph``, ``get_logdir``, ``flush``, ``close``, ``reopen`` and
    tensorboardX's ``use_metadata``. ``event_writer`` is the
    :class:`~tbreport.writer.event_file.EventFileWriter` underneath.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        logdir: str | os.PathLike[str] | None = None,
        env: WriterEnv | None = None,
    ) -> None:
        if log_dir is None:
            log_dir = logdir
        elif logdir is not None:
            raise TypeError("pass log_dir or its tensorboardX alias logdir, not both")
        if log_dir is None:
            raise TypeError("FileWriter needs a log_dir")
        self._env = env or current()
        self.event_writer = EventFileWriter(
            str(os.fspath(log_dir)), max_queue, flush_secs, filename_suffix, env=self._env
        )
        self._default_step: int | None = None
        self._default_walltime: float | None = None

    def get_logdir(self) -> str:
        """The directory the event file is written to."""
        return self.event_writer.get_logdir()

    def add_event(self, event: Any, step: Any = None, walltime: Any = None) -> None:
        """Write an ``Event``; its ``wall_time`` becomes ``walltime`` (default: now) and its
        ``step`` becomes ``step`` when given, as in torch and tensorboardX."""
        msg = as_message(event, event_pb2.Event, "event")
        if msg is event:
            msg = event_pb2.Event()
            msg.CopyFrom(event)
        if walltime is None:
            walltime = self._default_walltime
        msg.wall_time = self._env.clock() if walltime is None else to_float(walltime, "walltime")
        if step is None:
            step = self._default_step
        if step is not None:
            msg.step = to_step(step, "step")
        self.event_writer.add_event(msg)

    def add_summary(self, summary: Any, global_step: Any = None, walltime: Any = None) -> None:
        """Write a ``Summary`` (tbreport's, TensorBoard's or tensorboardX's) as one event."""
        msg = as_message(summary, summary_pb2.Summary, "summary")
        self.add_event(event_pb2.Event(summary=msg), global_step, walltime)

    def add_graph(self, graph_profile: Sequence[Any], walltime: Any = None) -> None:
        """Write ``(GraphDef, RunMetadata)`` as torch's ``add_graph`` does (a bare ``GraphDef``
        is accepted too)."""
        if hasattr(graph_profile, "SerializeToString"):
            graph_def, run_metadata = graph_profile, None
        else:
            graph_def, run_metadata = graph_profile[0], graph_profile[1]
        gd = as_message(graph_def, graph_pb2.GraphDef, "graph_profile[0]")
        rm = (
            None
            if run_metadata is None
            else as_message(run_metadata, graph_pb2.RunMetadata, "graph_profile[1]")
        )
        for event in graph.graph_events(gd, rm, wall_time=0.0):
            self.add_event(event, None, walltime)

    def add_onnx_graph(self, graph_def: Any, walltime: Any = None) -> None:
        """Write a ``GraphDef`` (as made from an ONNX model) without run metadata."""
        gd = as_message(graph_def, graph_pb2.GraphDef, "graph")
        self.add_event(
            event_pb2.Event(graph_def=gd.SerializeToString(deterministic=True)), None, walltime
        )

    def flush(self) -> None:
        """Return once everything written so far is on disk (or uploaded)."""
        self.event_writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self.event_writer.close()

    def reopen(self) -> None:
        """After :meth:`close`, start a new event file in the same directory."""
        self.event_writer.reopen()

    @contextmanager
    def use_metadata(
        self, *, global_step: Any = None, walltime: Any = None
    ) -> Iterator[FileWriter]:
        """tensorboardX's defaults for the enclosed ``add_event``/``add_summary`` calls."""
        if self._default_step is not None or self._default_walltime is not None:
            raise RuntimeError("use_metadata() is already active on this writer")
        if global_step is None and walltime is None:
            raise ValueError("use_metadata() needs global_step or walltime")
        self._default_step = None if global_step is None else to_step(global_step)
        self._default_walltime = None if walltime is None else to_float(walltime, "walltime")
        try:
            yield self
        finally:
            self._default_step = self._default_walltime = None

    def __repr__(self) -> str:
        return f"FileWriter({self.get_logdir()!r})"
