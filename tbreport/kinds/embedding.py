"""The embedding summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf import text_format

from tbreport import _fs
from tbreport.errors import StorageError
from tbreport.kinds._arrays import to_numpy
from tbreport.kinds._pixels import encode_png, make_grid, to_uint8
from tbreport.kinds.base import Kind, RunSink, SectionSpec
from tbreport.proto import projector_pb2

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True)
class ProjectorEmbedding:
    """One embedding of a ``projector_config.pbtxt``; paths resolved against the run dir."""

    tensor_name: str
    tensor_path: str = ""
    metadata_path: str = ""
    sprite_path: str = ""
    sprite_single_image_dim: tuple[int, ...] = ()
    tensor_shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProjectorConfig:
    path: str
    embeddings: tuple[ProjectorEmbedding, ...] = ()
    model_checkpoint_path: str = ""


PLUGIN_NAME = "projector"

# --- encode (writer side) ---


def _safe_dir_name(tag: str) -> str:
    """A tag as one path component (torch percent-encodes; we keep it readable and safe)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in tag).strip(".")
    return cleaned or "default"


def write_embedding(
    logdir: str,
    config: Any,
    mat: Any,
    metadata: Sequence[Any] | None,
    label_img: Any,
    global_step: int,
    tag: str,
    metadata_header: Sequence[str] | None,
) -> str:
    """Write ``tensors.tsv`` (+ ``metadata.tsv``, ``sprite.png``) under ``<step>/<tag>/``.

    ``config`` is the writer's ``ProjectorConfig`` message; the new embedding is
    appended and the whole ``projector_config.pbtxt`` rewritten. Returns the subdir.
    ``logdir`` may be local or remote (:mod:`tbreport._fs`); every file is written whole.
    """

    arr = to_numpy(mat, "mat")
    if arr.ndim != 2:
        raise ValueError(f"mat must be 2-D [points, dims], got shape {tuple(arr.shape)}")
    n = arr.shape[0]
    subdir = f"{global_step:05d}/{_safe_dir_name(tag)}"
    path = _fs.join(logdir, *subdir.split("/"))
    _fs.makedirs(path)
    info = config.embeddings.add()
    info.tensor_name = f"{tag}:{global_step:05d}"
    info.tensor_path = f"{subdir}/tensors.tsv"
    info.tensor_shape.extend(arr.shape)
    if metadata is not None:
        rows = list(metadata)
        if len(rows) != n:
            raise ValueError(f"metadata has {len(rows)} rows but mat has {n} points")
        if metadata_header:
            header = [str(h) for h in metadata_header]
            for i, row in enumerate(rows):
                if not isinstance(row, (list, tuple)) or len(row) != len(header):
                    raise ValueError(
                        f"metadata[{i}] must have {len(header)} columns to match metadata_header"
                    )
            lines = ["\t".join(header)] + ["\t".join(_tsv_cell(c) for c in row) for row in rows]
        else:
            lines = [_tsv_cell(r) for r in rows]
        _fs.write_bytes(_fs.join(path, "metadata.tsv"), ("\n".join(lines) + "\n").encode())
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        imgs = to_numpy(label_img, "label_img")
        if imgs.ndim != 4 or imgs.shape[0] != n:
            raise ValueError(
                f"label_img must be [N, C, H, W] with N = {n} points, got {tuple(imgs.shape)}"
            )
        side = int(np.ceil(np.sqrt(n)))
        grid = make_grid(imgs, ncols=side).transpose(1, 2, 0)[:, :, :3]
        square = np.zeros((grid.shape[1], grid.shape[1], 3), dtype=grid.dtype)
        square[: grid.shape[0]] = grid
        _fs.write_bytes(_fs.join(path, "sprite.png"), encode_png(to_uint8(square)))
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([imgs.shape[3], imgs.shape[2]])
    tsv = "".join("\t".join(repr(float(x)) for x in row) + "\n" for row in arr.tolist())
    _fs.write_bytes(_fs.join(path, "tensors.tsv"), tsv.encode())
    config_text = text_format.MessageToString(config)
    _fs.write_bytes(_fs.join(logdir, CONFIG_NAME), config_text.encode())
    return subdir


def _tsv_cell(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ")


# --- decode (reader side) ---

CONFIG_NAME = "projector_config.pbtxt"
"""The file a writer puts beside its event files."""


def decode_projector_config(data: bytes, path: str) -> ProjectorConfig:
    """A ``projector_config.pbtxt`` read from ``path`` (local or a URL, see
    :mod:`tbreport._fs`); its relative paths are resolved against its directory.

    Raises ``ValueError`` if it is not UTF-8 text or does not parse.
    """

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    try:
        config = text_format.Parse(text, projector_pb2.ProjectorConfig())
    except text_format.ParseError as exc:
        raise ValueError(f"does not parse as a ProjectorConfig: {exc}") from exc
    base = _fs.dirname(path)
    embeddings = tuple(
        ProjectorEmbedding(
            e.tensor_name,
            _resolve(base, e.tensor_path),
            _resolve(base, e.metadata_path),
            _resolve(base, e.sprite.image_path),
            tuple(int(d) for d in e.sprite.single_image_dim),
            tuple(int(d) for d in e.tensor_shape),
        )
        for e in config.embeddings
    )
    return ProjectorConfig(path, embeddings, config.model_checkpoint_path)


def _resolve(base: str, path: str) -> str:
    """``path`` (relative to the config's directory ``base``, or absolute) made whole."""
    if not path or _fs.is_remote(path):
        return path
    if not _fs.is_remote(base):
        return os.path.normpath(os.path.join(base, path))
    if path.startswith("/"):  # a local path the writer's machine had: kept as written
        return path
    scheme, _, rest = base.partition("://")
    return f"{scheme}://{posixpath.normpath(posixpath.join(rest, path))}"


# --- the kind ---


@dataclass(frozen=True)
class EmbeddingKind(Kind):
    """The projector's embeddings: ``projector_config.pbtxt`` beside a run's event files."""

    def finish(self, sink: RunSink) -> None:
        path = _fs.join(sink.run.path, CONFIG_NAME)
        try:
            data = _fs.read_bytes(path)
        except FileNotFoundError:
            return
        except (OSError, StorageError) as exc:
            # an unreadable side file costs its projector listing, not the run
            sink.warn(path, f"projector config skipped: {exc}")
            return
        try:
            sink.run.projector = decode_projector_config(data, path)
        except ValueError as exc:
            sink.warn(path, f"projector config skipped: {exc}")


KIND = EmbeddingKind(
    name="projector",
    module="embedding",
    attr="projector",
    sections=(SectionSpec("tbreport.render.embedding:build", ("kinds/embedding.html.j2",)),),
)
