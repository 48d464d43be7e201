"""SummaryWriter("s3://bucket/run") against a real S3 API server on 127.0.0.1 (moto).

Object stores cannot append: each flush PUTs the whole event file again (a PUT
replaces an object whole), and a file past ``SEGMENT_BYTES`` is sealed and the next
records go to a new one. What ``flush()`` returned for is on the store; a failed
upload raises and keeps the records for the next try.
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tbreport import MissingDependencyError, StorageError, SummaryWriter
from tbreport.proto import event_pb2
from tbreport.record import iter_records
from tbreport.writer import event_file
from tests.s3_server import Proxy, boto_client, clear_fs_cache, moto_server, s3_env


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    s3_env(monkeypatch, server)
    name = f"b-{uuid.uuid4().hex[:12]}"
    boto_client(server).create_bucket(Bucket=name)
    return name


def objects(server: str, bucket: str, prefix: str = "") -> dict[str, bytes]:
    client = boto_client(server)
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def steps(data: bytes) -> list[int]:
    events = [event_pb2.Event.FromString(r) for r in iter_records(data)]
    return [e.step for e in events if e.summary.value]


def test_writes_to_the_bucket_and_flush_makes_it_visible(server: str, bucket: str) -> None:
    w = SummaryWriter(f"s3://{bucket}/exp/run", max_queue=5, flush_secs=3600)
    (key,) = objects(server, bucket)  # the header is PUT at once: bad buckets fail here
    assert key.startswith("exp/run/events.out.tfevents.")
    for i in range(12):
        w.add_scalar("loss", 1.0 / (i + 1), i)
    assert steps(objects(server, bucket)[key]) == []  # max_queue moves records to memory only
    w.flush()
    assert steps(objects(server, bucket)[key]) == list(range(12))
    w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 12)
    w.add_embedding(np.eye(3), metadata=["x", "y", "z"], global_step=1)
    w.close()
    keys = sorted(objects(server, bucket))
    assert [k.rsplit("/", 1)[0] for k in keys if "tfevents" in k] == [
        "exp/run",
        "exp/run/pair_a",
        "exp/run/pair_b",
    ]
    assert {"exp/run/projector_config.pbtxt", "exp/run/00001/default/tensors.tsv"} <= set(keys)
    assert not any(Path(".").glob("s3:*"))  # never a local ./s3:/... directory


def test_big_runs_roll_over_to_new_objects_that_sort_in_order(
    server: str, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_file, "SEGMENT_BYTES", 2000)
    with SummaryWriter(f"s3://{bucket}/r", max_queue=10, flush_secs=3600) as w:
        for i in range(200):
            w.add_scalar("x", float(i), i)
            if i % 20 == 19:
                w.flush()
    files = objects(server, bucket)
    assert len(files) > 3
    assert all(len(data) < 2000 + 500 for data in files.values())
    assert [s for key in sorted(files) for s in steps(files[key])] == list(range(200))


def test_a_failed_upload_raises_and_loses_nothing(
    server: str, bucket: str, monkeypatch: Any
) -> None:
    port = int(server.rsplit(":", 1)[1])
    with Proxy(port) as proxy:
        s3_env(monkeypatch, proxy.url)
        w = SummaryWriter(f"s3://{bucket}/r", max_queue=1000, flush_secs=3600)
        w.add_scalar("x", 0.0, 0)
        w.flush()
        for i in range(1, 10):
            w.add_scalar("x", float(i), i)
    with pytest.raises(
        StorageError, match=rf"s3://{bucket}/r/events\.out\.tfevents\..*could not be reached"
    ):
        w.flush()
    with pytest.raises(StorageError, match="call close\\(\\) again to retry"):
        w.close()
    w.add_scalar("x", 10.0, 10)  # the writer is still open, with everything
    s3_env(monkeypatch, server)  # the server is back
    w.close()
    (data,) = objects(server, bucket).values()
    assert steps(data) == list(range(11))


def test_missing_bucket_is_one_line(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s3_env(monkeypatch, server)
    with pytest.raises(StorageError) as excinfo:
        SummaryWriter("s3://no-such-bucket-here/run")
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith("s3://no-such-bucket-here/run/events.out.tfevents.")
    assert "the bucket 'no-such-bucket-here' does not exist" in message


def test_missing_credentials_are_one_line(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s3_env(monkeypatch, server, credentials=False)
    with pytest.raises(StorageError) as excinfo:
        SummaryWriter("s3://any-bucket/run")
    message = str(excinfo.value)
    assert "\n" not in message
    assert "no credentials for s3://" in message and "AWS_ACCESS_KEY_ID" in message


def test_without_s3fs_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = pytest.importorskip("fsspec.registry")
    clear_fs_cache()
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if not installed
    monkeypatch.delitem(registry._registry, "s3", raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'tbreport\[s3\]'") as excinfo:
        SummaryWriter("s3://bucket/run")
    assert isinstance(excinfo.value, ImportError)


def test_a_remote_url_imports_fsspec_and_a_local_path_does_not(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys, tbreport; w = tbreport.SummaryWriter(sys.argv[1]); w.add_scalar('x', 1.0); "
        "w.close(); print(sorted(m for m in ('fsspec', 's3fs', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_names_of_new_objects_never_sort_before_older_ones() -> None:
    from tbreport.writer.env import override

    with override(clock=lambda: 1_700_000_000.0, counter=itertools.count(9)):
        names = [event_file.event_file_name(now=1_700_000_000 + i) for i in range(3)]
    assert names == sorted(names)
