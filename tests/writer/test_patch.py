"""tbreport.patch(): torch's and tensorboardX's SummaryWriter resolve to tbreport's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tbreport
from tbreport.writer.summary_writer import SummaryWriter

ROOT = Path(__file__).parents[2]


def test_patch_and_undo() -> None:
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    tbx = pytest.importorskip("tensorboardX")
    originals = (torch_tb.SummaryWriter, tbx.SummaryWriter, tbx.FileWriter)
    with tbreport.patch() as p:
        assert torch_tb.SummaryWriter is SummaryWriter
        assert sys.modules["torch.utils.tensorboard.writer"].SummaryWriter is SummaryWriter
        assert tbx.SummaryWriter is SummaryWriter and tbx.FileWriter is tbreport.FileWriter
        # the peers' own modules keep building their own FileWriter
        assert sys.modules["tensorboardX.writer"].FileWriter is originals[2]
        assert {"torch.utils.tensorboard", "tensorboardX"} <= set(p.modules)
    assert (torch_tb.SummaryWriter, tbx.SummaryWriter, tbx.FileWriter) == originals


def test_modules_that_imported_the_class_earlier_are_patched_too(tmp_path: Path) -> None:
    pytest.importorskip("torch.utils.tensorboard")
    code = textwrap.dedent(
        f"""
        import sys, types
        from torch.utils.tensorboard import SummaryWriter   # as stable-baselines3 does
        framework = types.ModuleType("framework")
        framework.SummaryWriter = SummaryWriter
        sys.modules["framework"] = framework
        import tbreport
        tbreport.patch()
        w = framework.SummaryWriter({str(tmp_path)!r})
        w.add_scalar("x", 1.0, 1)
        w.close()
        print(type(w).__module__)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "tbreport.writer.summary_writer"
    events = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(events) == 1


def test_patch_without_the_peers_is_harmless(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("tensorboardX", "tensorboardX.writer"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    p = tbreport.patch(torch=False)
    assert p.modules == []
    p.undo()
