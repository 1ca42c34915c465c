#!/usr/bin/env bash
# Backup as one consistent point: the database (PostgreSQL: pg_dump of one exported snapshot;
# SQLite: an online copy) and the stored files that database state refers to (evidence,
# published PDFs, job results; from the file system or S3-compatible storage), each checked
# against the SHA-256 the database recorded, with a manifest. See evaluations/backup.py.
#
#   DATABASE_URL=postgres://… MEDIA_ROOT=/path/to/media scripts/backup.sh BACKUP_DIR
#
# BACKUP_DIR must be new or empty. It receives db.dump (or db.sqlite3), media.tar.gz,
# manifest.json and MANIFEST.sha256. PYTHON may name the interpreter (default: .venv/bin/python
# if present, else python3). Exit status 0 only for a complete, verified backup.
set -euo pipefail
out=${1:?usage: backup.sh BACKUP_DIR}
out=$(realpath -m "$out")
cd "$(dirname "$0")/.."
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
exec "$py" manage.py backup "$out"
