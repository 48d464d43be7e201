"""``tbreport.patch()``: make torch's and tensorboardX's ``SummaryWriter`` resolve to tbreport's.

Frameworks build their writer themselves (Lightning's ``TensorBoardLogger``,
stable-baselines3, Hugging Face's ``TensorBoardCallback``, ignite's
``TensorboardLogger``, accelerate's tracker); after one call, before training,
they get tbreport's writer unchanged::

    import tbreport
    tbreport.patch()

It rebinds ``SummaryWriter`` in ``torch.utils.tensorboard``,
``torch.utils.tensorboard.writer``, ``tensorboardX`` and ``tensorboardX.writer``
(and ``FileWriter`` in the two packages),
and in every already-imported module (other than torch's and tensorboardX's own)
that did ``from ... import SummaryWriter`` (stable-baselines3 does so at import
time), so the call may come after the framework's import. The frameworks still look for the ``tensorboard`` (or
``tensorboardX``) package before they log: keep one installed.
``patch()`` returns a :class:`Patch`; ``undo()`` (or leaving its ``with`` block)
puts everything back.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import TracebackType
from typing import Any

__all__ = ["Patch", "patch"]

logger = logging.getLogger(__name__)

_TARGETS = {
    "torch": ("torch.utils.tensorboard", "torch.utils.tensorboard.writer"),
    "tensorboardX": ("tensorboardX", "tensorboardX.writer"),
}
_NAMES = ("SummaryWriter", "FileWriter")
_OWN_PACKAGES = {"tbreport", "torch", "tensorboardX", "tensorboard"}


class Patch:
    """What :func:`patch` changed; :meth:`undo` restores it."""

    def __init__(self) -> None:
        self.changes: list[tuple[Any, str, Any]] = []  # (module, name, original)

    @property
    def modules(self) -> list[str]:
        """Names of the modules whose ``SummaryWriter`` now is tbreport's."""
        return sorted({m.__name__ for m, name, _ in self.changes if name == "SummaryWriter"})

    def undo(self) -> None:
        for module, name, original in reversed(self.changes):
            setattr(module, name, original)
        self.changes.clear()

    def __enter__(self) -> Patch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.undo()


def patch(*, torch: bool = True, tensorboardX: bool = True) -> Patch:
    """Point ``torch.utils.tensorboard.SummaryWriter`` and ``tensorboardX.SummaryWriter``
    (each if importable) at :class:`tbreport.SummaryWriter`. See the module docstring."""
    from tbreport.writer.file_writer import FileWriter
    from tbreport.writer.summary_writer import SummaryWriter

    ours = {"SummaryWriter": SummaryWriter, "FileWriter": FileWriter}
    done = Patch()
    originals: dict[int, Any] = {}  # id(original class) -> ours
    for family, wanted in (("torch", torch), ("tensorboardX", tensorboardX)):
        if not wanted:
            continue
        for module_name in _TARGETS[family]:
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # not installed, or torch without tensorboard
                logger.debug("patch: %s not importable (%s)", module_name, exc)
                continue
            # FileWriter only where users import it from: the peers' own SummaryWriter
            # builds its FileWriter from its writer module's globals.
            names = _NAMES if module_name == _TARGETS[family][0] else ("SummaryWriter",)
            for name in names:
                original = getattr(module, name, None)
                if original is None or original is ours[name]:
                    continue
                originals[id(original)] = ours[name]
                done.changes.append((module, name, original))
                setattr(module, name, ours[name])
    # Modules that imported the peers' classes before this call hold them by name.
    # The peers' own modules keep theirs (tensorboardX's GlobalSummaryWriter is built
    # on its own SummaryWriter and stays as it is).
    for module in list(sys.modules.values()):
        name_of = getattr(module, "__name__", None)
        if not isinstance(name_of, str) or name_of.split(".")[0] in _OWN_PACKAGES:
            continue
        for name in _NAMES:
            try:
                value = module.__dict__.get(name)
            except Exception:  # a lazy module that refuses attribute access
                continue
            if value is not None and id(value) in originals and value is not originals[id(value)]:
                done.changes.append((module, name, value))
                setattr(module, name, originals[id(value)])
    logger.info("tbreport.patch(): SummaryWriter is tbreport's in %s", ", ".join(done.modules))
    return done
