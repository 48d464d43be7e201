"""``SummaryWriter``: a drop-in for ``torch.utils.tensorboard`` and tensorboardX.

Each ``add_*`` validates its arguments, asks the kind module in
:mod:`tbreport.kinds` to build the summary, and appends one ``Event`` to the
run's event file. Signatures and defaults are torch's; where tensorboardX
differs we follow torch and say so in the method's docstring.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from tbreport.errors import WriterClosedError
from tbreport.kinds import (
    audio,
    custom_scalars,
    embedding,
    graph,
    histogram,
    hparams,
    image,
    pr_curve,
    scalar,
    text,
)
from tbreport.kinds import tensor as tensor_kind
from tbreport.kinds._arrays import INT64_MAX, INT64_MIN, to_float, to_step
from tbreport.proto import event_pb2, projector_pb2, summary_pb2
from tbreport.writer.event_file import EventFileWriter

__all__ = ["SummaryWriter", "default_logdir"]

logger = logging.getLogger(__name__)

_encode_scalar_event = scalar.encode_scalar_event
_time = time.time


def default_logdir(comment: str = "") -> str:
    """``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``, as torch and tensorboardX name runs."""
    now = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{now}_{socket.gethostname()}{comment}")


def _check_tag(tag: object, name: str = "tag") -> str:
    if type(tag) is str:
        return tag
    if isinstance(tag, str):
        return str(tag)
    raise TypeError(f"{name} must be a str, got {type(tag).__name__} {tag!r}")


def _wall_time(walltime: Any) -> float:
    if walltime is None:
        return _time()
    value = to_float(walltime, "walltime")
    if value != value:
        raise ValueError("walltime must be a number of seconds since the epoch, got nan")
    return value


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir``.

    Args:
        log_dir: the run directory. ``None`` means
            ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default ``log_dir``; ignored when ``log_dir`` is given.
        purge_step: when resuming a crashed run, TensorBoard hides every point
            with ``step >= purge_step`` written before this writer (a
            ``SessionLog.START`` at that step).
        max_queue: records buffered before they are handed to the OS.
        flush_secs: how often buffered records are flushed to the OS.
        filename_suffix: appended to the event file's name.
        logdir: tensorboardX's name for ``log_dir``.

    ``flush()`` returns once everything is on disk; ``close()`` is idempotent;
    ``add_*`` after ``close()`` raises :class:`~tbreport.errors.WriterClosedError`
    (torch silently reopens a new file, tensorboardX silently drops the data).
    Usable as a context manager.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
        *,
        logdir: str | os.PathLike[str] | None = None,
    ) -> None:
        if log_dir is not None and logdir is not None:
            raise TypeError("pass log_dir or its tensorboardX alias logdir, not both")
        if log_dir is None:
            log_dir = logdir
        if not isinstance(comment, str):
            raise TypeError(f"comment must be a str, got {type(comment).__name__}")
        if not isinstance(filename_suffix, str):
            raise TypeError(f"filename_suffix must be a str, got {type(filename_suffix).__name__}")
        if log_dir is None or os.fspath(log_dir) == "":
            log_dir = default_logdir(comment)
        self.log_dir = os.fspath(log_dir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix
        self._closed = False
        self._file_writer = EventFileWriter(
            self.log_dir,
            max_queue=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix,
        )
        self._add = self._file_writer.add_serialized
        self._sub_writers: dict[str, EventFileWriter] = {}
        self._sub_lock = threading.Lock()  # add_scalars may be called from several threads
        self._projector_config: Any = None
        if purge_step is not None:
            step = to_step(purge_step, "purge_step")
            self._file_writer.add_event(
                event_pb2.Event(
                    wall_time=_time(),
                    step=step,
                    session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START),
                )
            )

    # -- plumbing -------------------------------------------------------------

    def get_logdir(self) -> str:
        """The run directory this writer writes to."""
        return self.log_dir

    @property
    def file_writer(self) -> EventFileWriter:
        """The writer of this run's event file."""
        return self._file_writer

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosedError(
                f"SummaryWriter({self.log_dir!r}) is closed; create a new one to log more"
            )

    def _write_values(
        self,
        values: Sequence[summary_pb2.Summary.Value],
        global_step: Any,
        walltime: Any,
        writer: EventFileWriter | None = None,
    ) -> None:
        self._check_open()
        event = event_pb2.Event(wall_time=_wall_time(walltime), step=to_step(global_step))
        event.summary.value.extend(values)
        (writer or self._file_writer).add_event(event)

    def add_event(self, event: Any, step: int | None = None, walltime: float | None = None) -> None:
        """Write a ready-made ``Event`` (a tbreport or TensorBoard ``Event`` message)."""
        self._check_open()
        if not hasattr(event, "SerializeToString"):
            raise TypeError(f"event must be an Event protobuf message, got {type(event).__name__}")
        msg = event_pb2.Event.FromString(event.SerializeToString())
        if step is not None:
            msg.step = to_step(step, "step")
        if walltime is not None or not msg.wall_time:
            msg.wall_time = _wall_time(walltime)
        self._file_writer.add_event(msg)

    def add_summary(
        self, summary: Any, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Write a ready-made ``Summary`` message (tbreport's or TensorBoard's)."""
        if not hasattr(summary, "SerializeToString"):
            raise TypeError(
                f"summary must be a Summary protobuf message, got {type(summary).__name__}"
            )
        msg = summary_pb2.Summary.FromString(summary.SerializeToString())
        self._write_values(list(msg.value), global_step, walltime)

    # -- scalars --------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one number. ``new_style=True`` writes a tensor scalar (plugin ``scalars``)."""
        if self._closed:
            self._check_open()
        if type(tag) is not str:
            tag = _check_tag(tag)
        value = scalar_value if type(scalar_value) is float else to_float(scalar_value)
        if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = to_step(global_step)
        wall = _time() if walltime is None else _wall_time(walltime)
        if new_style:
            self._write_values(
                [scalar.scalar_tensor_value(tag, value, double_precision=double_precision)],
                step,
                wall,
            )
            return
        self._add(_encode_scalar_event(tag.encode("utf-8"), value, step, wall))

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several numbers under one chart: each key becomes a sub-run.

        Sub-runs are named as torch names them, ``<log_dir>/<main_tag with / as _>_<key>``
        (tensorboardX nests them as ``<log_dir>/<main_tag>/<key>``).
        """
        self._check_open()
        main_tag = _check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                f"tag_scalar_dict must be a dict of name -> number, got {type(tag_scalar_dict).__name__}"
            )
        wall = _wall_time(walltime)
        step = to_step(global_step)
        encoded = main_tag.encode("utf-8")
        for key, value in tag_scalar_dict.items():
            key = _check_tag(key, "tag_scalar_dict key")
            sub_dir = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            writer = self._sub_writer(sub_dir)
            writer.add_serialized(
                _encode_scalar_event(
                    encoded, to_float(value, f"tag_scalar_dict[{key!r}]"), step, wall
                )
            )

    def _sub_writer(self, sub_dir: str) -> EventFileWriter:
        """The writer of an ``add_scalars`` sub-run, created once even under concurrent calls."""
        with self._sub_lock:
            self._check_open()  # inside the lock: close() cannot miss a new sub-writer
            writer = self._sub_writers.get(sub_dir)
            if writer is None:
                writer = EventFileWriter(
                    sub_dir,
                    max_queue=self._max_queue,
                    flush_secs=self._flush_secs,
                    filename_suffix=self._filename_suffix,
                )
                self._sub_writers[sub_dir] = writer
            return writer

    def add_tensor(
        self, tag: str, tensor: Any, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Log a raw tensor (plugin ``tensor``)."""
        self._write_values(
            [tensor_kind.tensor_value(_check_tag(tag), tensor)], global_step, walltime
        )

    # -- histograms -----------------------------------------------------------

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: int | None = None,
        bins: Any = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram of ``values``. ``bins``: ``'tensorflow'`` (default), any of
        numpy's rules (``'auto'``, ``'fd'``, ``'doane'``, ...), a count or explicit edges."""
        self._write_values(
            [histogram.histogram_value(_check_tag(tag), values, bins, max_bins)],
            global_step,
            walltime,
        )

    def add_histogram_raw(
        self,
        tag: str,
        min: float,
        max: float,
        num: int,
        sum: float,
        sum_squares: float,
        bucket_limits: Any,
        bucket_counts: Any,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a histogram from precomputed statistics."""
        value = histogram.histogram_raw_value(
            _check_tag(tag), min, max, num, sum, sum_squares, bucket_limits, bucket_counts
        )
        self._write_values([value], global_step, walltime)

    # -- images, figures, video ----------------------------------------------

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log one image: ``dataformats`` ``CHW`` (default), ``HWC``, ``HW``; float in [0, 1] or uint8."""
        self._write_values(
            [image.image_value(_check_tag(tag), img_tensor, dataformats)], global_step, walltime
        )

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Log a batch of images, tiled into one grid image (8 per row) as torch does."""
        self._write_values(
            [image.image_value(_check_tag(tag), img_tensor, dataformats, batch=True)],
            global_step,
            walltime,
        )

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        rescale: float = 1,
        dataformats: str = "CHW",
        labels: Sequence[str] | None = None,
    ) -> None:
        """Log an image with bounding boxes ``[N, 4]`` (xmin, ymin, xmax, ymax) and optional labels."""
        value = image.image_with_boxes_value(
            _check_tag(tag), img_tensor, box_tensor, rescale, dataformats, labels
        )
        self._write_values([value], global_step, walltime)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Log a matplotlib figure (or a list of them, tiled) as an image."""
        self._write_values(
            [image.figure_value(_check_tag(tag), figure, close)], global_step, walltime
        )

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: int | None = None,
        fps: float = 4,
        walltime: float | None = None,
    ) -> None:
        """Log a video ``[N, T, C, H, W]`` as an animated GIF (Pillow; torch needs moviepy)."""
        self._write_values(
            [image.video_value(_check_tag(tag), vid_tensor, fps)], global_step, walltime
        )

    # -- audio, text ----------------------------------------------------------

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Log audio samples in [-1, 1] as a 16-bit WAV."""
        self._write_values(
            [audio.audio_value(_check_tag(tag), snd_tensor, sample_rate)], global_step, walltime
        )

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log text (markdown). The tag gets ``/text_summary`` appended, as torch does."""
        self._write_values([text.text_value(_check_tag(tag), text_string)], global_step, walltime)

    # -- PR curves ------------------------------------------------------------

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve from binary labels and predicted probabilities."""
        value = pr_curve.pr_curve_value(
            _check_tag(tag), labels, predictions, num_thresholds, weights
        )
        self._write_values([value], global_step, walltime)

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log a precision-recall curve from precomputed counts (``weights`` is unused, as in torch)."""
        value = pr_curve.pr_curve_raw_value(
            _check_tag(tag),
            true_positive_counts,
            false_positive_counts,
            true_negative_counts,
            false_negative_counts,
            precision,
            recall,
            num_thresholds,
        )
        self._write_values([value], global_step, walltime)

    # -- hparams --------------------------------------------------------------

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
        *,
        same_run: bool = False,
    ) -> None:
        """Log hyperparameters and their final metrics for the hparams dashboard.

        Like torch, by default this writes a sub-run ``<log_dir>/<run_name>``
        (``run_name`` defaults to the current time) holding the hparams and one
        scalar per metric. Pass ``same_run=True`` (or ``run_name="."``) to record
        them in this writer's own run instead, next to its other data
        (tensorboardX#519, pytorch#32651).
        """
        self._check_open()
        values = hparams.hparams_values(hparam_dict, metric_dict, hparam_domain_discrete)
        metrics = {
            _check_tag(k, "metric_dict key"): to_float(v, f"metric_dict[{k!r}]")
            for k, v in metric_dict.items()
        }
        if run_name is not None and not isinstance(run_name, str):
            raise TypeError(f"run_name must be a str, got {type(run_name).__name__}")
        # One event per summary, as torch and tensorboardX write them.
        if same_run or run_name in (".", os.curdir):
            for value in values:
                self._write_values([value], global_step, None)
            for tag, value in metrics.items():
                self.add_scalar(tag, value, global_step)
            return
        sub_dir = os.path.join(self.log_dir, run_name or str(time.time()))
        writer = EventFileWriter(sub_dir, max_queue=self._max_queue, flush_secs=self._flush_secs)
        try:
            for value in values:
                self._write_values([value], global_step, None, writer)
            step = to_step(global_step)
            for tag, value in metrics.items():
                writer.add_serialized(
                    _encode_scalar_event(tag.encode("utf-8"), value, step, _time())
                )
        finally:
            writer.close()

    # -- graphs ---------------------------------------------------------------

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
    ) -> None:
        """Trace a torch model and log its graph (needs ``tbreport[torch]``)."""
        self._check_open()
        from tbreport.writer.torch_graph import build_graph

        graph_def, run_metadata = build_graph(
            model, input_to_model, verbose=verbose, use_strict_trace=use_strict_trace
        )
        for event in graph.graph_events(graph_def, run_metadata, wall_time=_time()):
            self._file_writer.add_event(event)

    # -- embeddings -----------------------------------------------------------

    def add_embedding(
        self,
        mat: Any,
        metadata: Sequence[Any] | None = None,
        label_img: Any = None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header: Sequence[str] | None = None,
    ) -> None:
        """Write projector files: ``<step>/<tag>/tensors.tsv`` (+ metadata, sprite) and
        ``projector_config.pbtxt`` in ``log_dir``."""
        self._check_open()
        if self._projector_config is None:
            self._projector_config = projector_pb2.ProjectorConfig()
        embedding.write_embedding(
            self.log_dir,
            self._projector_config,
            mat,
            metadata,
            label_img,
            to_step(global_step),
            _check_tag(tag),
            metadata_header,
        )

    # -- custom scalars -------------------------------------------------------

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> None:
        """Log a custom-scalars layout ``{category: {title: ['Multiline', tags] | ['Margin', [v, lo, hi]]}}``."""
        self._write_values([custom_scalars.layout_value(layout)], None, None)

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One custom-scalars chart overlaying ``tags``."""
        self.add_custom_scalars({category: {title: ["Multiline", list(tags)]}})

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """One custom-scalars chart of a value with lower and upper bounds (3 tags)."""
        if len(tags) != 3:
            raise ValueError(f"tags must be [value, lower, upper], got {len(tags)} tags")
        self.add_custom_scalars({category: {title: ["Margin", list(tags)]}})

    # -- lifecycle ------------------------------------------------------------

    def flush(self) -> None:
        """Return once everything logged so far is on disk."""
        if self._closed:
            return
        self._file_writer.flush()
        with self._sub_lock:
            subs = list(self._sub_writers.values())
        for writer in subs:
            writer.flush()

    def close(self) -> None:
        """Flush and close every file. Idempotent."""
        with self._sub_lock:
            if self._closed:
                return
            self._closed = True
            writers = [self._file_writer, *self._sub_writers.values()]
        errors: list[BaseException] = []
        for writer in writers:
            try:
                writer.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"SummaryWriter(log_dir={self.log_dir!r}, {state})"
