"""Backup and restore as one consistent point (scripts/backup.sh and scripts/restore.sh call
`manage.py backup` and `manage.py restore`).

Backup: on PostgreSQL one REPEATABLE READ transaction exports its snapshot; pg_dump dumps
exactly that snapshot (--snapshot) and the list of stored files (every FileField of the
project's models, with the SHA-256 the database recorded) is read in the same transaction, so
the files copied are the ones that database state refers to, whatever is written meanwhile.
On SQLite the database is copied with SQLite's online backup and the list is read from the
copy. Each copied file is checked against its recorded SHA-256 as it is read.

The backup directory holds db.dump (PostgreSQL, custom format) or db.sqlite3, media.tar.gz
(the files under their storage names), manifest.json (every file: name, size, SHA-256, where
recorded) and MANIFEST.sha256 (sha256sum of the other three).

Restore (into an empty database and empty storage): checks MANIFEST.sha256, loads the database,
puts the files into the storage, then verifies every file the restored database refers to
against the SHA-256 the database recorded; any missing or different file fails loudly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction

DB_DUMP = "db.dump"
DB_SQLITE = "db.sqlite3"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"
SUMS = "MANIFEST.sha256"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that must not be trusted; the message says why."""


@dataclass(frozen=True)
class StoredFile:
    name: str
    model: str
    pk: int
    recorded_sha256: str  # "" where the model keeps no hash (e.g. a bulk job's result)


def sha256_of(stream) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_fields() -> list[tuple[type[models.Model], str, str | None]]:
    """(model, file field, sibling sha256 field or None) for every FileField of the project."""
    found = []
    for model in apps.get_app_config("evaluations").get_models():
        names = {f.name for f in model._meta.get_fields()}
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                found.append((model, field.name, "sha256" if "sha256" in names else None))
    return found


def stored_files(using: str = "default") -> Iterator[StoredFile]:
    """The files the database refers to, read on `using` (inside the caller's transaction)."""
    for model, field, hash_field in file_fields():
        columns = ["pk", field, *([hash_field] if hash_field else [])]
        rows = model._default_manager.using(using).exclude(**{field: ""}).values_list(*columns)
        for row in rows.order_by("pk"):
            yield StoredFile(
                name=row[1],
                model=model._meta.label,
                pk=row[0],
                recorded_sha256=(row[2] or "") if hash_field else "",
            )


# ---------------------------------------------------------------------------- the database


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    s = connection.settings_dict
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = [f"--dbname={s['NAME']}"]
    if s.get("HOST"):
        args.append(f"--host={s['HOST']}")
    if s.get("PORT"):
        args.append(f"--port={s['PORT']}")
    if s.get("USER"):
        args.append(f"--username={s['USER']}")
    return env, args


def _dump_postgresql(out: Path) -> list[StoredFile]:
    env, args = _pg_env_and_args()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        result = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={out / DB_DUMP}",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
        return list(stored_files())  # the same snapshot as the dump


def _dump_sqlite(out: Path) -> list[StoredFile]:
    target = out / DB_SQLITE
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)  # SQLite's online backup: one consistent copy
    alias = "backup_copy"
    from django.db import connections

    connections.settings[alias] = {**connection.settings_dict, "NAME": str(target)}
    try:
        return list(stored_files(using=alias))
    finally:
        connections[alias].close()
        del connections.settings[alias]


# ---------------------------------------------------------------------------- backup


