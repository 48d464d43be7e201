"""The image summary kind: wire identity, encode (writer side), decode (reader side)."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tbreport.fmt import fmt_bytes
from tbreport.kinds._arrays import to_float, to_numpy
from tbreport.kinds._pixels import encode_png, make_grid, to_uint8  # re-exported
from tbreport.kinds._tensors import tensor_to_array
from tbreport.kinds.base import Point, SectionSpec, SeriesKind
from tbreport.proto import summary_pb2

PLUGIN_NAME = "images"

# --- the data (re-exported by tbreport.model) ---


@dataclass(frozen=True)
class EncodedImage:
    """One encoded image (PNG, usually); ``width``/``height`` as the writer declared them."""

    data: bytes
    width: int = 0
    height: int = 0
    colorspace: int = 0

    @property
    def mime_type(self) -> str:
        if self.data.startswith(b"\x89PNG"):
            return "image/png"
        if self.data.startswith(b"\xff\xd8"):
            return "image/jpeg"
        if self.data.startswith(b"GIF8"):
            return "image/gif"
        return "application/octet-stream"

    @property
    def decoded_size(self) -> tuple[int, int]:
        """Width and height as the encoded bytes say (PNG, GIF, JPEG headers), ``(0, 0)``
        when unreadable. What a browser shows; the declared ``width``/``height`` may
        differ (MONAI's GIFs declare 10x10 whatever their size)."""
        return header_size(self.data)

    @property
    def size(self) -> tuple[int, int]:
        """The decoded size, else the declared one (``(0, 0)`` when neither is known)."""
        w, h = self.decoded_size
        if w and h:
            return w, h
        return (self.width, self.height) if self.width > 0 and self.height > 0 else (0, 0)

    def to_array(self) -> npt.NDArray[np.uint8]:
        """Decode to an ``[H, W, C]`` uint8 array (needs Pillow; imported here only).

        ``ValueError`` for an image whose header claims more than its bytes can hold
        (:func:`check_claims`) or more pixels than Pillow's ``MAX_IMAGE_PIXELS``: a
        decompression bomb is never decoded to its claim.
        """
        from PIL import Image  # Pillow: only when an image is encoded

        check_claims(self.data)
        w, h = self.decoded_size
        limit = Image.MAX_IMAGE_PIXELS
        if limit is not None and w * h > limit:
            raise ValueError(f"image of {w}x{h} px is bigger than {limit:,} pixels")
        with Image.open(io.BytesIO(self.data)) as img:
            return np.asarray(img)


PNG_MAX_RATIO = 1032
"""deflate's limit: a PNG's pixel rows are never more than 1032 times its compressed bytes."""

_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


def check_claims(data: bytes) -> None:
    """``ValueError`` when a PNG's header claims more pixels than its bytes can hold.

    A PNG's rows (one filter byte plus the packed pixels each) are deflate-compressed,
    and deflate never expands more than :data:`PNG_MAX_RATIO` times, so a 57-byte PNG
    claiming 30000x30000 RGB (2.7 GB) is damaged or a decompression bomb: whatever
    decodes it (a browser, Pillow) would allocate the claim for nothing.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 26:
        return
    w, h = header_size(data)
    depth, colour = data[24], data[25]
    row = 1 + -(-w * _PNG_CHANNELS.get(colour, 1) * max(1, depth) // 8)
    if h * row > PNG_MAX_RATIO * len(data):
        raise ValueError(
            f"PNG header claims {w}x{h} px ({fmt_bytes(h * row)} of pixel rows) in "
            f"{fmt_bytes(len(data))}, more than deflate can hold: a damaged PNG or a "
            "decompression bomb"
        )


def header_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, GIF or JPEG header (``(0, 0)`` if none is readable)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:4] == b"GIF8" and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (
                0xC0,
                0xC1,
                0xC2,
                0xC3,
                0xC5,
                0xC6,
                0xC7,
                0xC9,
                0xCA,
                0xCB,
                0xCD,
                0xCE,
                0xCF,
            ):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + length
    return 0, 0


@dataclass(frozen=True)
class ImagePoint(Point):
    """The images of one event: 1 for the legacy form, any number for TF2's tensor form."""

    images: tuple[EncodedImage, ...] = ()


# --- encode (writer side) ---


_FORMATS_3D = ("CHW", "HWC")


def _check_dataformats(dataformats: object, arr: npt.NDArray[Any], allowed: str) -> str:
    if not isinstance(dataformats, str):
        raise TypeError(
            f"dataformats must be a str such as {allowed!r}, got {type(dataformats).__name__}"
        )
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or not {"H", "W"} <= set(fmt):
        raise ValueError(
            f"dataformats must be a permutation of some of N, C, H, W containing H and W "
            f"(e.g. 'CHW', 'HWC', 'HW', 'NCHW', 'NHWC'), got {dataformats!r}"
        )
    if arr.ndim != len(fmt):
        raise ValueError(
            f"img_tensor has shape {tuple(arr.shape)} ({arr.ndim} dims) but dataformats "
            f"{dataformats!r} describes {len(fmt)} dims"
        )
    return fmt


def to_hwc(arr: npt.NDArray[Any], dataformats: str) -> npt.NDArray[Any]:
    """An image (or a batch, tiled) in ``dataformats`` as ``[H, W, C]`` with C in 3 or 4."""
    if len(dataformats) == 4 and "C" not in dataformats:
        raise ValueError(f"a batch dataformats needs N, C, H and W, got {dataformats!r}")
    if len(dataformats) == 4:
        nchw = arr.transpose([dataformats.index(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(dataformats) == 3:
        if "N" in dataformats:  # NHW: a batch of grayscale images
            nchw = arr.transpose([dataformats.index(c) for c in "NHW"])[:, None]
            return make_grid(nchw).transpose(1, 2, 0)
        hwc = arr.transpose([dataformats.index(c) for c in "HWC"])
        channels = hwc.shape[2]
        if channels == 1:
            return np.concatenate([hwc, hwc, hwc], 2)
        if channels not in (3, 4):
            raise ValueError(
                f"img_tensor must have 1, 3 or 4 channels, got {channels} "
                f"(shape {tuple(arr.shape)}, dataformats {dataformats!r})"
            )
        return hwc
    hw = arr.transpose([dataformats.index(c) for c in "HW"])
    return np.stack([hw, hw, hw], 2)


def image_value(
    tag: str, img_tensor: Any, dataformats: str, *, batch: bool = False
) -> summary_pb2.Summary.Value:
    """One image (or a tiled batch) as a legacy ``Summary.Image`` PNG value."""
    arr = to_numpy(img_tensor, "img_tensor")
    fmt = _check_dataformats(dataformats, arr, "NCHW" if batch else "CHW")
    if arr.size == 0:
        raise ValueError(f"img_tensor is empty (shape {tuple(arr.shape)})")
    hwc = to_uint8(to_hwc(arr, fmt))
    height, width, channels = hwc.shape
    image = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=encode_png(hwc)
    )
    return summary_pb2.Summary.Value(tag=tag, image=image)


def _draw_box(draw: Any, font: Any, box: Sequence[float], label: str | None) -> None:
    """One red box outline (2 px), with its label on a red patch at the bottom left."""
    left, top, right, bottom = (float(v) for v in box)
    draw.line(
        [(left, top), (left, bottom), (right, bottom), (right, top), (left, top)],
        width=2,
        fill="Red",
    )
    if label:
        x0, y0, x1, y1 = font.getbbox(label)
        text_width, text_height = x1 - x0, y1 - y0
        margin = np.ceil(0.05 * text_height)
        draw.rectangle(
            [(left, bottom - text_height - 2 * margin), (left + text_width, bottom)], fill="Red"
        )
        draw.text((left + margin, bottom - text_height - margin), label, fill="black", font=font)


def image_with_boxes_value(
    tag: str,
    img_tensor: Any,
    box_tensor: Any,
    rescale: float = 1,
    dataformats: str = "CHW",
    labels: Sequence[str] | None = None,
) -> summary_pb2.Summary.Value:
    """An image with bounding boxes ``[N, 4]`` (xmin, ymin, xmax, ymax in pixels) drawn on it.

    As torch: boxes in red with optional labels, then the image is scaled by
    ``rescale``; the stored height and width are the unscaled ones, as torch stores them.
    """
    from PIL import Image, ImageDraw, ImageFont  # Pillow: only when an image is encoded

    arr = to_numpy(img_tensor, "img_tensor")
    fmt = _check_dataformats(dataformats, arr, "CHW")
    if len(fmt) == 4:
        raise ValueError(f"add_image_with_boxes takes one image, got dataformats {dataformats!r}")
    hwc = to_uint8(to_hwc(arr, fmt))
    boxes = to_numpy(box_tensor, "box_tensor")
    if boxes.ndim == 1 and boxes.size == 4:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"box_tensor must be [N, 4] (xmin, ymin, xmax, ymax), got shape {tuple(boxes.shape)}"
        )
    if labels is not None and len(labels) != boxes.shape[0]:
        raise ValueError(f"labels has {len(labels)} entries for {boxes.shape[0]} boxes")
    rescale_f = to_float(rescale, "rescale")
    if not rescale_f > 0:
        raise ValueError(f"rescale must be > 0, got {rescale!r}")
    height, width, channels = hwc.shape
    image = Image.fromarray(np.ascontiguousarray(hwc))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for i, box in enumerate(boxes.tolist()):
        _draw_box(draw, font, box, None if labels is None else str(labels[i]))
    image = image.resize(
        (int(width * rescale_f), int(height * rescale_f)), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    proto = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=out.getvalue()
    )
    return summary_pb2.Summary.Value(tag=tag, image=proto)


def figure_to_hwc(figure: Any, close: bool) -> npt.NDArray[np.uint8]:
    """Render a matplotlib figure to RGB pixels (matplotlib is imported here only)."""
    # matplotlib: only when drawing a figure (add_figure)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    if close:
        import matplotlib.pyplot as plt  # matplotlib: only when drawing a figure (add_figure)

        plt.close(figure)
    return np.ascontiguousarray(rgba[:, :, :3])


def figure_value(tag: str, figure: Any, close: bool) -> summary_pb2.Summary.Value:
    """A figure, or a list of figures tiled into one image, as torch's add_figure does."""
    if isinstance(figure, (list, tuple)):
        if not figure:
            raise ValueError("figure is an empty list")
        images = [figure_to_hwc(f, close) for f in figure]
        shapes = {im.shape for im in images}
        if len(shapes) != 1:
            raise ValueError(
                f"figures in a list must have the same size in pixels, got {sorted(shapes)}"
            )
        return image_value(tag, np.stack(images), "NHWC", batch=True)
    if not hasattr(figure, "savefig"):
        raise TypeError(
            f"figure must be a matplotlib Figure or a list of them, got {type(figure).__name__}"
        )
    return image_value(tag, figure_to_hwc(figure, close), "HWC")


def video_value(tag: str, vid_tensor: Any, fps: float) -> summary_pb2.Summary.Value:
    """A video ``[N, T, C, H, W]`` as an animated GIF (encoded with Pillow, no moviepy needed)."""
    from PIL import Image  # Pillow: only when a video is encoded

    arr = to_numpy(vid_tensor, "vid_tensor")
    if arr.ndim != 5:
        raise ValueError(f"vid_tensor must have shape [N, T, C, H, W], got {tuple(arr.shape)}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    n, t, _c, _h, _w = arr.shape
    if t == 0 or n == 0:
        raise ValueError(f"vid_tensor has no frame (shape {tuple(arr.shape)})")
    frames = [to_uint8(make_grid(arr[:, i]).transpose(1, 2, 0)) for i in range(t)]
    images = [Image.fromarray(np.ascontiguousarray(f[:, :, :3])) for f in frames]
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(1, round(1000 / fps)),
        loop=0,
    )
    height, width = frames[0].shape[:2]
    image = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=3, encoded_image_string=out.getvalue()
    )
    return summary_pb2.Summary.Value(tag=tag, image=image)


# --- decode (reader side) ---


def _int_or_zero(raw: bytes) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def decode_image(value: summary_pb2.Summary.Value, step: int, wall_time: float) -> ImagePoint:
    """Images of one value: the legacy ``Summary.Image``, or TF2's string tensor
    ``[width, height, image, image, ...]`` (any number of images). Bytes stay encoded.
    """
    if value.WhichOneof("value") == "image":
        img = value.image
        check_claims(img.encoded_image_string)
        encoded = EncodedImage(img.encoded_image_string, img.width, img.height, img.colorspace)
        return ImagePoint(step, wall_time, (encoded,))
    arr = tensor_to_array(value.tensor)
    if arr.dtype != object or arr.ndim != 1 or arr.shape[0] < 2:
        raise ValueError(f"an image tensor must be [width, height, images...], got {arr.shape}")
    width, height = _int_or_zero(arr[0]), _int_or_zero(arr[1])
    for b in arr[2:]:
        check_claims(bytes(b))
    images = tuple(EncodedImage(bytes(b), width, height) for b in arr[2:])
    return ImagePoint(step, wall_time, images)


# --- the kind ---

KIND = SeriesKind(
    name="images",
    module="image",
    attr="images",
    plugin_names=(PLUGIN_NAME,),
    legacy_field="image",
    decode=decode_image,
    sections=(SectionSpec("tbreport.render.image:build", ("kinds/image.html.j2",)),),
    media=lambda s: [[(len(i.data), i.mime_type) for i in p.images] for p in s.points],
    steps_option="image_steps",
    counts=(
        (
            "image",
            lambda sel: sum(
                len(p.images) for r in sel.raw_runs for s in r.images.values() for p in s.points
            ),
        ),
    ),
)
