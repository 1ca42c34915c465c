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
    before = json.loads(_manage(source, "score", "nansha-cppcc-office", "2022", "--json"))

    name = f"restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        target = {**source, "DATABASE_URL": _url(name), "MEDIA_ROOT": str(tmp_path / "restored")}
        subprocess.run(
            ["bash", "scripts/restore.sh", str(backup)],
            cwd=ROOT,
            env=target,
            check=True,
            capture_output=True,
        )
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
