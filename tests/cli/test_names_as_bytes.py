"""Names as bytes: run directories and event files whose names are not UTF-8.

They are read (``os.fsdecode``: surrogate escapes) and every command shows them with
``\\xNN`` escapes (:func:`tbreport.fmt.shown_name`): the real ``tbreport`` in a child
process whose stdout and stderr are strict UTF-8, as in a UTF-8 terminal, so a
surrogate that reached any output would be a ``UnicodeEncodeError`` (exit 1).
"""

from __future__ import annotations

import email
import json
import os
from pathlib import Path

import pytest

import tbreport
from tbreport import SummaryWriter
from tbreport.fmt import shown_name
from tests import bounded
from tests.logdirs._write import START
from tests.logdirs.bad_names import build_bad_names

STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
RUNS = {b"latin1_caf\xe9": "latin1_caf\\xe9", b"bytes_\xff\xfe_run": "bytes_\\xff\\xfe_run"}
DAMAGED = b"events.out.tfevents.1767225600.h\xf6st.4242.0"
SHOWN_DAMAGED = "events.out.tfevents.1767225600.h\\xf6st.4242.0"

pytestmark = pytest.mark.skipif(
    os.fsencode("\udce9") != b"\xe9", reason="needs a file system taking any bytes (POSIX)"
)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Two runs named with non-UTF-8 bytes, and one whose event file's name is not
    UTF-8 and whose tail is cut (so a warning names that file)."""
    root = os.fsencode(tmp_path_factory.mktemp("bytes")) + b"/logdir"
    for k, name in enumerate([*RUNS, b"damaged"]):
        with SummaryWriter(os.fsdecode(root + b"/" + name), flush_secs=3600) as w:
            for step in range(5):
                w.add_scalar("loss", 1.0 / (step + 1), step, walltime=START + k + step)
    run = root + b"/damaged"
    (written,) = os.listdir(run)
    with open(run + b"/" + written, "rb") as fh:
        data = fh.read()
    os.unlink(run + b"/" + written)
    with open(run + b"/" + DAMAGED, "wb") as fh:
        fh.write(data[:-7])  # the last record cut short
    return root


def _cli(*args: str | bytes) -> bounded.Outcome:
    result = bounded.run_cli(*args, env=STRICT_UTF8)  # type: ignore[arg-type]
    assert "Traceback" not in result.text and "UnicodeEncodeError" not in result.text
    return result


def _assert_shown(text: str, *, file_too: bool = True) -> None:
    assert "\udce9" not in text and "\\udc" not in text  # never a surrogate, nor its repr
    for shown in RUNS.values():
        assert shown in text, shown
    if file_too:
        assert SHOWN_DAMAGED in text


def test_shown_name() -> None:
    assert shown_name(os.fsdecode(b"caf\xe9/\xff\xfe")) == "caf\\xe9/\\xff\\xfe"
    assert shown_name(b"h\xf6st") == "h\\xf6st"
    assert shown_name(Path(os.fsdecode(b"a\x80"))) == "a\\x80"
    assert shown_name("\ud800 lone") == "\\ud800 lone"  # no byte behind it
    assert shown_name("café 训练 🔥") == "café 训练 🔥"  # valid names unchanged
    shown_name("ok").encode("utf-8")


def test_the_api_reads_them_under_their_shown_names(logdir: bytes) -> None:
    loaded = tbreport.load(os.fsdecode(logdir))
    assert sorted(loaded.runs) == sorted([*RUNS.values(), "damaged"])
    for raw, shown in RUNS.items():
        run = loaded.runs[shown]
        assert len(run.scalars["loss"].values) == 5
        assert os.fsencode(run.path).endswith(raw)  # the real path stays usable
    (warning,) = [w for w in loaded.warnings if w.damage]
    assert SHOWN_DAMAGED in str(warning)


def test_ls(logdir: bytes) -> None:
    result = _cli("ls", logdir)
    assert result.returncode == 0
    _assert_shown(result.stdout.decode("utf-8"), file_too=False)
    assert SHOWN_DAMAGED in result.text  # the damage line on stderr


def test_scalars_csv_and_json(logdir: bytes, tmp_path: Path) -> None:
    assert _cli("scalars", logdir, "--format", "csv", "-o", tmp_path / "s.csv").returncode == 0  # type: ignore[arg-type]
    csv = (tmp_path / "s.csv").read_text("utf-8")
    _assert_shown(csv, file_too=False)
    assert "latin1_caf\\xe9,loss,4," in csv
    assert _cli("scalars", logdir, "--format", "json", "-o", tmp_path / "s.json").returncode == 0  # type: ignore[arg-type]
    runs = json.loads((tmp_path / "s.json").read_text("utf-8"))["runs"]
    assert set(RUNS.values()) <= set(runs)
    # to standard output, too
    result = _cli("scalars", logdir, "--format", "csv")
    assert result.returncode == 0
    _assert_shown(result.stdout.decode("utf-8"), file_too=False)


def test_build_and_summary_md(logdir: bytes, tmp_path: Path) -> None:
    out = os.fsencode(tmp_path) + b"/r\xe9port.html"  # a non-UTF-8 output name, too
    result = _cli("build", logdir, "-o", out, "--summary-md", tmp_path / "s.md")  # type: ignore[arg-type]
    assert result.returncode == 0, result.text
    assert "r\\xe9port.html" in result.text  # "wrote ..." names it with the escape
    with open(out, encoding="utf-8") as fh:
        _assert_shown(fh.read())
    md = (tmp_path / "s.md").read_text("utf-8")
    for shown in RUNS.values():  # markdown-escaped: a backslash doubled
        assert shown.replace("_", "\\_").replace("\\x", "\\\\x") in md
    assert "\udce9" not in md


def test_build_svg_and_strict(logdir: bytes, tmp_path: Path) -> None:
    result = _cli("build", logdir, "-o", tmp_path / "r.html", "--format", "svg")  # type: ignore[arg-type]
    assert result.returncode == 0
    _assert_shown((tmp_path / "r.html").read_text("utf-8"))
    result = _cli("build", logdir, "-o", tmp_path / "s.html", "--strict")  # type: ignore[arg-type]
    assert result.returncode == 2  # the cut file is damage: the error line names it
    assert f"{SHOWN_DAMAGED}: record 5 (byte 218) is cut short" in result.text.splitlines()[-1]


def test_email(logdir: bytes, tmp_path: Path) -> None:
    result = _cli("email", logdir, "-o", tmp_path / "m.eml", "--attach-report")  # type: ignore[arg-type]
    assert result.returncode == 0, result.text
    message = email.message_from_bytes((tmp_path / "m.eml").read_bytes())
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in message.walk()}
    _assert_shown(parts["text/plain"].decode("utf-8"))
    _assert_shown(parts["text/html"].decode("utf-8"))
    # to standard output
    result = _cli("email", logdir, "-o", "-")
    assert result.returncode == 0
    assert b"latin1_caf" in result.stdout


def test_a_logdir_named_with_bytes(logdir: bytes, tmp_path: Path) -> None:
    """The logdir's own name (the title) and a missing one (the error line)."""
    named = os.fsencode(tmp_path) + b"/exp\xff"
    os.symlink(logdir, named)
    result = _cli("build", named, "-o", tmp_path / "r.html")  # type: ignore[arg-type]
    assert result.returncode == 0
    assert "TensorBoard report: exp\\xff" in (tmp_path / "r.html").read_text("utf-8")
    result = _cli("ls", named + b"_missing")
    assert result.returncode == 2 and "exp\\xff_missing: does not exist" in result.text


