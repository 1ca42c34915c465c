"""Backup and restore (scripts/backup.sh, scripts/restore.sh), on PostgreSQL: a restored
instance serves the same published PDF (same SHA-256) and the same score table."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_dump/pg_restore need PostgreSQL; set DATABASE_URL=postgres://… (CI does)",
)


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_restore_serves_the_same_pdf_and_score_table(tmp_path, settings_media):
    from django.contrib.auth import get_user_model

    from evaluations import services
    from evaluations.demo import seed_demo
    from evaluations.models import Evaluation

    seed_demo()
    evaluation = Evaluation.objects.get(department__code="nansha-cppcc-office")
    Evaluation.objects.filter(pk=evaluation.pk).update(status="approved")
    report = services.evaluation_publish(
        evaluation.pk, get_user_model().objects.get(username="reviewer")
    )

    source = {
        **os.environ,
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings_media),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    backup = tmp_path / "backup"
    subprocess.run(
        ["bash", "scripts/backup.sh", str(backup)],
        cwd=ROOT,
        env=source,
        check=True,
        capture_output=True,
    )
    assert (backup / "db.dump").stat().st_size > 0
    assert (backup / "media.tar.gz").exists()
    manifest = json.loads((backup / "manifest.json").read_text())
    [published] = [f for f in manifest["files"] if f["model"] == "evaluations.PublishedReport"]
    assert published["sha256"] == published["recorded_sha256"] == report.sha256
    before = json.loads(_manage(source, "score", "nansha-cppcc-office", "2022", "--json"))

    name = f"restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        target = {**source, "DATABASE_URL": _url(name), "MEDIA_ROOT": str(tmp_path / "restored")}
        restored = subprocess.run(
            ["bash", "scripts/restore.sh", str(backup)],
            cwd=ROOT,
            env=target,
            check=True,
            capture_output=True,
            text=True,
        )
        assert "均已按 SHA-256 核对无误" in restored.stdout
        after = json.loads(_manage(target, "score", "nansha-cppcc-office", "2022", "--json"))
        out = tmp_path / "restored.pdf"
        _manage(target, "render_pdf", "nansha-cppcc-office", "2022", "-o", str(out))
        assert hashlib.sha256(out.read_bytes()).hexdigest() == report.sha256
        assert after == before
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings_media(settings, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    return media


EVIDENCE = "%PDF-1.4\n%{label}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(label: str) -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations import services
    from evaluations.models import Evaluation

    e = Evaluation.objects.get(department__code="nansha-cppcc-office")
    services.evidence_upload(
        e.pk,
        get_user_model().objects.get(username="filer"),
        indicator_code="1.1.2",
        upload=SimpleUploadedFile(
            f"{label}.pdf", EVIDENCE.format(label=label).encode(), "application/pdf"
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_backup_is_one_point_in_time(tmp_path, settings_media, monkeypatch):
    """An upload committed while pg_dump runs is in neither the dump nor the manifest: the
    files listed are those of the dumped snapshot, not of a later moment."""
    import threading

    from evaluations import backup as backup_module
    from evaluations.demo import seed_demo
    from evaluations.models import Evidence

    seed_demo()
    _upload("before")
    real_run = subprocess.run

    def pg_dump_while_someone_uploads(*args, **kwargs):
        result = real_run(*args, **kwargs)

        def upload_elsewhere():
            try:
                _upload("during")
            finally:
                connection.close()

        thread = threading.Thread(target=upload_elsewhere)
        thread.start()
        thread.join()
        return result

    monkeypatch.setattr(backup_module.subprocess, "run", pg_dump_while_someone_uploads)
    backup = tmp_path / "backup"
    manifest = backup_module.backup(backup)
    monkeypatch.undo()
    assert Evidence.objects.count() == 2  # the upload did happen
    assert [f["model"] for f in manifest["files"]] == ["evaluations.Evidence"]
    [listed] = manifest["files"]
    assert listed["sha256"] == Evidence.objects.order_by("pk").first().sha256

    name = f"restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        target = {
            **os.environ,
            "DATABASE_URL": _url(name),
            "MEDIA_ROOT": str(tmp_path / "restored"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        subprocess.run(
            ["bash", "scripts/restore.sh", str(backup)],
            cwd=ROOT,
            env=target,
            check=True,
            capture_output=True,
        )
        count = _manage(
            target,
            "shell",
            "-c",
            "from evaluations.models import Evidence; print(Evidence.objects.count())",
        )
        assert count.strip().splitlines()[-1] == "1"
        assert len([p for p in (tmp_path / "restored").rglob("*") if p.is_file()]) == 1
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
