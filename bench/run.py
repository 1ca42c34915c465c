"""Benchmarks (not tests): `make bench` runs them all and writes bench/RESULTS.md.

1. PDF render time of the seed case, and its ratio to a WeasyPrint render of the same text
   with no styling (the floor).
2. Scoring engine time per evaluation.
3. Server time and query count of the home page, a filing step, the review page and the
   dashboard with 10, 100, 1,000 and 5,000 departments (the query count must stay flat).
4. A load test (locust, 50 users) against gunicorn on 127.0.0.1: requests per second and
   p50/p95/p99 of the review page and of the public PDF download.

Runs on a throw-away SQLite database unless BENCH_DATABASE_URL names another database.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
DB_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ["DATABASE_URL"] = DB_URL
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

LINES: list[str] = []


def out(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


# ---------------------------------------------------------------------------- 1. PDF


def bench_pdf() -> None:
    from weasyprint import HTML

    from evaluations.reports import render_html, render_pdf
    from evaluations.selectors import evaluation_by_department_year

    evaluation = evaluation_by_department_year("nansha-cppcc-office", 2022)
    render_pdf(evaluation, draft=True)  # warm-up: fonts, caches
    median, best = timed(lambda: render_pdf(evaluation, draft=True), 5)
    html = render_html(evaluation, draft=True)
    plain = re.sub(r"<link[^>]*>", "", html)  # the same text and tables with no stylesheet
    HTML(string=plain).write_pdf()
    floor, _ = timed(lambda: HTML(string=plain).write_pdf(), 5)
    out("## 1. PDF 生成（种子案例，草稿）")
    out("")
    out("| 指标 | 数值 |")
    out("|---|---|")
    out(f"| 生成时间（5 次中位数） | {median:.3f} s（最好 {best:.3f} s；目标 ≤ 1.5 s） |")
    out(f"| 无样式的同一内容（下限） | {floor:.3f} s |")
    out(f"| 比值 | {median / floor:.2f} |")
    out("")


# ---------------------------------------------------------------------------- 2. engine


def bench_engine() -> None:
    from decimal import Decimal

    from evaluations.scoring import scoring_input
    from evaluations.selectors import evaluation_by_department_year
    from rubric import engine

    out("## 2. 评分引擎")
    out("")
    out("目标：每份自评评分一次 < 2 ms。参照：同一次运行中，对同样多的 Decimal 做一次求和与")
    out("量化（引擎工作量的下限）。")
    out("")
    out("| 评分体系 | 自评 | 每次评分 | 参照（下限） |")
    out("|---|---|---|---|")
    cases = [
        ("guangzhou-nansha-2022", "nansha-cppcc-office", 2022),
        ("mof-project-2020（公式、多段指标行）", "demo-county-agriculture", 2023),
    ]
    for label, department, year in cases:
        evaluation = evaluation_by_department_year(department, year)
        data = scoring_input(evaluation)
        rubric = evaluation.rubric.spec
        n = 500
        engine.score(rubric, data)  # warm-up
        start = time.perf_counter()
        for _ in range(n):
            sheet = engine.score(rubric, data)
        per = (time.perf_counter() - start) / n
        numbers = [Decimal("12.345")] * (len(sheet.lines) * 4)
        start = time.perf_counter()
        for _ in range(n):
            sum(x.quantize(Decimal("0.01")) for x in numbers)
        floor = (time.perf_counter() - start) / n
        leaves = sum(1 for ln in sheet.lines if ln.is_leaf)
        out(
            f"| {label} | {department} {year}（{leaves} 个末级行） | {per * 1000:.3f} ms "
            f"| {floor * 1000:.3f} ms |"
        )
    out("")


# ---------------------------------------------------------------------------- 3. pages


def grow_to(n: int) -> None:
    """Departments and evaluations up to n in the demo region (totals filled in SQL)."""
    from decimal import Decimal

    from evaluations.models import Department, Evaluation, FiscalYear, Region

    region = Region.objects.get(code="nansha")
    fy = FiscalYear.objects.get(region=region, year=2022)
    have = Department.objects.filter(region=region).count()
    if have >= n:
        return
    new = [
        Department(code=f"bench-{i:05d}", name=f"基准测试单位{i:05d}", region=region)
        for i in range(have, n)
    ]
    Department.objects.bulk_create(new, batch_size=1000)
    depts = Department.objects.filter(code__startswith="bench-", evaluations__isnull=True)
    Evaluation.objects.bulk_create(
        [
            Evaluation(
                department=d,
                fiscal_year=fy,
                rubric=fy.rubric,
                status="submitted" if i % 3 else "draft",
                claimed_total=Decimal("90.00") + i % 10,
                computed_total=Decimal("85.00"),
                final_total=Decimal("90.00") + i % 10,
            )
            for i, d in enumerate(depts)
        ],
        batch_size=1000,
    )


def page(client: Client, url: str, runs: int = 5) -> tuple[float, int]:
    client.get(url)
    reset_queries()  # with DEBUG on, a full query log (9,000) would hide every new query
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    median, _ = timed(lambda: client.get(url), runs)
    return median, len(queries.captured_queries)


def bench_pages() -> None:
    from evaluations.models import Evaluation

    seed = Evaluation.objects.get(department__code="nansha-cppcc-office")
    filer, reviewer = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    filer.force_login(get_user_model().objects.get(username="filer"))
    reviewer.force_login(get_user_model().objects.get(username="reviewer"))
    urls = {
        "首页（填报人）": (filer, "/"),
        "填报步骤：评分指标": (filer, f"/evaluations/{seed.pk}/step/management/"),
        "审核页": (reviewer, f"/review/evaluations/{seed.pk}/"),
        "审核工作台（第 1 页，50 行）": (reviewer, "/review/nansha/2022/"),
    }
    out("## 3. 页面服务器时间与查询数")
    out("")
    out("| 部门数 | " + " | ".join(urls) + " |")
    out("|---" * (len(urls) + 1) + "|")
    for n in (10, 100, 1000, 5000):
        grow_to(n)
        cells = []
        for client, url in urls.values():
            median, count = page(client, url)
            cells.append(f"{median * 1000:.0f} ms / {count} 次查询")
        out(f"| {n} | " + " | ".join(cells) + " |")
    out("")


# ---------------------------------------------------------------------------- 4. load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOCUSTFILE = """
from locust import HttpUser, between, task

