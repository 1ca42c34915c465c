#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database and EMPTY storage, then verify
# every file the restored database refers to against the SHA-256 it recorded: a missing or
# different file fails loudly (exit status 1, each file named).
#
#   DATABASE_URL=postgres://…/new_db MEDIA_ROOT=/path/to/new/media scripts/restore.sh BACKUP_DIR
set -euo pipefail
in=${1:?usage: restore.sh BACKUP_DIR}
in=$(realpath "$in")
cd "$(dirname "$0")/.."
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
exec "$py" manage.py restore "$in"