def backup(out: Path) -> dict:
    """Write a backup into `out` (created; must be empty). Returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise BackupError(f"备份目录 {out} 不是空目录，请指定新的目录。")
    vendor = connection.vendor
    if vendor == "postgresql":
        files = _dump_postgresql(out)
    elif vendor == "sqlite":
        files = _dump_sqlite(out)
    else:
        raise BackupError(f"不支持的数据库：{vendor}")

    entries, problems = [], []
    archived: dict[str, tuple[str, int]] = {}
    with tarfile.open(out / MEDIA, "w:gz") as archive:
        for stored in files:
            if stored.name in archived:  # one file referred to twice (a publication's render)
                sha256, size = archived[stored.name]
                if stored.recorded_sha256 and sha256 != stored.recorded_sha256:
                    problems.append(f"{stored.name}：SHA-256 与数据库记录不符")
                entries.append({**asdict(stored), "sha256": sha256, "size": size})
                continue
            try:
                with default_storage.open(stored.name, "rb") as handle:
                    sha256, size = sha256_of(handle)
                    handle.seek(0)
                    info = tarfile.TarInfo(stored.name)
                    info.size = size
                    info.mtime = int(datetime.now(UTC).timestamp())
                    archive.addfile(info, handle)
            except (OSError, ValueError) as exc:
                problems.append(f"{stored.name}：无法读取（{exc}）")
                continue
            archived[stored.name] = (sha256, size)
            if stored.recorded_sha256 and sha256 != stored.recorded_sha256:
                problems.append(f"{stored.name}：SHA-256 与数据库记录不符")
            entries.append({**asdict(stored), "sha256": sha256, "size": size})
    if problems:
        raise BackupError("备份未完成，存储中的文件与数据库记录不一致：\n" + "\n".join(problems))

    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "files": entries,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    parts = [DB_DUMP if vendor == "postgresql" else DB_SQLITE, MEDIA, MANIFEST]
    lines = []
    for part in parts:
        with open(out / part, "rb") as handle:
            lines.append(f"{sha256_of(handle)[0]}  {part}\n")
    (out / SUMS).write_text("".join(lines))
    return manifest


# ---------------------------------------------------------------------------- restore


def _check_sums(source: Path) -> None:
    sums = source / SUMS
    if not sums.exists():
        raise BackupError(f"{sums} 不存在：不是完整的备份。")
    for line in sums.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        path = source / name.strip()
        if not path.exists():
            raise BackupError(f"备份缺少 {name}。")
        with open(path, "rb") as handle:
            if sha256_of(handle)[0] != expected:
                raise BackupError(f"备份文件 {name} 已损坏（SHA-256 不符）。")


def _restore_database(source: Path, vendor: str) -> None:
    if vendor != connection.vendor:
        raise BackupError(f"备份来自 {vendor}，目标数据库是 {connection.vendor}。")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        if tables:
            raise BackupError("目标数据库不是空的，请恢复到新建的空数据库。")
        connection.close()
        env, args = _pg_env_and_args()
        result = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *args,
                str(source / DB_DUMP),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore 失败：{result.stderr.strip()}")
    else:
        target = Path(connection.settings_dict["NAME"])
        connection.close()
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(f"目标数据库文件 {target} 已存在，请恢复到新的位置。")
        shutil.copyfile(source / DB_SQLITE, target)


def _restore_files(source: Path) -> None:
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            name = member.name
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupError(f"备份中的文件名不安全：{name}")
            if default_storage.exists(name):
                raise BackupError(f"目标存储已有文件 {name}，请恢复到空的存储。")
            with archive.extractfile(member) as handle, tempfile.SpooledTemporaryFile() as tmp:
                shutil.copyfileobj(handle, tmp)
                tmp.seek(0)
                saved = default_storage.save(name, File(tmp))
            if saved != name:
                raise BackupError(f"文件 {name} 被存为 {saved}，恢复中止。")


def verify(manifest: dict | None = None) -> list[str]:
    """Every file the database refers to, checked against the database's recorded SHA-256
    (or, where the model records none, the manifest's). The problems found."""
    from_manifest = {f["name"]: f["sha256"] for f in (manifest or {}).get("files", [])}
    problems = []
    for stored in stored_files():
        expected = stored.recorded_sha256 or from_manifest.get(stored.name, "")
        try:
            with default_storage.open(stored.name, "rb") as handle:
                actual, _ = sha256_of(handle)
        except (OSError, ValueError):
            problems.append(f"缺少文件：{stored.name}（{stored.model} #{stored.pk}）")
            continue
        if not expected:
            problems.append(f"无从核对：{stored.name}（数据库与清单均无 SHA-256）")
        elif actual != expected:
            problems.append(
                f"SHA-256 不符：{stored.name}（{stored.model} #{stored.pk}），"
                f"记录 {expected}，实际 {actual}"
            )
    return problems


def restore(source: Path) -> int:
    """Restore the backup in `source`; returns the number of files verified."""
    _check_sums(source)
    manifest = json.loads((source / MANIFEST).read_text())
    _restore_database(source, manifest["database"])
    _restore_files(source)
    problems = verify(manifest)
    if problems:
        raise BackupError("恢复后核对失败：\n" + "\n".join(problems))
    return len(manifest["files"])
