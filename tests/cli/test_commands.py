"""What every command shares: the ``--strict`` rule, the messages on stderr, ``-v``/``-q``
anywhere, several logdirs, the line that says what happened."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tbreport.cli import main
from tests.conftest import CORPUS

EDGE = CORPUS / "edge_cases"


@pytest.fixture(scope="module")
def symlinked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.logdirs import build_symlinked

    return build_symlinked(tmp_path_factory.mktemp("symlinked") / "logdir")


@pytest.fixture(scope="module")
def keras(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.logdirs import build_keras

    return build_keras(tmp_path_factory.mktemp("keras") / "logdir")


def _command(name: str, logdir: Path, tmp: Path) -> list[str]:
    out = {"build": "r.html", "email": "m.eml", "scalars": "s.csv"}.get(name)
    jobs = ["-j", "1"] if name == "build" else []
    return [name, str(logdir), "--strict", *(["-o", str(tmp / out)] if out else []), *jobs]


COMMANDS = ("build", "email", "ls", "scalars")


@pytest.mark.parametrize("name", COMMANDS)
def test_notes_pass_strict_in_every_command(
    name: str, symlinked: Path, keras: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown plugin, repeated graphs, a symlinked run (``symlinked``) and a Keras
    logdir are healthy: ``--strict`` passes."""
    for logdir in (symlinked, keras):
        argv = _command(name, logdir, tmp_path)
        assert main(argv) == 0, capsys.readouterr().err
        assert "error" not in capsys.readouterr().err


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize("case", ["truncated", "crc_corrupt"])
def test_damage_fails_strict_in_every_command(
    name: str, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logdir = Path(shutil.copytree(EDGE / case, tmp_path / case))
    argv = _command(name, logdir, tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("tbreport: error: ") and "--strict" in err[-1]
    assert not any(p.suffix in (".html", ".eml", ".csv") for p in tmp_path.iterdir())
