"""The README's set-up: tools/system-deps.sh, the Makefile's venv, and a fresh clone's `make demo`.

The script is run with a PATH of its own: the few programs it uses, plus a fake
``dpkg-query`` that reports the packages a test names as missing (and, per test, a
fake ``apt-get`` that records its arguments or a ``sudo`` that refuses). Every case
that must not install anything runs as a real unprivileged user (``nobody``, through
setpriv, when the suite runs as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "tools" / "system-deps.sh"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SETPRIV = shutil.which("setpriv", path=SYSTEM_PATH)
DEBIAN_PYTHON = Path("/usr/bin/python3")
# an interpreter the unprivileged user can run (this one may live under /root)
PYTHON = str(DEBIAN_PYTHON) if DEBIAN_PYTHON.exists() else sys.executable
NOBODY = 65534

FAKE_DPKG_QUERY = """#!/bin/sh
# dpkg-query -W -f='${Status}' PACKAGE, answering from $FAKE_MISSING
for pkg; do :; done
case " $FAKE_MISSING " in
  *" $pkg "*) echo "dpkg-query: no packages found matching $pkg" >&2; exit 1 ;;
esac
printf 'install ok installed'
"""
FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$FAKE_LOG"
"""
REFUSING_SUDO = """#!/bin/sh
echo "sudo: a password is required" >&2
exit 1
"""

needs_a_non_root_user = pytest.mark.skipif(
    os.geteuid() == 0 and SETPRIV is None, reason="needs setpriv to drop root"
)


@pytest.fixture
def world() -> Iterator[Path]:
    """A directory any user can enter, with a bin/ of links to what the script runs."""
    top = Path(tempfile.mkdtemp(prefix="tbreport-setup-"))
    try:
        top.chmod(0o755)
        bin_dir = top / "bin"
        bin_dir.mkdir()
        for name in ("sh", "id"):
            real = shutil.which(name, path=SYSTEM_PATH)
            assert real, name
            (bin_dir / name).symlink_to(real)
        _tool(bin_dir, "dpkg-query", FAKE_DPKG_QUERY)
        _tool(bin_dir, "apt-get", FAKE_APT_GET)
        (top / "apt.log").touch()
        (top / "apt.log").chmod(0o666)
        yield top
    finally:
        shutil.rmtree(top)


def _tool(bin_dir: Path, name: str, text: str) -> None:
    (bin_dir / name).write_text(text)
    (bin_dir / name).chmod(0o755)


def _minor(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import sys; print(sys.version_info[1])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _run(
    world: Path,
    *groups: str,
    python: str = PYTHON,
    missing: str = "",
    as_root: bool = False,
    path: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": path or str(world / "bin"),
        "HOME": str(world),
        "FAKE_MISSING": missing,
        "FAKE_LOG": str(world / "apt.log"),
    }
    cmd = ["sh", str(SCRIPT), python, *groups]
    if not as_root and os.geteuid() == 0:
        assert SETPRIV
        cmd = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=world)


@needs_a_non_root_user
def test_nothing_missing_is_silent(world: Path) -> None:
    result = _run(world, "venv", "demo", "test")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@needs_a_non_root_user
def test_without_sudo_it_prints_the_apt_line_and_stops(world: Path) -> None:
    result = _run(world, "demo", "test", missing="graphviz chromium fonts-noto-cjk")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "    apt-get update && apt-get install -y graphviz chromium fonts-noto-cjk" in lines
    assert any("no sudo" in line and "root" in line for line in lines), result.stderr
    assert (world / "apt.log").read_text() == ""  # nothing was run


@needs_a_non_root_user
def test_a_sudo_that_refuses_gets_the_sudo_line(world: Path) -> None:
    _tool(world / "bin", "sudo", REFUSING_SUDO)
    result = _run(world, "demo", missing="graphviz")
    assert result.returncode == 1
    assert (
        "    sudo apt-get update && sudo apt-get install -y graphviz" in result.stderr.splitlines()
    )
    assert "a password is required" in result.stderr
    assert (world / "apt.log").read_text() == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="the root path installs; runs as root only")
def test_as_root_it_installs_with_apt_get(world: Path) -> None:
    result = _run(world, "demo", "test", missing="graphviz fonts-noto-cjk", as_root=True)
    assert result.returncode == 0, result.stderr
    assert (world / "apt.log").read_text().splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq -o Dpkg::Use-Pty=0 graphviz fonts-noto-cjk",
    ]


@needs_a_non_root_user
def test_a_program_on_path_counts_as_installed(world: Path) -> None:
    dot = shutil.which("dot", path=SYSTEM_PATH)
    if dot is None:
        pytest.skip("no dot here")
    (world / "bin" / "dot").symlink_to(dot)
    assert _run(world, "demo", missing="graphviz").returncode == 0


