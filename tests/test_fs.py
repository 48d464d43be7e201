"""The filesystem layer: path helpers, whole-file writes, error translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tbreport import MissingDependencyError, StorageError, _fs


@pytest.mark.parametrize(
    ("path", "proto"),
    [
        ("s3://b/k", "s3"),
        ("gs://b/k", "gs"),
        ("hf://datasets/x", "hf"),
        ("file:///tmp/x", ""),
        ("/tmp/x", ""),
        ("C:\\runs\\x", ""),
        ("runs/s3:/x", ""),
    ],
)
def test_protocol(path: str, proto: str) -> None:
    assert _fs.protocol(path) == proto
    assert _fs.is_remote(path) == bool(proto)


def test_join_basename_dirname() -> None:
    assert _fs.join("s3://b/exp/", "run", "/f") == "s3://b/exp/run/f"
    assert _fs.basename("s3://b/exp/run/") == "run"
    assert _fs.dirname("s3://b/exp/run") == "s3://b/exp"
    assert _fs.join("runs", "a") == str(Path("runs") / "a")
    assert _fs.local_path("file:///tmp/x") == "/tmp/x"


def test_write_bytes_replaces_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    _fs.write_bytes(str(target), b"one")
    _fs.write_bytes(str(target), b"two")
    assert _fs.read_bytes(str(target)) == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with pytest.raises(FileNotFoundError):
        _fs.read_bytes(str(tmp_path / "missing"))


class NoCredentialsError(Exception):
    pass


class EndpointConnectionError(Exception):
    pass


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (
            NoCredentialsError("Unable to locate credentials"),
            StorageError,
            "no credentials for s3://",
        ),
        (FileNotFoundError("The specified bucket does not exist"), StorageError, "the bucket 'b'"),
        (FileNotFoundError("no such key"), FileNotFoundError, "no such key"),
        (PermissionError("Access Denied"), StorageError, "access denied while reading"),
        (EndpointConnectionError("Could not connect"), StorageError, "could not be reached"),
        (ValueError("a bug"), ValueError, "a bug"),
    ],
)
def test_storage_errors_become_one_line(exc: Exception, kind: type, text: str) -> None:
    got = _fs.storage_error(exc, "s3://b/exp/events.out.tfevents.1", "reading")
    assert isinstance(got, kind) and text in str(got) and "\n" not in str(got)


def test_an_unknown_protocol_is_one_line() -> None:
    pytest.importorskip("fsspec")
    with pytest.raises((StorageError, MissingDependencyError), match=r"^nosuchproto://x: "):
        _fs.get_fs("nosuchproto://x")


def test_prefetch_keeps_sizes_paired_when_local_paths_are_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched: list[str] = []
    monkeypatch.setattr(_fs, "_fetch", lambda path: fetched.append(path) or path.encode())
    _fs.prefetch(["local/a", "s3://b/x", "local/c", "s3://b/y"], [5, 7, 9, 11], max_bytes=100)
    try:
        assert _fs.read_bytes("s3://b/x") == b"s3://b/x"
        assert _fs.read_bytes("s3://b/y") == b"s3://b/y"
        assert sorted(fetched) == ["s3://b/x", "s3://b/y"]
    finally:
        _fs.prefetch(())


def test_prefetch_holds_at_most_its_byte_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fs, "_fetch", lambda path: path.encode())
    _fs.prefetch(["local/a", "s3://b/x", "s3://b/y", "s3://b/z"], [50, 60, 60, 60], max_bytes=100)
    try:
        current = _fs._prefetcher
        assert current is not None
        # the first two (120 bytes) are under way; z waits for x to be taken
        assert list(current._pending) == ["s3://b/x", "s3://b/y"] and current._held == 120
    finally:
        _fs.prefetch(())