def test_the_bad_names_logdir(tmp_path: Path) -> None:
    """``tests.logdirs``' ``bad_names`` (every hostile name at once) through every command."""
    root = build_bad_names(tmp_path / "bad_names")
    expected = ["latin1_caf\\xe9", "bytes_\\xff\\xfe_run", "nonutf8_file"]
    for args, output in (
        (("build", root, "-o", tmp_path / "r.html", "--summary-md", tmp_path / "s.md"), "r.html"),
        (("email", root, "-o", tmp_path / "m.eml"), "m.eml"),
        (("scalars", root, "--format", "csv", "-o", tmp_path / "s.csv"), "s.csv"),
        (("scalars", root, "--format", "json", "-o", tmp_path / "s.json"), "s.json"),
        (("ls", root), ""),
    ):
        result = _cli(*args)  # type: ignore[arg-type]
        assert result.returncode == 0, (args[0], result.text[-2000:])
        text = (tmp_path / output).read_text("utf-8") if output else result.stdout.decode()
        assert all(
            name.replace("\\", "\\\\" if output == "s.json" else "\\") in text for name in expected
        )
    # nonutf8_file: its event file (named with \xf6) is read
    assert "nonutf8_file,loss,4," in (tmp_path / "s.csv").read_text("utf-8")