@needs_a_non_root_user
@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="no Debian system Python")
def test_the_system_python_needs_its_versioned_venv_package(world: Path) -> None:
    venv_pkg = f"python3.{_minor(DEBIAN_PYTHON)}-venv"
    result = _run(world, "venv", "demo", python=str(DEBIAN_PYTHON), missing=f"{venv_pkg} graphviz")
    assert result.returncode == 1
    assert f"    apt-get update && apt-get install -y {venv_pkg} graphviz" in result.stderr
    assert _run(world, "venv", python=str(DEBIAN_PYTHON)).returncode == 0


@needs_a_non_root_user
def test_elsewhere_a_missing_program_is_a_warning(world: Path) -> None:
    (world / "bin" / "dpkg-query").unlink()
    result = _run(world, "demo", "test")
    assert result.returncode == 0
    assert "tbreport: warning: no 'dot' on PATH: install graphviz" in result.stderr
    assert "tbreport: warning: no 'chromium' on PATH: install chromium" in result.stderr


@needs_a_non_root_user
def test_too_old_or_absent_python_is_one_line(world: Path) -> None:
    result = _run(world, "venv", python=str(world / "no-such-python"))
    assert result.returncode == 1
    assert result.stderr.startswith("tbreport: error: no Python at ")
    assert result.stderr.count("\n") == 1
    old = _old_python()
    if old is not None:  # stops before any install: fine to run as whoever we are
        result = _run(world, "venv", python=old, as_root=True)
        assert result.returncode == 1
        assert "tbreport needs Python >= 3.9" in result.stderr


def _old_python() -> str | None:
    """A Python older than 3.9 on this machine, if there is one."""
    candidates = [shutil.which(f"python3.{m}") for m in (8, 7, 6)]
    candidates += [str(p) for p in Path.home().glob(".pyenv/versions/3.[678].*/bin/python3")]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info < (3, 9))"],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == "True":
            return candidate
    return None


def test_an_unknown_group_is_a_usage_error(world: Path) -> None:
    result = _run(world, "gpu", as_root=os.geteuid() == 0)
    assert result.returncode == 2
    assert "unknown group 'gpu'" in result.stderr


@needs_a_non_root_user
def test_make_test_without_root_stops_before_making_anything(world: Path) -> None:
    """`make test` as a plain user: one apt line for everything missing, and no .venv."""
    if not DEBIAN_PYTHON.exists() or shutil.which("make", path=SYSTEM_PATH) is None:
        pytest.skip("needs make and the Debian system Python")
    repo = world / "repo"
    (repo / "tools").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "tools/system-deps.sh"):
        shutil.copy(ROOT / name, repo / name)
    if os.geteuid() == 0:
        os.chown(repo, NOBODY, NOBODY)
    _tool(world / "bin", "sudo", REFUSING_SUDO)  # a sudo of this machine's would ask too
    venv_pkg = f"python3.{_minor(DEBIAN_PYTHON)}-venv"
    env = {
        "PATH": f"{world / 'bin'}:{SYSTEM_PATH}",
        "HOME": str(world),
        "FAKE_MISSING": f"{venv_pkg} fonts-noto-cjk",
        "FAKE_LOG": str(world / "apt.log"),
    }
    cmd = ["make", "-s", "test"]
    if os.geteuid() == 0:
        assert SETPRIV
        cmd = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=repo)
    assert result.returncode != 0
    line = f"    sudo apt-get update && sudo apt-get install -y {venv_pkg} fonts-noto-cjk"
    assert line in result.stderr.splitlines(), result.stderr
    assert not (repo / ".venv").exists()


@pytest.mark.skipif(
    not os.environ.get("TBREPORT_SLOW_TESTS"), reason="slow (a venv and pip): TBREPORT_SLOW_TESTS=1"
)
def test_fresh_clone_make_demo_with_the_system_path(tmp_path: Path) -> None:
    """The README's first command on a fresh clone, PATH = the system's directories only.

    It makes .venv from the system Python, installs the runtime deps alone (no torch,
    at most 400 MB) and builds the demo report from sample_runs/.
    """
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    env = {"HOME": os.environ.get("HOME", str(tmp_path)), "PATH": SYSTEM_PATH}
    for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT"):
        if name in os.environ:  # where this machine's packages come from, as a user has it
            env[name] = os.environ[name]
    result = subprocess.run(
        ["make", "demo"], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (clone / "build" / "report.html").read_text(encoding="utf-8")
    assert "lr_0.001" in html and '<g class="node op' in html  # the runs, and a graph drawn by dot
    size = sum(p.stat().st_size for p in (clone / ".venv").rglob("*") if p.is_file())
    assert size <= 400 * 2**20, f".venv is {size / 2**20:.0f} MB"
    torch = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c", "import torch"], capture_output=True
    )
    assert torch.returncode != 0, "make demo installed torch"