class Reviewer(HttpUser):
    wait_time = between(0.1, 0.5)
    def on_start(self):
        self.client.get("/accounts/login/")
        token = self.client.cookies.get("csrftoken")
        self.client.post("/accounts/login/", {{"username": "reviewer", "password": "demo-pass-2022",
                         "csrfmiddlewaretoken": token}}, headers={{"Referer": "{base}/accounts/login/"}})
    @task
    def review_page(self):
        self.client.get("/review/evaluations/{pk}/", name="审核页")

class Public(HttpUser):
    wait_time = between(0.1, 0.5)
    @task
    def download(self):
        self.client.get("/public/reports/{report}/", name="公开 PDF 下载")
"""


def bench_load(seconds: int = 20) -> None:
    from evaluations import services
    from evaluations.models import Evaluation

    seed = Evaluation.objects.get(department__code="nansha-cppcc-office")
    Evaluation.objects.filter(pk=seed.pk).update(status="approved")
    report = services.evaluation_publish(seed.pk, get_user_model().objects.get(username="reviewer"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "AXES_ENABLED": "0",
        "LOG_LEVEL": "ERROR",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        locustfile = WORK / "locustfile.py"
        locustfile.write_text(LOCUSTFILE.format(base=base, pk=seed.pk, report=report.pk))
        prefix = WORK / "locust"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(locustfile),
                "--headless",
                "-u",
                "50",
                "-r",
                "25",
                "-t",
                f"{seconds}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "ERROR",
            ],
            cwd=WORK,
            check=False,
            capture_output=True,
            timeout=seconds + 60,
        )
        with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
            rows = list(csv.DictReader(stats))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    out(
        f"## 4. 负载测试（locust，50 个并发用户，{seconds} 秒，gunicorn 3 个进程 × 4 线程，127.0.0.1）"
    )
    out("")
    out("| 请求 | 请求数 | 失败 | 每秒请求 | p50 | p95 | p99 |")
    out("|---|---|---|---|---|---|---|")
    for row in rows:
        if row["Name"] in ("审核页", "公开 PDF 下载", "Aggregated"):
            out(
                f"| {row['Name'].replace('Aggregated', '合计（含登录）')} | {row['Request Count']} | "
                f"{row['Failure Count']} | {float(row['Requests/s']):.1f} | {row['50%']} ms | "
                f"{row['95%']} ms | {row['99%']} ms |"
            )
    out("")


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    out("# 基准测试结果")
    out("")
    out(f"- 日期：{datetime.now():%Y-%m-%d %H:%M}")
    out(f"- 机器：{platform.machine()}，{os.cpu_count()} 核，{platform.platform()}")
    out(f"- Python {platform.python_version()}，数据库：{connection.vendor}")
    out("")
    only = sys.argv[1:] or ["pdf", "engine", "pages", "load"]
    for name in only:  # `bench/run.py engine` runs one part, printed only
        {"pdf": bench_pdf, "engine": bench_engine, "pages": bench_pages, "load": bench_load}[name]()
    if sys.argv[1:]:
        shutil.rmtree(WORK, ignore_errors=True)
        return
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    shutil.rmtree(WORK, ignore_errors=True)
    print("\n→ bench/RESULTS.md")


if __name__ == "__main__":
    main()
