"""The one output writer, like a careful Unix tool: ``-``, links, devices, FIFOs, umask,
atomic replacement, missing directories, checks before work, errors naming the path given."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tbreport.errors import OutputError
from tbreport.report.output import Output


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_dash_is_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    Output("-").write_text("héllo\n")
    Output("-").write_bytes(b"bytes\n")
    assert capsys.readouterr().out == "héllo\nbytes\n"
    Output("-").check()


def test_a_regular_file_is_replaced_atomically_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old")
    target.chmod(0o600)
    inode = target.stat().st_ino
    Output(target).write_text("new\n")
    assert target.read_text() == "new\n"
    assert target.stat().st_ino != inode  # a new file renamed over the old one
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _files(tmp_path) == ["r.html"]  # no temporary file left


def test_a_new_file_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        Output(tmp_path / "new.html").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.html").stat().st_mode) == 0o640


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), Output(target).open_text() as fh:
        fh.write("half a rep")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and _files(tmp_path) == ["r.html"]


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real.name)
    Output(link).write_text("new")
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_text() == "new"
    dangling = tmp_path / "dangling.html"
    dangling.symlink_to("sub/created.html")
    Output(dangling).write_text("made")
    assert dangling.is_symlink() and (tmp_path / "sub" / "created.html").read_text() == "made"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_written_to_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    out = Output(fifo)
    out.check()
    out.write_text("through the pipe")
    reader.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_device_is_written_to_never_replaced() -> None:
    Output(os.devnull).check()
    Output(os.devnull).write_text("discarded")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="no /dev/stdout")
def test_dev_stdout_is_this_process_standard_output_even_when_appending(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("kept\n")
    code = "from tbreport.report.output import Output; Output('/dev/stdout').write_text('added\\n')"
    with open(log, "a") as fh:  # `>> log.txt`: the old lines must survive
        subprocess.run([sys.executable, "-c", code], stdout=fh, check=True)
    assert log.read_text() == "kept\nadded\n"
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert piped.stdout == "added\n"


def test_a_missing_parent_directory_is_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "r.html"
    out = Output(target)
    out.check()
    out.write_text("x")
    assert target.read_text() == "x"


def test_problems_are_found_before_any_work_and_name_the_path_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    with pytest.raises(OutputError, match=r"^dir: is a directory; give a file name$") as exc:
        Output("dir").check()
    assert exc.value.path == "dir"
    Path("file").write_text("x")
    with pytest.raises(OutputError, match=r"^file/r\.html: .*file is not a directory$"):
        Output("file/r.html").check()
    with pytest.raises(OutputError, match=r"^dir: "):  # writing fails the same way
        Output("dir").write_text("x")


def test_an_unwritable_directory_is_refused_before_any_work(tmp_path: Path) -> None:
    """As an ordinary user: root writes anywhere, so as root the check runs without the
    capability to override file permissions (``setpriv``)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    tmp_path.chmod(0o755)
    code = (
        "import sys; from tbreport.report.output import Output\n"
        "try:\n    Output(sys.argv[1]).check()\nexcept Exception as e:\n    print(e)"
    )
    prefix: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: every directory is writable")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all"]
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(ro / "r.html")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=False,
    )
    assert (
        done.stdout.strip() == f"{ro / 'r.html'}: cannot create files in {ro} (permission denied)"
    )


def test_an_empty_path_is_refused() -> None:
    with pytest.raises(OutputError, match="empty"):
        Output("")
