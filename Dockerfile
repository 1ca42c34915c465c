# The web and worker image: Python, WeasyPrint's libraries, the CJK fonts, the front-end
# assets from the npm registry (build stage), static files collected for whitenoise.
# Every command it runs is in scripts/app.sh (gunicorn's settings: config/gunicorn.conf.py).

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       fonts-noto-cjk texlive-lang-chinese libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
RUN pip install .
COPY . .
COPY --from=assets /src/node_modules/bootstrap/dist node_modules/bootstrap/dist
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only scripts/app.sh collectstatic \
    && useradd --system --uid 10001 --home /app app \
    && mkdir -p /app/var && chown -R app /app/var
# By number (hadolint DL3066): a host or orchestrator can tell it is not root without /etc/passwd.
USER 10001
EXPOSE 8000
# The same start-up script CI's production smoke test runs (tests/production): the web process
# by default; compose runs `scripts/app.sh migrate` and `scripts/app.sh worker` from this image.
CMD ["scripts/app.sh", "web"]
