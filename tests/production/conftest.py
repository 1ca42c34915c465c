"""The production stack for the smoke test, started and stopped here: a PostgreSQL database of
its own (on the server of DATABASE_URL), an S3-compatible server (moto's server mode) with a
bucket, an SMTP sink (aiosmtpd), the migrations and demo data, gunicorn and db_worker through
scripts/app.sh with production settings (DEBUG off, a generated secret; secure cookies and the
HTTPS redirect off only because it is plain HTTP on the loopback interface)."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from .processes import ROOT, Proc, free_port, port_open, wait_for


class SmtpSink:
    """Every message delivered to the loopback SMTP server, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    database_url: str
    bucket: str
    s3_port: int
    mail: SmtpSink
    log_dir: Path
    web: Proc
    worker: Proc
    s3: Proc
    extra: list[Proc] = field(default_factory=list)

    def s3_client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke-secret",
            region_name="us-east-1",
        )

    def bucket_objects(self, bucket: str | None = None) -> dict[str, bytes]:
        client = self.s3_client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket or self.bucket):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket or self.bucket, Key=item["Key"])["Body"]
                found[item["Key"]] = body.read()
        return found

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
        result = subprocess.run(
            list(args),
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start_web(self, env: dict[str, str], name: str) -> tuple[Proc, str]:
        """Another gunicorn (e.g. on a restored database), stopped with the stack."""
        port = free_port()
        proc = Proc(
            name,
            ["bash", "scripts/app.sh", "web"],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            self.log_dir,
        )
        self.extra.append(proc)
        proc.start()
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{name} 开始监听", lambda: port_open(port), 60, proc)
        return proc, base


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection():
    import psycopg

    return psycopg.connect(database_url("postgres"), autocommit=True)


def create_database(name: str) -> str:
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(**extra: str) -> dict[str, str]:
    """The environment of the production processes: this one's PATH and locale, none of the
    test run's Django or storage settings, then the production settings."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "S3_", "EMAIL_", "PYTEST", "GUNICORN_"))
        and k not in {"TASKS_BACKEND", "MEDIA_ROOT", "SITE_URL"}
    }
    return {
        **keep,
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # plain HTTP on the loopback interface only: no HTTPS to redirect to or to carry
        # secure cookies
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "TASKS_BACKEND": "database",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from aiosmtpd.controller import Controller

    log_dir = tmp_path_factory.mktemp("production-logs")
    db_name = f"jixiao_smoke_{uuid.uuid4().hex[:8]}"
    s3_port, smtp_port, web_port = free_port(), free_port(), free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    bucket = "jixiao-smoke"
    procs: list[Proc] = []
    sink = SmtpSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    created_db = False
    stack = None
    # A run stopped by SIGTERM (a CI time limit) still stops its processes: the signal
    # becomes an exception, so the `finally` below runs.
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        database = create_database(db_name)
        created_db = True
        env = production_env(
            DATABASE_URL=database,
            S3_BUCKET=bucket,
            S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
            S3_ACCESS_KEY="smoke",
            S3_SECRET_KEY="smoke-secret",
            S3_REGION="us-east-1",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            DEFAULT_FROM_EMAIL="绩效自评系统 <noreply@example.cn>",
            SITE_URL=base_url,
            DJANGO_CSRF_TRUSTED_ORIGINS=base_url,
            GUNICORN_BIND=f"127.0.0.1:{web_port}",
        )
        s3 = Proc(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            env,
            log_dir,
        )
        web = Proc("web", ["bash", "scripts/app.sh", "web"], env, log_dir)
        worker = Proc("worker", ["bash", "scripts/app.sh", "worker"], env, log_dir)
        procs.extend([s3, web, worker])
        stack = Stack(base_url, env, database, bucket, s3_port, sink, log_dir, web, worker, s3)

        s3.start()
        wait_for("S3 服务开始监听", lambda: port_open(s3_port), 60, s3)
        stack.s3_client().create_bucket(Bucket=bucket)
        smtp.start()

        # collectstatic (compressing every asset) beside the migrations: two cores, half the wait
        static = Proc("collectstatic", ["bash", "scripts/app.sh", "collectstatic"], env, log_dir)
        procs.append(static)
        static.start()
        stack.run("bash", "scripts/app.sh", "migrate")
        seed_demo(stack)
        assert static.popen.wait(300) == 0, static.tail()

        web.start()
        wait_for("gunicorn 开始监听", lambda: port_open(web_port), 60, web)
        worker.start()
        yield stack
    finally:
        for proc in [*(stack.extra if stack else []), *reversed(procs)]:
            proc.stop()
        smtp.stop()
        if created_db:
            drop_database(db_name)
        signal.signal(signal.SIGTERM, previous)
        for proc in [*(stack.extra if stack else []), *procs]:
            print(f"---- {proc.name} ({proc.log}) ----\n{proc.tail(60)}")


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def seed_demo(stack: Stack) -> None:
    """The demo data, as a person trying the system would load it. seed_demo creates the demo
    users only in development (or when told to explicitly), so it runs with DEBUG on; the
    demo filer and reviewer then get addresses for the notifications."""
    stack.run(sys.executable, "manage.py", "seed_demo", env={**stack.env, "DJANGO_DEBUG": "1"})
    stack.run(
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "for name in ('filer', 'reviewer'):\n"
        "    get_user_model().objects.filter(username=name).update(email=name + '@example.cn')\n",
    )
