"""Benchmark (not a test): render time of the seed case's PDF.

    .venv/bin/python bench/render_pdf.py [--runs N]

Loads the demo data into a throw-away SQLite database, renders the 2022 南沙区政协 case
(draft) N times after one warm-up, and prints the median, the best and the page count.
Goal: at most 1.5 s on the development machine (2 cores).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    from pypdf import PdfReader
    from weasyprint import HTML

    from evaluations.reports import render_html, render_pdf
    from evaluations.selectors import evaluation_by_department_year

    evaluation = evaluation_by_department_year("nansha-cppcc-office", 2022)
    pdf = render_pdf(evaluation, draft=True)  # warm-up: fonts, caches
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        pdf = render_pdf(evaluation, draft=True)
        times.append(time.perf_counter() - start)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    html = render_html(evaluation, draft=True)
    start = time.perf_counter()
    document = HTML(string=html, base_url=str(ROOT)).render()
    layout = time.perf_counter() - start
    start = time.perf_counter()
    document.write_pdf()
    write = time.perf_counter() - start
    print(f"seed case PDF: {pages} pages, {len(pdf) / 1024:.0f} KiB")
    print(
        f"render (median of {args.runs}): {statistics.median(times):.3f} s; best {min(times):.3f} s"
    )
    print(f"  of which layout {layout:.3f} s, PDF writing (font subsetting) {write:.3f} s")
    print("goal: ≤ 1.5 s")


if __name__ == "__main__":
    main()
