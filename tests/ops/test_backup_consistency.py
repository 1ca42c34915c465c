"""Backup and restore (scripts/backup.sh, scripts/restore.sh) as one consistent point, with every
file verified against the SHA-256 the database recorded (issue 15 item 8). On SQLite here, in
a separate database file driven by the scripts; tests/ops/test_backup.py does PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MAKE_EVIDENCE = """
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from evaluations import services
from evaluations.models import Evaluation
filer = get_user_model().objects.get(username="filer")
e = Evaluation.objects.get(department__code="nansha-cppcc-office")
for label in ("one", "two"):
    body = b"%PDF-1.4\\n%" + label.encode() + b"\\n1 0 obj<<>>endobj\\ntrailer<<>>\\n%%EOF\\n"
    services.evidence_upload(e.pk, filer, indicator_code="1.1.2",
        upload=SimpleUploadedFile(label + ".pdf", body, "application/pdf"))
"""


def _env(db: Path, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        MEDIA_ROOT=str(media),
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        LOG_LEVEL="WARNING",
    )
    return env


def _run(env, *command, check=True):
    result = subprocess.run(
        list(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A SQLite instance with the demo data and two evidence files."""
    base = tmp_path_factory.mktemp("source")
    env = _env(base / "db.sqlite3", base / "media")
    python = str(ROOT / ".venv" / "bin" / "python")
    _run(env, python, "manage.py", "migrate", "--noinput")
    _run(env, python, "manage.py", "seed_demo")
    _run(env, python, "manage.py", "shell", "-c", MAKE_EVIDENCE)
    return env


def _files(media: Path) -> dict[str, str]:
    return {
        str(p.relative_to(media)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in media.rglob("*")
        if p.is_file()
    }


def test_round_trip_verifies_every_file(source, tmp_path):
    backup = tmp_path / "backup"
    out = _run(source, "bash", "scripts/backup.sh", str(backup)).stdout
    assert "2 个文件" in out
    assert {p.name for p in backup.iterdir()} == {
        "db.sqlite3",
        "media.tar.gz",
        "manifest.json",
        "MANIFEST.sha256",
    }
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == "sqlite"
    assert len(manifest["files"]) == 2
    assert all(f["sha256"] == f["recorded_sha256"] for f in manifest["files"])

    target = _env(tmp_path / "restored.sqlite3", tmp_path / "restored-media")
    out = _run(target, "bash", "scripts/restore.sh", str(backup)).stdout
    assert "2 个文件均已按 SHA-256 核对无误" in out
    assert _files(tmp_path / "restored-media") == _files(Path(source["MEDIA_ROOT"]))


def test_backup_refuses_a_file_that_differs_from_the_database(source, tmp_path):
    """A stored file changed behind the database's back: no backup pretends to be good."""
    media = Path(source["MEDIA_ROOT"])
    victim = sorted(p for p in media.rglob("*") if p.is_file())[0]
    original = victim.read_bytes()
    victim.write_bytes(original + b"tampered")
    try:
        result = _run(source, "bash", "scripts/backup.sh", str(tmp_path / "b"), check=False)
    finally:
        victim.write_bytes(original)
    assert result.returncode != 0
    assert "SHA-256 与数据库记录不符" in result.stderr
    assert str(victim.relative_to(media)) in result.stderr


def _rewrite_backup(backup: Path, change) -> None:
    """Rebuild media.tar.gz with `change(name, data)` applied and refresh the checksums, as a
    backup whose files (not its archive) are wrong would look."""
    members = []
    with tarfile.open(backup / "media.tar.gz", "r:gz") as archive:
        for member in archive:
            members.append((member.name, archive.extractfile(member).read()))
    with tarfile.open(backup / "media.tar.gz", "w:gz") as archive:
        for name, data in members:
            data = change(name, data)
            if data is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    lines = []
    for line in (backup / "MANIFEST.sha256").read_text().splitlines():
        name = line.split(maxsplit=1)[1].strip()
        digest = hashlib.sha256((backup / name).read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}\n")
    (backup / "MANIFEST.sha256").write_text("".join(lines))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda name, data: data + b"x", "SHA-256 不符"),
        (lambda name, data: None, "缺少文件"),
    ],
    ids=["changed", "missing"],
)
def test_restore_fails_loudly_on_a_file_that_does_not_match(source, tmp_path, change, message):
    backup = tmp_path / "backup"
    _run(source, "bash", "scripts/backup.sh", str(backup))
    _rewrite_backup(backup, change)
    target = _env(tmp_path / "restored.sqlite3", tmp_path / "restored-media")
    result = _run(target, "bash", "scripts/restore.sh", str(backup), check=False)
    assert result.returncode != 0
    assert "恢复后核对失败" in result.stderr and message in result.stderr


def test_restore_refuses_a_damaged_archive(source, tmp_path):
    backup = tmp_path / "backup"
    _run(source, "bash", "scripts/backup.sh", str(backup))
    with open(backup / "media.tar.gz", "ab") as handle:
        handle.write(b"junk")
    target = _env(tmp_path / "restored.sqlite3", tmp_path / "restored-media")
    result = _run(target, "bash", "scripts/restore.sh", str(backup), check=False)
    assert result.returncode != 0
    assert "media.tar.gz 已损坏" in result.stderr
    restored = tmp_path / "restored.sqlite3"
    assert not restored.exists() or restored.stat().st_size == 0  # nothing was loaded


def test_backup_needs_an_empty_directory(source, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old").write_text("x")
    result = _run(source, "bash", "scripts/backup.sh", str(tmp_path / "used"), check=False)
    assert result.returncode != 0 and "不是空目录" in result.stderr


SHARE_A_FILE = """
from evaluations.models import Evaluation, Evidence, PdfRender
e = Evaluation.objects.get(department__code="nansha-cppcc-office")
ev = Evidence.objects.filter(evaluation=e).order_by("pk").first()
PdfRender.objects.create(evaluation=e, kind="final", revision=999, version=e.version,
    rubric=e.rubric, template_version="t", state="ready", file=ev.file.name, sha256=ev.sha256,
    size=ev.file.size)
"""


def test_a_file_two_rows_refer_to_is_archived_once_and_restored(tmp_path):
    """A publication's render and its PublishedReport name the same stored file: the backup
    holds it once and the restore does not refuse its own second copy as 'storage not empty'."""
    base = tmp_path / "source"
    base.mkdir()
    env = _env(base / "db.sqlite3", base / "media")
    python = str(ROOT / ".venv" / "bin" / "python")
    _run(env, python, "manage.py", "migrate", "--noinput")
    _run(env, python, "manage.py", "seed_demo")
    _run(env, python, "manage.py", "shell", "-c", MAKE_EVIDENCE)
    _run(env, python, "manage.py", "shell", "-c", SHARE_A_FILE)

    backup = tmp_path / "backup"
    _run(env, "bash", "scripts/backup.sh", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    names = [f["name"] for f in manifest["files"]]
    assert len(names) == 3 and len(set(names)) == 2
    with tarfile.open(backup / "media.tar.gz") as archive:
        assert sorted(m.name for m in archive if m.isfile()) == sorted(set(names))

    target = _env(tmp_path / "restored.sqlite3", tmp_path / "restored-media")
    _run(target, "bash", "scripts/restore.sh", str(backup))
    assert _files(tmp_path / "restored-media") == _files(base / "media")
