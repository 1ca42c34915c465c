"""scripts/storage_sync.py, the bucket half of backup.sh/restore.sh, against moto's in-process
S3: a bucket copied to a directory and into a new bucket is the same; a restore refuses a
bucket that already holds files and an object name that would leave the directory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("storage_sync", ROOT / "scripts" / "storage_sync.py")
storage_sync = importlib.util.module_from_spec(spec)
spec.loader.exec_module(storage_sync)


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "S3_ACCESS_KEY": "test",
        "S3_SECRET_KEY": "test-secret",
        "S3_REGION": "us-east-1",
        "S3_ENDPOINT_URL": "",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="source")
        yield client


def _objects(client, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_round_trip_through_a_directory(s3, tmp_path, monkeypatch, capsys):
    files = {
        "evidence/1/0a1b": b"%PDF-1.4 evidence",
        "published/2022/ab12.pdf": b"%PDF-1.7 report",
        "stamps/totals.sha256": b"digest",
    }
    for key, body in files.items():
        s3.put_object(Bucket="source", Key=key, Body=body)

    monkeypatch.setenv("S3_BUCKET", "source")
    assert storage_sync.main(["storage_sync.py", "download", str(tmp_path / "copy")]) == 0
    assert (
        tmp_path / "copy" / "published" / "2022" / "ab12.pdf"
    ).read_bytes() == b"%PDF-1.7 report"

    monkeypatch.setenv("S3_BUCKET", "restored")  # missing: created
    assert storage_sync.main(["storage_sync.py", "upload", str(tmp_path / "copy")]) == 0
    assert _objects(s3, "restored") == files
    head = s3.head_object(Bucket="restored", Key="published/2022/ab12.pdf")
    assert head["ContentType"] == "application/pdf"
    assert "已将 3 个文件写入存储桶 restored" in capsys.readouterr().out


def test_restore_refuses_a_bucket_that_holds_files(s3, tmp_path, monkeypatch, capsys):
    s3.put_object(Bucket="source", Key="evidence/9/old", Body=b"kept")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "new").write_bytes(b"new")
    monkeypatch.setenv("S3_BUCKET", "source")
    assert storage_sync.main(["storage_sync.py", "upload", str(tmp_path / "copy")]) == 1
    assert "不是空的" in capsys.readouterr().err
    assert _objects(s3, "source") == {"evidence/9/old": b"kept"}


def test_backup_refuses_an_object_name_that_leaves_the_directory(s3, tmp_path, monkeypatch, capsys):
    s3.put_object(Bucket="source", Key="evidence/../../escape", Body=b"x")
    monkeypatch.setenv("S3_BUCKET", "source")
    assert storage_sync.main(["storage_sync.py", "download", str(tmp_path / "copy")]) == 1
    assert "对象名不安全" in capsys.readouterr().err
    assert not (tmp_path / "escape").exists()


def test_without_a_bucket_it_says_so(monkeypatch, capsys):
    monkeypatch.delenv("S3_BUCKET", raising=False)
    assert storage_sync.main(["storage_sync.py", "download", "x"]) == 2
    assert "未设置 S3_BUCKET" in capsys.readouterr().err
