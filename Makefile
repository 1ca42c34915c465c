# 两条命令：`make run`（安装、迁移、载入演示数据并启动）与 `make test`（全部测试）。
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test smoke lint format bench messages

install:
	@bash scripts/bootstrap.sh

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py refresh_totals
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/docker-compose --env-file .env.example -f docker-compose.yml config --quiet
	$(VENV)/bin/hadolint --config .hadolint.yaml Dockerfile
	$(PY) -m pytest $(PYTEST_ARGS)

# The production path over real HTTP (tests/production): gunicorn and db_worker started by
# scripts/app.sh, PostgreSQL (DATABASE_URL, required), an S3 server and an SMTP sink on loopback.
smoke: install
	$(PY) -m pytest -p no:cacheprovider -m production tests/production $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The Chinese names of the third-party apps' admin pages (locale/zh_Hans): edit the .po, then
# compile it (the .mo is committed, so set-up needs no gettext).
messages:
	msgfmt --check -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po

# Benchmarks on PostgreSQL with DEBUG off (BENCH_DATABASE_URL, default the database jixiao_bench
# on 127.0.0.1, created if missing and emptied at each run); regenerates bench/RESULTS.md.
bench: install
	$(PY) bench/run.py
