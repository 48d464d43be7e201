"""tbreport.load("s3://bucket/exp") and build_report from it, against a real S3 API
server on 127.0.0.1 (moto's server mode): runs are found by one listing, files are
fetched in parallel, and every failure of the store is one line naming the object."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tbreport import NoRunsFoundError, StorageError, SummaryWriter, _fs, build_report, load
from tbreport.reader.discover import find_runs
from tests.s3_server import Proxy, boto_client, clear_fs_cache, moto_server, s3_env


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _write_runs(root: str) -> None:
    rng = np.random.default_rng(0)
    for name in ("a", "b/deep", "c"):
        with SummaryWriter(f"{root}/{name}", max_queue=50) as w:
            for i in range(300):
                w.add_scalar("loss", 1.0 / (i + 1), i, walltime=1000.0 + i)
            w.add_histogram("w", rng.normal(size=100), 1, walltime=1.0)
            w.add_image("img", rng.random((3, 8, 8)), 1, walltime=1.0)
            w.add_text("note", f"run {name}", 1, walltime=1.0)


@pytest.fixture
def logdirs(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """The same three runs written to a bucket and to a local directory."""
    s3_env(monkeypatch, server)
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    boto_client(server).create_bucket(Bucket=bucket)
    _write_runs(f"s3://{bucket}/exp")
    _write_runs(str(tmp_path / "exp"))
    return f"s3://{bucket}/exp", tmp_path / "exp"


def test_load_reads_a_bucket_as_it_reads_a_directory(logdirs: tuple[str, Path]) -> None:
    remote, local = logdirs
    got, want = load(remote), load(local)
    assert list(got.runs) == list(want.runs) == ["a", "b/deep", "c"]
    assert got.warnings == want.warnings == []
    for name in want.runs:
        g, w = got.runs[name], want.runs[name]
        assert g.path == f"{remote}/{name}"
        assert np.array_equal(g.scalars["loss"].values, w.scalars["loss"].values)
        assert np.array_equal(g.scalars["loss"].steps, w.scalars["loss"].steps)
        assert [p.text for p in g.texts["note/text_summary"]] == [f"run {name}"]
        assert g.point_count() == w.point_count()


def test_a_single_remote_event_file_is_a_run(logdirs: tuple[str, Path], server: str) -> None:
    remote, _ = logdirs
    bucket = remote.split("/")[2]
    key = next(
        o["Key"]
        for o in boto_client(server).list_objects_v2(Bucket=bucket)["Contents"]
        if o["Key"].startswith("exp/a/events")
    )
    logdir = load(f"s3://{bucket}/{key}")
    assert list(logdir.runs) == ["."]
    assert len(logdir.runs["."].scalars["loss"].values) == 300


def test_files_are_fetched_in_parallel(
    logdirs: tuple[str, Path], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote, _ = logdirs
    with Proxy(int(server.rsplit(":", 1)[1])) as proxy:
        s3_env(monkeypatch, proxy.url)
        assert len(load(remote).runs) == 3
        assert proxy.max_active >= 2
    clear_fs_cache()  # its pooled connections pointed at the proxy


def test_build_report_from_a_bucket(logdirs: tuple[str, Path], tmp_path: Path) -> None:
    remote, _ = logdirs
    out = build_report(remote, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    assert "b/deep" in html and "loss" in html


def test_missing_prefix_bucket_and_credentials_are_one_line(
    logdirs: tuple[str, Path], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote, _ = logdirs
    with pytest.raises(NoRunsFoundError, match=r"/nothing-here: does not exist"):
        load(remote + "/nothing-here")
    with pytest.raises(StorageError) as excinfo:
        load("s3://no-such-bucket-anywhere/exp")
    assert str(excinfo.value) == (
        "s3://no-such-bucket-anywhere/exp: the bucket 'no-such-bucket-anywhere' does not exist; "
        "create it or check the name"
    )
    s3_env(monkeypatch, server, credentials=False)
    with pytest.raises(StorageError, match=r"^s3://.*/exp: no credentials for s3://") as excinfo:
        load(remote)
    assert "\n" not in str(excinfo.value)


def test_server_going_away_mid_read_names_the_object_and_writes_nothing(
    logdirs: tuple[str, Path], server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote, _ = logdirs
    # enough bytes for the listing and part of the first files, then the server is gone
    out = tmp_path / "never.html"
    with Proxy(int(server.rsplit(":", 1)[1]), limit=6000) as proxy:
        s3_env(monkeypatch, proxy.url)
        with pytest.raises(StorageError) as excinfo:
            build_report(remote, out)
    clear_fs_cache()
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(f"{remote}/") and "events.out.tfevents." in message
    assert "while reading" in message
    assert not out.exists() and not list(tmp_path.glob("*.html*"))


def test_the_command_line_reads_a_bucket(logdirs: tuple[str, Path]) -> None:
    import os
    import subprocess
    import sys

    remote, _ = logdirs
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}

    def tbreport(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tbreport", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    listed = tbreport("ls", remote)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == ["a", "b/deep", "c"]
    missing = tbreport("ls", "s3://no-such-bucket-anywhere/exp")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "tbreport: error: s3://no-such-bucket-anywhere/exp: the bucket "
        "'no-such-bucket-anywhere' does not exist; create it or check the name"
    ]


def _bucket(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    s3_env(monkeypatch, server)
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    boto_client(server).create_bucket(Bucket=bucket)
    return bucket


def _write_embeddings(root: str) -> None:
    rng = np.random.default_rng(0)
    with SummaryWriter(root) as w:
        w.add_scalar("loss", 1.0, 0, walltime=1.0)
        w.add_embedding(rng.normal(size=(6, 4)), metadata=list("abcdef"), global_step=0)
        w.add_embedding(rng.normal(size=(3, 2)), tag="small", global_step=1)


def test_projector_data_on_a_bucket_is_read(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = _bucket(server, monkeypatch)
    remote = f"s3://{bucket}/emb"
    _write_embeddings(f"{remote}/run")
    _write_embeddings(str(tmp_path / "run"))
    got, want = load(remote).runs["run"].projector, load(tmp_path).runs["run"].projector
    assert got is not None and want is not None
    assert got.path == f"{remote}/run/projector_config.pbtxt"
    assert [e.tensor_name for e in got.embeddings] == ["default:00000", "small:00001"]
    for g, w in zip(got.embeddings, want.embeddings):
        assert (g.tensor_shape, g.sprite_single_image_dim) == (
            w.tensor_shape,
            w.sprite_single_image_dim,
        )
        assert (
            g.tensor_path
            == f"{remote}/run/" + Path(w.tensor_path).relative_to(tmp_path / "run").as_posix()
        )
        assert _fs.read_bytes(g.tensor_path) == Path(w.tensor_path).read_bytes()
    assert got.embeddings[0].metadata_path == f"{remote}/run/00000/default/metadata.tsv"
    html = build_report(remote, tmp_path / "r.html", progress=False).read_text("utf-8")
    assert "00000/default/metadata.tsv" in html and "default:00000" in html


def test_a_damaged_remote_projector_config_is_a_warning(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = _bucket(server, monkeypatch)
    remote = f"s3://{bucket}/emb"
    _write_embeddings(f"{remote}/run")
    _fs.write_bytes(f"{remote}/run/projector_config.pbtxt", b"embeddings { nonsense")
    loaded = load(remote)
    assert loaded.runs["run"].projector is None
    assert len(loaded.warnings) == 1, [(w.path, w.message) for w in loaded.warnings]
    (warning,) = loaded.warnings
    assert warning.path == f"{remote}/run/projector_config.pbtxt"
    assert warning.message.startswith("projector config skipped: does not parse")


def test_finding_runs_starts_no_download(logdirs: tuple[str, Path], server: str) -> None:
    remote, _ = logdirs
    bucket = remote.split("/")[2]
    listed = {
        f"s3://{bucket}/{o['Key']}": o["Size"]
        for o in boto_client(server).list_objects_v2(Bucket=bucket)["Contents"]
    }
    runs = find_runs(remote, [])
    assert _fs._prefetcher is None
    for rd in runs:
        assert rd.sizes == [listed[f] for f in rd.event_files]


def test_two_remote_roots_are_fetched_ahead_together(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event file of both roots is downloaded once, by the parallel fetcher
    (the reader never waits on a request of its own)."""
    bucket = _bucket(server, monkeypatch)
    roots = [f"s3://{bucket}/one", f"s3://{bucket}/two"]
    for root in roots:
        _write_runs(root)
    fetches: list[tuple[str, str]] = []
    fetch = _fs._fetch

    def recording(path: str) -> bytes:
        fetches.append((path, threading.current_thread().name))
        return fetch(path)

    monkeypatch.setattr(_fs, "_fetch", recording)
    loaded = load(roots)
    assert list(loaded.runs) == [f"{r}/{n}" for r in ("one", "two") for n in ("a", "b/deep", "c")]
    events = [(p, t) for p, t in fetches if "tfevents" in p]
    paths = [p for p, _ in events]
    assert len(paths) == 6 and len(set(paths)) == 6
    assert all(t.startswith("tbreport-fetch") for _, t in events), events
    assert _fs._prefetcher is None


def test_a_stopped_load_cancels_the_downloads_still_queued(
    logdirs: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    remote, _ = logdirs
    from tbreport.reader import load as load_module

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(load_module, "build_run", boom)
    with pytest.raises(KeyboardInterrupt):
        load(remote)
    assert _fs._prefetcher is None
