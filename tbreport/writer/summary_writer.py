"""``SummaryWriter``: a drop-in for ``torch.utils.tensorboard`` and tensorboardX.

Each ``add_*`` validates its arguments, asks the kind module in
:mod:`tbreport.kinds` to build the summary, and appends one ``Event`` to the
run's event file. Signatures and defaults are torch's; where tensorboardX
differs we follow torch and also take tensorboardX's spelling when it is
unambiguous (``logdir=``, ``add_hparams(name=)``, ``write_to_disk=``, ...).

The object model is torch's too, because frameworks reach into it:
``file_writer`` (a :class:`~tbreport.writer.file_writer.FileWriter`),
``_get_file_writer()``, ``all_writers`` (log dir -> ``FileWriter``), the
constructor's arguments as attributes, and after ``close()`` ``file_writer is
None``; the next ``add_*`` opens a new event file in the same directory, as both
peers do (Lightning logs ``trainer.test()`` through a logger it closed after ``fit``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

from tbreport import _fs
from tbreport.errors import StorageError
from tbreport.kinds import (
    audio,
    custom_scalars,
    embedding,
    graph,
    histogram,
    hparams,
    image,
    mesh,
    pr_curve,
    scalar,
    text,
)
from tbreport.kinds import tensor as tensor_kind
from tbreport.kinds._arrays import INT64_MAX, INT64_MIN, to_float, to_numpy, to_step
from tbreport.proto import event_pb2, projector_pb2, summary_pb2
from tbreport.writer.env import WriterEnv, current
from tbreport.writer.event_file import EventFileWriter
from tbreport.writer.file_writer import FileWriter, as_message

__all__ = ["SummaryWriter", "default_logdir"]

logger = logging.getLogger(__name__)

_encode_scalar_event = scalar.encode_scalar_event


def default_logdir(comment: str = "", env: WriterEnv | None = None) -> str:
    """``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``, as torch and tensorboardX name runs."""
    env = env or current()
    now = datetime.fromtimestamp(env.clock()).strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{now}_{env.hostname()}{comment}")


def _default_bins() -> list[float]:
    """torch's and tensorboardX's ``SummaryWriter.default_bins`` (TensorFlow's bucket edges)."""
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


_DEFAULT_BINS = tuple(_default_bins())


def _check_tag(tag: object, name: str = "tag") -> str:
    if type(tag) is str:
        return tag
    if isinstance(tag, str):
        return str(tag)
    raise TypeError(f"{name} must be a str, got {type(tag).__name__} {tag!r}")


class _NullEventFileWriter(EventFileWriter):
    """``write_to_disk=False`` (tensorboardX): accepts everything, writes nothing."""

    def __init__(self, logdir: str, *args: Any, **kwargs: Any) -> None:
        self.logdir = logdir
        self._closed = False

    def add_serialized(self, data: bytes) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._closed = True

    def reopen(self) -> None:
        self._closed = False

    def written_paths(self) -> list[str]:
        return []

    @property
    def path(self) -> str:
        return ""


class _NullFileWriter(FileWriter):
    def __init__(self, log_dir: str, env: WriterEnv) -> None:
        self._env = env
        self.event_writer = _NullEventFileWriter(log_dir)
        self._default_step = None
        self._default_walltime = None


_live_writers: weakref.WeakSet[SummaryWriter] = weakref.WeakSet()


class SummaryWriter:
    """Writes TensorBoard event files into ``log_dir``: a directory, or an fsspec URL
    such as ``s3://bucket/run`` or ``gs://bucket/run`` (``pip install 'tbreport[s3]'``).

    Args:
        log_dir: the run directory. ``None`` means
            ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
        comment: appended to the default ``log_dir``; ignored when ``log_dir`` is given.
        purge_step: when resuming a crashed run, TensorBoard hides every point
            with ``step >= purge_step`` written before this writer (a
            ``SessionLog.START`` at that step).
        max_queue: records buffered before they are handed to the OS.
        flush_secs: how often buffered records are flushed (uploaded, on an object store).
        filename_suffix: appended to the event file's name.
        logdir: tensorboardX's name for ``log_dir``.
        write_to_disk: tensorboardX's switch: ``False`` writes nothing at all.
        comet_config: tensorboardX's Comet settings; only ``{"disabled": True}`` is
            accepted (tbreport sends nothing to Comet).

    ``flush()`` returns once everything is on disk; ``close()`` is idempotent and
    a later ``add_*`` starts a new event file, as in torch and tensorboardX. Usable
    as a context manager.
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
        write_to_disk: bool = True,
        comet_config: Mapping[str, Any] | None = None,
    ) -> None:
        if log_dir is not None and logdir is not None:
            raise TypeError("pass log_dir or its tensorboardX alias logdir, not both")
        if log_dir is None:
            log_dir = logdir
        if not isinstance(comment, str):
            raise TypeError(f"comment must be a str, got {type(comment).__name__}")
        if not isinstance(filename_suffix, str):
            raise TypeError(f"filename_suffix must be a str, got {type(filename_suffix).__name__}")
        if comet_config is not None and not comet_config.get("disabled", False):
            raise ValueError(
                "comet_config: tbreport does not send data to Comet; pass "
                "comet_config={'disabled': True} or leave it out"
            )
        self._env = current()
        self._clock = self._env.clock
        if log_dir is None or os.fspath(log_dir) == "":
            log_dir = default_logdir(comment, self._env)
        self.log_dir: str = os.fspath(log_dir)
        self.purge_step = None if purge_step is None else to_step(purge_step, "purge_step")
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._write_to_disk = bool(write_to_disk)
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._lock = threading.RLock()  # add_scalars may be called from several threads
        self._projector_config: Any = None
        self._default_step: int | None = None
        self._default_walltime: float | None = None
        self._exported: dict[str, int] = {}
        self._get_file_writer()
        _live_writers.add(self)

    # -- the object model torch and tensorboardX expose ------------------------

    @property
    def logdir(self) -> str:
        """tensorboardX's name for :attr:`log_dir`."""
        return self.log_dir

    @property
    def default_bins(self) -> list[float]:
        """TensorFlow's default histogram bucket edges (torch and tensorboardX have this attribute)."""
        return list(_DEFAULT_BINS)

    def _new_file_writer(self, log_dir: str) -> FileWriter:
        if not self._write_to_disk:
            return _NullFileWriter(log_dir, self._env)
        return FileWriter(
            log_dir, self.max_queue, self.flush_secs, self.filename_suffix, env=self._env
        )

    def _get_file_writer(self) -> FileWriter:
        """The run's :class:`FileWriter`; after ``close()``, a new one (a new event file)."""
        fw = self.file_writer
        if fw is not None:
            return fw
        with self._lock:
            if self.file_writer is None:
                if self.all_writers is not None:
                    logger.info(
                        "%s: writer was closed; writing on in a new event file", self.log_dir
                    )
                fw = self._new_file_writer(self.log_dir)
                if self.purge_step is not None:
                    fw.event_writer.add_event(
                        event_pb2.Event(
                            wall_time=self._env.clock(),
                            step=self.purge_step,
                            session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START),
                        )
                    )
                    self.purge_step = None  # as torch: only the first file purges
                self.all_writers = {fw.get_logdir(): fw}
                self._efw = fw.event_writer
                self._add = fw.event_writer.add_serialized
                self.file_writer = fw
            return self.file_writer

    def _reopen_and_add(self, data: bytes) -> None:
        self._get_file_writer()
        self._add(data)

    def get_logdir(self) -> str:
        """The run directory this writer writes to."""
        return self.log_dir

    # -- plumbing -------------------------------------------------------------

    def _wall_time(self, walltime: Any) -> float:
        if walltime is None:
            walltime = self._default_walltime
            if walltime is None:
                return self._env.clock()
        value = to_float(walltime, "walltime")
        if value != value:
            raise ValueError("walltime must be a number of seconds since the epoch, got nan")
        return value

    def _step(self, global_step: Any) -> int:
        if global_step is None:
            global_step = self._default_step
        return to_step(global_step)

    def _main_writer(self) -> EventFileWriter:
        if self.file_writer is None:
            self._get_file_writer()
        return self._efw

    def _write_values(
        self,
        values: Sequence[summary_pb2.Summary.Value],
        global_step: Any,
        walltime: Any,
        writer: EventFileWriter | None = None,
    ) -> None:
        event = event_pb2.Event(wall_time=self._wall_time(walltime), step=self._step(global_step))
        event.summary.value.extend(values)
        (writer or self._main_writer()).add_event(event)

    def add_event(self, event: Any, step: int | None = None, walltime: float | None = None) -> None:
        """Write a ready-made ``Event`` (a tbreport or TensorBoard ``Event`` message);
        its own ``wall_time`` is kept unless ``walltime`` is given."""
        msg = event_pb2.Event()
        msg.CopyFrom(as_message(event, event_pb2.Event, "event"))
        if step is not None:
            msg.step = to_step(step, "step")
        if walltime is not None or not msg.wall_time:
            msg.wall_time = self._wall_time(walltime)
        self._main_writer().add_event(msg)

    def add_summary(
        self, summary: Any, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Write a ready-made ``Summary`` message (tbreport's or TensorBoard's)."""
        msg = as_message(summary, summary_pb2.Summary, "summary")
        self._write_values(list(msg.value), global_step, walltime)

    @contextmanager
    def use_metadata(
        self, *, global_step: int | None = None, walltime: float | None = None
    ) -> Iterator[SummaryWriter]:
        """tensorboardX's defaults: within the block, ``add_*`` calls that give no
        ``global_step`` (``walltime``) use these."""
        if self._default_step is not None or self._default_walltime is not None:
            raise RuntimeError("use_metadata() is already active on this writer")
        if global_step is None and walltime is None:
            raise ValueError("use_metadata() needs global_step or walltime")
        step = None if global_step is None else to_step(global_step)
        wall = None if walltime is None else to_float(walltime, "walltime")
        with self._get_file_writer().use_metadata(global_step=step, walltime=wall):
            self._default_step, self._default_walltime = step, wall
            try:
                yield self
            finally:
                self._default_step = self._default_walltime = None

    # -- scalars --------------------------------------------------------------

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
        *,
        display_name: str = "",
        summary_description: str = "",
    ) -> None:
        """Log one number. ``new_style=True`` writes a tensor scalar (plugin ``scalars``);
        ``display_name`` and ``summary_description`` (tensorboardX) set the chart's
        title and description."""
        if type(tag) is not str:
            tag = _check_tag(tag)
        value = scalar_value if type(scalar_value) is float else to_float(scalar_value)
        if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = self._step(global_step)
        if walltime is None and self._default_walltime is None:
            wall = self._clock()
        else:
            wall = self._wall_time(walltime)
        if new_style or display_name or summary_description:
            v = (
                scalar.scalar_tensor_value(tag, value, double_precision=double_precision)
                if new_style
                else scalar.scalar_value(tag, value)
            )
            if display_name or summary_description:
                v.metadata.display_name = str(display_name)
                v.metadata.summary_description = str(summary_description)
            self._write_values([v], step, wall)
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
        (tensorboardX nests them as ``<log_dir>/<main_tag>/<key>``), and are listed in
        :attr:`all_writers`.
        """
        main_tag = _check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                f"tag_scalar_dict must be a dict of name -> number, got {type(tag_scalar_dict).__name__}"
            )
        wall = self._wall_time(walltime)
        step = self._step(global_step)
        encoded = main_tag.encode("utf-8")
        for key, value in tag_scalar_dict.items():
            key = _check_tag(key, "tag_scalar_dict key")
            sub_dir = _fs.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            writer = self._sub_writer(sub_dir)
            writer.event_writer.add_serialized(
                _encode_scalar_event(
                    encoded, to_float(value, f"tag_scalar_dict[{key!r}]"), step, wall
                )
            )

    def _sub_writer(self, sub_dir: str) -> FileWriter:
        """The writer of an ``add_scalars`` sub-run, created once even under concurrent calls."""
        with self._lock:
            self._get_file_writer()
            assert self.all_writers is not None
            writer = self.all_writers.get(sub_dir)
            if writer is None:
                writer = self._new_file_writer(sub_dir)
                self.all_writers[sub_dir] = writer
            return writer

    def export_scalars_to_json(self, path: str | os.PathLike[str]) -> None:
        """tensorboardX's export of what ``add_scalars`` logged since the last export:
        ``{sub-run log dir: [[wall_time, step, value], ...]}`` as JSON.

        Read back from the sub-runs' event files (nothing is kept in memory while
        logging), so values are the float32 the files hold.
        """
        from tbreport.record import iter_records

        out: dict[str, list[list[float]]] = {}
        with self._lock:
            subs = {k: w for k, w in (self.all_writers or {}).items() if k != self.log_dir}
        for sub_dir, writer in subs.items():
            writer.flush()
            new: list[list[float]] = []
            for file_path in writer.event_writer.written_paths():
                points = [
                    [event.wall_time, event.step, v.simple_value]
                    for event in map(
                        event_pb2.Event.FromString, iter_records(_fs.read_bytes(file_path))
                    )
                    for v in event.summary.value
                    if v.WhichOneof("value") == "simple_value"
                ]
                new += points[self._exported.get(file_path, 0) :]
                self._exported[file_path] = len(points)
            out[sub_dir] = new
        _fs.write_bytes(os.fspath(path), json.dumps(out).encode())

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
        """Log a batch of images, tiled into one grid image (8 per row) as torch does.

        ``img_tensor`` may also be a list of same-sized images (tensorboardX), each in
        ``dataformats`` ``CHW`` or ``HWC`` (or the batch's ``NCHW``/``NHWC``)."""
        if isinstance(img_tensor, (list, tuple)):
            if not img_tensor:
                raise ValueError("img_tensor is an empty list")
            import numpy as np

            arrays = [to_numpy(im, f"img_tensor[{i}]") for i, im in enumerate(img_tensor)]
            if len({a.shape for a in arrays}) != 1:
                raise ValueError(
                    f"images in a list must have one shape, got {sorted({a.shape for a in arrays})}"
                )
            img_tensor = np.stack(arrays)
            if isinstance(dataformats, str) and "N" not in dataformats.upper():
                dataformats = "N" + dataformats
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
        dataformats: str = "NTCHW",
    ) -> None:
        """Log a video ``[N, T, C, H, W]`` as an animated GIF (Pillow; torch needs moviepy).
        ``dataformats`` (tensorboardX) names another order of the five axes, e.g. ``NTHWC``."""
        arr = to_numpy(vid_tensor, "vid_tensor")
        fmt = dataformats.upper() if isinstance(dataformats, str) else dataformats
        if fmt != "NTCHW":
            if not isinstance(fmt, str) or sorted(fmt) != sorted("NTCHW"):
                raise ValueError(
                    f"dataformats must order the axes N, T, C, H, W (e.g. 'NTHWC'), got {dataformats!r}"
                )
            if arr.ndim != 5:
                raise ValueError(
                    f"vid_tensor must have 5 dims for dataformats {dataformats!r}, got {tuple(arr.shape)}"
                )
            arr = arr.transpose([fmt.index(c) for c in "NTCHW"])
        self._write_values([image.video_value(_check_tag(tag), arr, fps)], global_step, walltime)

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
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | str | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
        *,
        name: str | None = None,
        same_run: bool = False,
    ) -> None:
        """Log hyperparameters and their final metrics for the hparams dashboard.

        Like torch, by default this writes a sub-run ``<log_dir>/<run_name>``
        (``run_name`` defaults to the current time) holding the hparams and one
        scalar per metric. Pass ``same_run=True`` (or ``run_name="."``) to record
        them in this writer's own run instead, next to its other data
        (tensorboardX#519, pytorch#32651). ``name=`` is tensorboardX's ``run_name``
        (also taken as the third positional argument when it is a str, as
        tensorboardX's signature has it there).
        """
        if isinstance(hparam_domain_discrete, str):  # add_hparams(h, m, "trial1"), tensorboardX
            if name is not None:
                raise TypeError("add_hparams got a run name both positionally and as name=")
            name, hparam_domain_discrete = hparam_domain_discrete, None
        if name is not None:
            if run_name is not None:
                raise TypeError("pass run_name or its tensorboardX alias name, not both")
            run_name = name
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
        self._get_file_writer()
        sub_dir = _fs.join(self.log_dir, run_name or str(self._clock()))
        writer = self._new_file_writer(sub_dir).event_writer
        try:
            for value in values:
                self._write_values([value], global_step, None, writer)
            step = self._step(global_step)
            for tag, value in metrics.items():
                writer.add_serialized(
                    _encode_scalar_event(tag.encode("utf-8"), value, step, self._wall_time(None))
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
        """Trace a torch model and log its graph (needs ``tbreport[torch]``).

        ``input_to_model``: a tensor, a tuple (or list) of positional arguments, or a
        dict passed as one positional argument, as torch takes them. A model that
        cannot be traced raises :class:`~tbreport.errors.GraphTraceError`, a
        ``RuntimeError`` carrying torch's message.
        """
        from tbreport.writer.torch_graph import build_graph

        graph_def, run_metadata = build_graph(
            model, input_to_model, verbose=verbose, use_strict_trace=use_strict_trace
        )
        writer = self._main_writer()
        for event in graph.graph_events(graph_def, run_metadata, wall_time=self._clock()):
            writer.add_event(event)

    def add_onnx_graph(self, onnx_model: Any) -> None:
        """Log the graph of an ONNX model (a ``.onnx`` path, its bytes or an
        ``onnx.ModelProto``); needs ``pip install 'tbreport[onnx]'``."""
        from tbreport.writer.onnx_graph import load_onnx_graph

        graph_def = load_onnx_graph(onnx_model)
        event = event_pb2.Event(
            wall_time=self._clock(), graph_def=graph_def.SerializeToString(deterministic=True)
        )
        self._main_writer().add_event(event)

    def add_openvino_graph(self, xmlname: Any) -> None:
        """Not supported: tensorboardX parses OpenVINO IR XML; convert the model to ONNX
        and use :meth:`add_onnx_graph`."""
        raise NotImplementedError(
            "add_openvino_graph is not supported by tbreport; convert the model to ONNX "
            "(OpenVINO's model conversion tools) and use add_onnx_graph"
        )

    # -- embeddings, meshes ---------------------------------------------------

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
        ``projector_config.pbtxt`` in ``log_dir``. Thumbnails need not be square."""
        self._get_file_writer()
        if not self._write_to_disk:
            return
        with self._lock:
            if self._projector_config is None:
                self._projector_config = projector_pb2.ProjectorConfig()
            embedding.write_embedding(
                self.log_dir,
                self._projector_config,
                mat,
                metadata,
                label_img,
                self._step(global_step),
                _check_tag(tag),
                metadata_header,
            )

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: Mapping[str, Any] | None = None,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log a mesh or point cloud for TensorBoard's mesh plugin: ``vertices``
        ``[B, N, 3]``, optional ``colors`` ``[B, N, 3]`` (0-255) and ``faces``
        ``[B, F, 3]`` (vertex indices), ``config_dict`` the three.js scene settings."""
        values = mesh.mesh_values(
            _check_tag(tag),
            vertices,
            colors,
            faces,
            None if config_dict is None else dict(config_dict),
        )
        self._write_values(values, global_step, walltime)

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
        """Return once everything logged so far is on disk (or uploaded)."""
        with self._lock:
            writers = list((self.all_writers or {}).values())
        for writer in writers:
            writer.flush()

    def close(self) -> None:
        """Flush and close every file. Idempotent; a later ``add_*`` opens a new file."""
        with self._lock:
            if self.all_writers is None:
                return
            writers = list(self.all_writers.values())
        for writer in writers:
            try:
                writer.flush()
            except StorageError as exc:
                # An object store that cannot be reached: stay open with every record,
                # so that calling close() again once it is back loses nothing.
                raise StorageError(
                    f"{exc}; the writer stays open with its records: call close() again to retry",
                    path=exc.path,
                ) from exc
            except Exception:
                pass  # close() below reports it, and closes the file all the same
        with self._lock:
            if self.all_writers is None:
                return
            writers = list(self.all_writers.values())
            self.file_writer = self.all_writers = None
            self._add = self._reopen_and_add
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
        state = "closed" if self.file_writer is None else "open"
        return f"SummaryWriter(log_dir={self.log_dir!r}, {state})"


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork time would stay held in the child forever.
    for writer in list(_live_writers):
        writer._lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
