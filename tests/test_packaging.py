"""The sdist and the wheel, built offline with hatchling and looked into.

The sdist is built from the tree, the wheel from the unpacked sdist (as pip builds
it from PyPI), so a file the sdist forgets fails here too.
"""

from __future__ import annotations

import email
import email.message
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("hatchling")  # the dev extra has it: the build needs no network

ROOT = Path(__file__).parents[1]
LICENSE = (ROOT / "LICENSE").read_bytes()


def _build(source: Path, target: str, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.tar.gz" if target == "sdist" else "*.whl")
    return built


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("dist")
    sdist = _build(ROOT, "sdist", tmp / "sdist")
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.12, and backported to 3.9.17+
            tar.extractall(tmp / "unpacked", filter="data")
        else:
            tar.extractall(tmp / "unpacked")
    (top,) = (tmp / "unpacked").iterdir()
    return sdist, _build(top, "wheel", tmp / "wheel")


def _metadata(text: str) -> email.message.Message:
    return email.message_from_string(text)


def test_the_license_file_is_apache_2() -> None:
    text = LICENSE.decode("utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_the_sdist_has_the_license_and_what_builds_the_wheel(dists: tuple[Path, Path]) -> None:
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
        license_member = tar.extractfile(f"{sdist.name[: -len('.tar.gz')]}/LICENSE")
        assert license_member is not None and license_member.read() == LICENSE
        pkg_info = tar.extractfile(f"{sdist.name[: -len('.tar.gz')]}/PKG-INFO")
        assert pkg_info is not None
        meta = _metadata(pkg_info.read().decode("utf-8"))
    assert {"LICENSE", "README.md", "pyproject.toml", "templates/report.html.j2"} <= names
    assert meta["License-Expression"] == "Apache-2.0" and meta["License-File"] == "LICENSE"
    junk = [n for n in names if n.startswith((".venv", "build/", "dist/")) or "__pycache__" in n]
    assert junk == []


def test_the_wheel_has_the_license_metadata_and_templates(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        assert zf.read(f"{info}/licenses/LICENSE") == LICENSE
        meta = _metadata(zf.read(f"{info}/METADATA").decode("utf-8"))
    assert {n.split("/")[0] for n in names} == {"tbreport", info}
    assert {"tbreport/py.typed", "tbreport/templates/report.html.j2"} <= names
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    # the Python versions named are the ones from the declared floor up, without gaps
    versions = sorted(
        int(c.rsplit(".", 1)[1])
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    )
    assert meta["Requires-Python"] == f">=3.{versions[0]}"
    assert versions == list(range(versions[0], versions[-1] + 1))
    assert meta["Summary"] and meta["Keywords"]
