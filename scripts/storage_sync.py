"""Copy the objects of the S3-compatible bucket (evidence, published PDFs, bulk job results)
to a directory, or a directory's files into the bucket: what scripts/backup.sh and
scripts/restore.sh do with the file storage when S3_BUCKET is set (as in docker-compose).

    python scripts/storage_sync.py download DIR   every object, DIR/<key>
    python scripts/storage_sync.py upload DIR     every file under DIR, as <relative path>

The bucket and its credentials come from the same variables as config/settings.py:
S3_BUCKET, S3_ENDPOINT_URL, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION. An upload goes into an
empty bucket only (a restore never mixes two instances' files); the bucket is created if
missing. Prints one line per run; exits 1 with a message on any error.
"""

from __future__ import annotations

import mimetypes
import os
import sys
from pathlib import Path, PurePosixPath


def _client():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_KEY") or None,
        region_name=os.environ.get("S3_REGION") or "us-east-1",
    )


def _keys(client, bucket: str):
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def _safe_target(root: Path, key: str) -> Path:
    """DIR/<key>, refusing keys that would leave DIR (absolute, '..')."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or ".." in parts:
        raise ValueError(f"对象名不安全，拒绝复制：{key!r}")
    return root.joinpath(*parts)


def download(bucket: str, directory: Path) -> int:
    client = _client()
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for key in _keys(client, bucket):
        if key.endswith("/"):
            continue
        target = _safe_target(directory, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, key, str(target))
        count += 1
    return count


def upload(bucket: str, directory: Path) -> int:
    from botocore.exceptions import ClientError

    client = _client()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)
    if next(iter(_keys(client, bucket)), None) is not None:
        raise ValueError(f"存储桶 {bucket} 不是空的：恢复只写入空的存储桶。")
    count = 0
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        key = path.relative_to(directory).as_posix()
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        client.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
        count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("download", "upload"):
        print("用法：storage_sync.py download|upload DIR", file=sys.stderr)
        return 2
    bucket = os.environ.get("S3_BUCKET", "")
    if not bucket:
        print("未设置 S3_BUCKET。", file=sys.stderr)
        return 2
    action, directory = argv[1], Path(argv[2])
    try:
        if action == "download":
            count = download(bucket, directory)
            print(f"已从存储桶 {bucket} 复制 {count} 个对象到 {directory}")
        else:
            count = upload(bucket, directory)
            print(f"已将 {count} 个文件写入存储桶 {bucket}")
    except Exception as exc:  # boto3/botocore errors, an unsafe key, a non-empty bucket
        print(f"存储复制失败：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
