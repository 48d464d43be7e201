"""The sample report, byte for byte: ``tests/snapshots/sample_report.html``.

``tbreport build sample_runs`` with ``SOURCE_DATE_EPOCH`` fixed must produce exactly
the committed file. It is the safety net of every refactoring: a change to the report's
bytes is either a bug or meant, and then the snapshot is rewritten
(``make goldens``) and the diff reviewed with the change.

Nothing is normalised. What the bytes depend on besides tbreport (matplotlib and its
FreeType, Pillow, numpy, Graphviz's ``dot``, the markdown stack) is recorded next to the
snapshot; on a machine where one of them differs the comparison cannot hold and the
test is skipped, naming the difference; CI sets ``TBREPORT_REQUIRE_SNAPSHOT=1`` and
holds those libraries at the recorded versions (``constraints.txt``), so there the skip
is a failure and the snapshot guards every change.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from tbreport import build_report

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "snapshots" / "sample_report.html"
ENVIRONMENT = SNAPSHOT.with_suffix(".env.json")
EPOCH = "1767225600"  # the sample runs' own start, 2026-01-01T00:00:00Z


def environment() -> dict[str, str]:
    """The versions of everything besides tbreport that the report's bytes depend on."""
    import matplotlib.ft2font
    from PIL import features

    dot = shutil.which("dot")
    dot_version = "missing"
    if dot:
        done = subprocess.run([dot, "-V"], capture_output=True, text=True, check=False)
        dot_version = (done.stderr or done.stdout).strip()
    env = {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "freetype": str(matplotlib.ft2font.__freetype_version__),
        "zlib (Pillow)": str(features.version("zlib")),
        "dot": dot_version,
    }
    for dist in ("numpy", "matplotlib", "pillow", "jinja2", "markdown-it-py", "nh3"):
        env[dist] = metadata.version(dist)
    return env


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.chdir(ROOT)  # the report names the logdir as given: "sample_runs"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = build_report("sample_runs", tmp_path / "report.html", progress=False)
    return out.read_bytes()


def test_sample_report_is_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_goldens: bool
) -> None:
    html = build(tmp_path, monkeypatch)
    env = environment()
    if update_goldens:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_bytes(html)
        ENVIRONMENT.write_text(json.dumps(env, indent=2) + "\n", encoding="utf-8")
        return
    recorded = json.loads(ENVIRONMENT.read_text(encoding="utf-8"))
    changed = {k: (recorded.get(k), v) for k, v in env.items() if recorded.get(k) != v}
    if changed:
        message = f"the snapshot was made with other libraries: {changed}"
        if os.environ.get("TBREPORT_REQUIRE_SNAPSHOT") == "1":
            pytest.fail(message + " (TBREPORT_REQUIRE_SNAPSHOT=1: constraints.txt holds them)")
        pytest.skip(message)
    expected = SNAPSHOT.read_bytes()
    if html != expected:
        (tmp_path / "new.html").write_bytes(html)
        old, new = expected.decode().splitlines(), html.decode().splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new))
        )
        raise AssertionError(
            f"the sample report differs from {SNAPSHOT.relative_to(ROOT)} from line {first + 1} "
            f"(new copy: {tmp_path / 'new.html'}); if the change is meant, run `make goldens` "
            "and review the diff"
        )
