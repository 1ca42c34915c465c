#!/usr/bin/env bash
# The production processes, started the same way by the image (Dockerfile, docker-compose.yml)
# and by CI's production smoke test (tests/production), so that CI runs exactly these commands:
#
#   scripts/app.sh collectstatic   static files for whitenoise (at image build time)
#   scripts/app.sh migrate         migrations, then the stored totals if the scoring changed
#   scripts/app.sh web             gunicorn with config/gunicorn.conf.py (GUNICORN_* variables)
#   scripts/app.sh worker          the background worker (PDFs, bulk jobs): manage.py db_worker
#
# Settings come from the environment (see config/settings.py and .env.example). PYTHON names
# the interpreter (default: python, as in the image; CI passes its virtualenv's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

case "${1:-}" in
    collectstatic)
        exec "$PYTHON" manage.py collectstatic --noinput --verbosity 0
        ;;
    migrate)
        "$PYTHON" manage.py migrate --noinput
        exec "$PYTHON" manage.py refresh_totals --if-stale
        ;;
    web)
        exec "$PYTHON" -m gunicorn --config config/gunicorn.conf.py config.wsgi
        ;;
    worker)
        exec "$PYTHON" manage.py db_worker --queue-name "${WORKER_QUEUES:-default}" \
            --interval "${WORKER_INTERVAL:-1}" --no-reload
        ;;
    *)
        echo "用法：scripts/app.sh collectstatic|migrate|web|worker" >&2
        exit 2
        ;;
esac
